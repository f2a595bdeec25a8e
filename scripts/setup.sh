#!/usr/bin/env bash
# Installs what forno needs on a fresh Debian machine that has only Node and npm, and says what it
# installs: bun (from npm), Mesa's EGL/GLES drivers for the CPU path when there is no GPU, Chromium for
# the playground's browser test, and the workspace's dependencies. Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUN_VERSION=$(sed -n 's/.*"packageManager": *"bun@\([^"]*\)".*/\1/p' package.json)
MESA_PACKAGES=(libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri)

say() { echo "setup: $*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "setup: need root (or sudo) to run: $*" >&2; exit 1; fi; }

# 1. bun, pinned to the version in package.json.
if ! command -v bun >/dev/null || [ "$(bun --version)" != "$BUN_VERSION" ]; then
  say "installing bun $BUN_VERSION from npm (npm install -g bun@$BUN_VERSION)"
  npm install -g --no-fund --no-audit --loglevel=error "bun@$BUN_VERSION"
  global_bin="$(npm prefix -g)/bin"
  if ! command -v bun >/dev/null; then
    say "linking $global_bin/bun into /usr/local/bin (npm's global bin folder is not on PATH)"
    as_root ln -sf "$global_bin/bun" /usr/local/bin/bun
  fi
fi
say "bun $(bun --version) at $(command -v bun)"

# 2. The CPU path (Mesa llvmpipe through EGL/GLES) when no GPU is present.
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  say "NVIDIA GPU found: $(nvidia-smi -L | head -n 1); skipping Mesa"
else
  missing=()
  for p in "${MESA_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    say "no GPU found; installing Mesa's EGL/GLES drivers for the CPU path: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "no GPU found; Mesa EGL/GLES drivers already installed (${MESA_PACKAGES[*]})"
  fi
fi

# 3. Debian's Chromium: the server's playground test drives it headless through playwright-core, which
#    downloads no browser of its own.
if command -v chromium >/dev/null; then
  say "chromium already installed ($(command -v chromium))"
else
  say "installing Debian's chromium for the playground's browser test (apps/server)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi

# 4. Workspace dependencies, exactly as locked.
say "installing workspace dependencies (bun install --frozen-lockfile)"
bun install --frozen-lockfile --silent
say "done"
