import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ShardError } from "./errors.ts";
import { openShard, SHARD_HEADER_BYTES, writeShard } from "./shards.ts";
import { useTempDirs } from "./test-dir.ts";

const tempDir = useTempDirs();

describe("writeShard / openShard", () => {
  test("uint16 when V ≤ 65,536: exact header bytes, tokens back as a view of the mapped file", () => {
    const path = join(tempDir(), "a.bin");
    writeShard(path, [0, 1, 65535, 7], 65536);
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(SHARD_HEADER_BYTES + 4 * 2);
    expect(bytes.subarray(0, 8).toString()).toBe("FRNOTOK1");
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect([view.getUint32(8, true), view.getUint32(12, true), Number(view.getBigUint64(16, true)), view.getUint32(24, true), view.getUint32(28, true)]).toEqual([1, 1, 4, 65536, 0]);

    const shard = openShard(path);
    expect(shard.tokens).toBeInstanceOf(Uint16Array);
    expect([...shard.tokens]).toEqual([0, 1, 65535, 7]);
    expect(shard.tokens.byteOffset).toBe(SHARD_HEADER_BYTES); // a view into the mapping, not a copy
    expect(shard.tokens.buffer.byteLength).toBe(bytes.length);
    expect(shard.vocabSize).toBe(65536);
    expect(shard.version).toBe(1);
  });

  test("uint32 when V > 65,536; typed input arrays are accepted", () => {
    const path = join(tempDir(), "b.bin");
    writeShard(path, new Int32Array([100_000, 3, 0]), 100_257);
    const shard = openShard(path);
    expect(shard.tokens).toBeInstanceOf(Uint32Array);
    expect([...shard.tokens]).toEqual([100_000, 3, 0]);
    expect(readFileSync(path).length).toBe(SHARD_HEADER_BYTES + 12);
  });

  test("an empty shard is valid", () => {
    const path = join(tempDir(), "e.bin");
    writeShard(path, [], 10);
    expect(openShard(path).tokens.length).toBe(0);
  });

  test("an id outside the vocabulary is refused before writing", () => {
    const path = join(tempDir(), "c.bin");
    expect(() => writeShard(path, [1, 2, 10], 10)).toThrow(new ShardError(`${path}: token 2 is 10, expected an integer id in [0, 10); check the tokenizer's vocabulary size`));
  });
});

describe("openShard rejects foreign and damaged files, naming the file and the numbers", () => {
  const good = (dir: string) => {
    const path = join(dir, "good.bin");
    writeShard(path, [1, 2, 3, 4, 5], 300);
    return readFileSync(path);
  };
  const expectError = (contents: Uint8Array, message: (path: string) => string) => {
    const path = join(tempDir(), "bad.bin");
    writeFileSync(path, contents);
    expect(() => openShard(path)).toThrow(new ShardError(message(path)));
  };

  test("bad magic", () => {
    const bytes = good(tempDir());
    bytes.set(new TextEncoder().encode("GPT2DATA"), 0);
    expectError(bytes, (p) => `${p}: not a forno token shard: expected magic "FRNOTOK1" at byte 0, got bytes 47 50 54 32 44 41 54 41; write shards with writeShard`);
  });

  test("unsupported version", () => {
    const bytes = good(tempDir());
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(8, 2, true);
    expectError(bytes, (p) => `${p}: unsupported token shard version 2; this build reads version 1; re-tokenise with this forno`);
  });

  test("truncated: fewer token bytes than the header says", () => {
    const bytes = good(tempDir());
    expectError(bytes.subarray(0, bytes.length - 3), (p) => `${p}: truncated token shard: header says 5 tokens × 2 bytes + 32-byte header = 42 bytes, file has 39; re-tokenise this shard`);
  });

  test("shorter than the header", () => {
    expectError(new Uint8Array(10), (p) => `${p}: truncated token shard: 10 bytes, shorter than the 32-byte header; re-tokenise this shard`);
  });

  test("trailing bytes and a bad dtype code", () => {
    const bytes = good(tempDir());
    expectError(new Uint8Array([...bytes, 0, 0]), (p) => `${p}: corrupt token shard: header says 5 tokens (42 bytes), file has 44 bytes (2 extra); re-tokenise this shard`);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(12, 9, true);
    expectError(bytes, (p) => `${p}: corrupt token shard: dtype code 9, expected 1 (uint16) or 2 (uint32)`);
  });

  test("missing file", () => {
    expect(() => openShard(join(tempDir(), "none.bin"))).toThrow(/none\.bin: cannot open token shard \(.*\); check the path/);
  });
});
