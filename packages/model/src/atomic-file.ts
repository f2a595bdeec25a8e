/**
 * Crash-safe file writes: the bytes go to a temp file beside the target, are fsynced, and the temp file
 * is renamed over the target, so a reader sees either the old file or the complete new one, never a
 * prefix. Used by safetensors, token shards and JSON side files; whole directories are swapped by
 * checkpoint.ts, which builds on this.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Writes `chunks` in order to `path` through a temp file + rename, creating the parent directory. */
export function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  const fd = openSync(tmp, "w");
  try {
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.byteLength) done += writeSync(fd, chunk, done, chunk.byteLength - done);
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** The bytes of `text` as UTF-8, written atomically. */
export function writeTextAtomic(path: string, text: string): void {
  writeFileAtomic(path, [new TextEncoder().encode(text)]);
}

/** fsyncs a directory so the renames inside it survive a power loss (best effort: not every FS allows it). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic, only durability is weaker.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
