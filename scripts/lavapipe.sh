#!/usr/bin/env bash
# Unpacks Mesa 25's Vulkan CPU driver (lavapipe, from Debian bookworm-backports) into .cache/lavapipe
# without installing it system-wide (the system's Mesa GL stays as it is), and prints the environment
# that points Dawn's Vulkan backend at it. Used to run the tests and benchmarks on the second CPU path:
#   eval "$(bash scripts/lavapipe.sh)" && FORNO_BACKEND=vulkan bun run --cwd packages/gpu test
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dir="$PWD/.cache/lavapipe"
lib="$dir/root/usr/lib/x86_64-linux-gnu"
if [ ! -e "$lib/libvulkan_lvp.so" ]; then
  mkdir -p "$dir/lists/partial" "$dir/debs"
  printf 'deb http://deb.debian.org/debian %s main\n' bookworm bookworm-backports > "$dir/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null" -o "Dir::State::Lists=$dir/lists" -o "Debug::NoLocking=1")
  echo "lavapipe: fetching mesa-vulkan-drivers 25 from bookworm-backports into $dir" >&2
  apt-get "${apt_opts[@]}" update -qq >&2
  (cd "$dir/debs" && apt-get "${apt_opts[@]}" download libvulkan1 \
    mesa-vulkan-drivers/bookworm-backports mesa-libgallium/bookworm-backports libdrm2/bookworm-backports libdrm-amdgpu1/bookworm-backports >&2)
  for f in "$dir"/debs/*.deb; do dpkg -x "$f" "$dir/root"; done
fi
sed "s#\"library_path\": \"[^\"]*\"#\"library_path\": \"$lib/libvulkan_lvp.so\"#" \
  "$dir/root/usr/share/vulkan/icd.d/lvp_icd.json" > "$dir/lvp_icd.json"
echo "export LD_LIBRARY_PATH=$lib VK_DRIVER_FILES=$dir/lvp_icd.json"
