import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CheckpointError } from "./errors.ts";
import { readSafetensors, writeSafetensors } from "./safetensors.ts";
import { useTempDirs } from "./test-dir.ts";

const tempDir = useTempDirs();

/** A safetensors file from a header object and data bytes, as another writer might produce it. */
function build(header: object, data: Uint8Array, headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe("writeSafetensors / readSafetensors", () => {
  test("round-trips F32 and I32 tensors and metadata, names sorted and contiguous, data 8-byte aligned", () => {
    const path = join(tempDir(), "t.safetensors");
    const tensors = new Map<string, { shape: number[]; data: Float32Array | Int32Array }>([
      ["b.weight", { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, -6.5]) }],
      ["a.count", { shape: [2], data: new Int32Array([7, -8]) }],
      ["c.scalar", { shape: [], data: new Float32Array([3.25]) }],
    ]);
    writeSafetensors(path, tensors, { step: "12" });
    const { tensors: back, metadata } = readSafetensors(path);
    expect(metadata).toEqual({ step: "12" });
    expect([...back.keys()]).toEqual(["a.count", "b.weight", "c.scalar"]);
    expect(back.get("b.weight")).toEqual({ dtype: "F32", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, -6.5]) });
    expect(back.get("a.count")).toEqual({ dtype: "I32", shape: [2], data: new Int32Array([7, -8]) });
    expect(back.get("c.scalar")!.data).toEqual(new Float32Array([3.25]));

    const file = readFileSync(path);
    const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(file.subarray(8, 8 + n).toString());
    expect(header["a.count"].data_offsets).toEqual([0, 8]);
    expect(header["b.weight"].data_offsets).toEqual([8, 32]);
    expect(header["c.scalar"].data_offsets).toEqual([32, 36]);
    expect(file.length).toBe(8 + n + 36);
  });

  test("reads F16, BF16 (as f32) and I64 written by another tool, unaligned", () => {
    const path = join(tempDir(), "h.safetensors");
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00]); // 1, -2, 0.333…, 2^-24, +inf
    const bf16 = new Uint16Array([0x3f80, 0xbfc0]); // 1, -1.5
    const i64 = new BigInt64Array([5n, -3n]);
    const data = new Uint8Array(10 + 4 + 16);
    data.set(bytesOf(f16), 0);
    data.set(bytesOf(bf16), 10);
    data.set(bytesOf(i64), 14);
    const header = {
      h: { dtype: "F16", shape: [5], data_offsets: [0, 10] },
      b: { dtype: "BF16", shape: [1, 2], data_offsets: [10, 14] },
      i: { dtype: "I64", shape: [2], data_offsets: [14, 30] },
    };
    writeFileSync(path, build(header, data));
    const { tensors } = readSafetensors(path);
    const h = tensors.get("h")!;
    expect(h.dtype).toBe("F16");
    expect([...h.data]).toEqual([1, -2, Math.fround(0.333251953125), Math.fround(2 ** -24), Infinity]);
    expect(tensors.get("b")).toEqual({ dtype: "BF16", shape: [1, 2], data: new Float32Array([1, -1.5]) });
    expect(tensors.get("i")!.data).toEqual(new BigInt64Array([5n, -3n]));
  });
});

describe("readSafetensors rejects damaged files with the file name and the problem", () => {
  const f32 = bytesOf(new Float32Array([1, 2, 3, 4]));
  const ok = { w: { dtype: "F32", shape: [2, 2], data_offsets: [0, 16] } };

  const expectError = (contents: Uint8Array, message: (path: string) => string) => {
    const path = join(tempDir(), "bad.safetensors");
    writeFileSync(path, contents);
    expect(() => readSafetensors(path)).toThrow(new CheckpointError(message(path)));
  };

  test("shorter than the length prefix", () => {
    expectError(new Uint8Array(5), (p) => `${p}: truncated safetensors file: 5 bytes, shorter than the 8-byte header length; re-save or re-download it`);
  });

  test("header length past the end of the file", () => {
    const good = build(ok, f32);
    expectError(good.subarray(0, 30), (p) => `${p}: truncated or corrupt safetensors file: header length says ${good.length - 24} bytes but only 22 follow the 8-byte prefix; re-save or re-download it`);
  });

  test("data cut short", () => {
    const good = build(ok, f32);
    expectError(good.subarray(0, good.length - 4), (p) => `${p}: truncated or corrupt safetensors file: tensor "w" data_offsets [0, 16] end past the 12 data bytes; re-save or re-download it`);
  });

  test("header is not JSON", () => {
    const bad = build(ok, f32);
    bad[8] = 0x7a; // "{" → "z"
    const path = join(tempDir(), "bad.safetensors");
    writeFileSync(path, bad);
    expect(() => readSafetensors(path)).toThrow(`${path}: corrupt safetensors header: not valid UTF-8 JSON (JSON Parse error: Unexpected identifier "z"); the file is damaged or not safetensors`);
  });

  test("byte count does not match the shape", () => {
    expectError(build({ w: { dtype: "F32", shape: [3, 2], data_offsets: [0, 16] } }, f32), (p) => `${p}: corrupt safetensors header: tensor "w": shape [3, 2] × 4 bytes (F32) = 24 bytes, but data_offsets [0, 16] span 16`);
  });

  test("overlapping tensors", () => {
    const header = { a: { dtype: "F32", shape: [3], data_offsets: [0, 12] }, b: { dtype: "F32", shape: [2], data_offsets: [8, 16] } };
    expectError(build(header, f32), (p) => `${p}: corrupt safetensors header: tensors "a" [0, 12] and "b" [8, 16] overlap`);
  });

  test("unsupported dtype and malformed entries", () => {
    expectError(build({ w: { dtype: "F64", shape: [2], data_offsets: [0, 16] } }, f32), (p) => `${p}: tensor "w" has dtype "F64"; this reader supports F32, F16, BF16, I32, I64; convert the file to F32`);
    expectError(build({ w: { dtype: "F32", shape: [4], data_offsets: [8, 0] } }, f32), (p) => `${p}: corrupt safetensors header: tensor "w": data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got [8,0]`);
    expectError(build({ __metadata__: { a: 1 } }, f32), (p) => `${p}: corrupt safetensors header: __metadata__ must map strings to strings, got {"a":1}`);
  });

  test("missing file", () => {
    expect(() => readSafetensors(join(tempDir(), "nope.safetensors"))).toThrow(/nope\.safetensors: cannot read safetensors file \(.*\); check the path/);
  });
});
