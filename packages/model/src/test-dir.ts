/**
 * Test helper: a fresh directory under os.tmpdir() per test, removed afterwards. Tests only; not exported
 * from the package.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "bun:test";

/** Call at the top of a test file; `dir()` returns a new empty directory that is removed after the test. */
export function useTempDirs(): () => string {
  const made: string[] = [];
  afterEach(() => {
    for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), "forno-model-"));
    made.push(d);
    return d;
  };
}
