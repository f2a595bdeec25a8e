/**
 * The safetensors format, read and write, on the host. Layout: an 8-byte little-endian u64 N, N bytes of
 * JSON header `{ "__metadata__"?: {string: string}, name: { dtype, shape, data_offsets: [begin, end] } }`
 * (offsets relative to the byte after the header), then the raw little-endian tensor bytes.
 * We write F32 and I32, names sorted, contiguous, header padded with spaces to 8 bytes so every tensor
 * starts aligned. We read F32, F16 and BF16 (as Float32Array), I32 and I64, and validate everything a
 * damaged or foreign file could get wrong before touching the data. Assumes a little-endian host.
 */
import { readFileSync, statSync } from "node:fs";
import { writeFileAtomic } from "./atomic-file.ts";
import { CheckpointError } from "./errors.ts";

export type SafeDtype = "F32" | "F16" | "BF16" | "I32" | "I64";

const ITEM_SIZE: Record<SafeDtype, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };

/** A tensor on the host: row-major f32 data and its shape (what the GPU model uploads and reads back). */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

/** A tensor as read from a file; float dtypes arrive as Float32Array, `dtype` says what was stored. */
export interface SafeTensor {
  dtype: SafeDtype;
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

export interface SafetensorsContents {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const fmt = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/** Writes F32 (Float32Array) and I32 (Int32Array) tensors, sorted by name, atomically. */
export function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array | Int32Array }>,
  metadata: Record<string, string> = {},
): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const names = [...tensors.keys()].sort();
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors.get(name)!;
    if (data.length !== numel(shape)) {
      throw new CheckpointError(`${path}: tensor "${name}" has shape ${fmt(shape)} (${numel(shape)} elements) but ${data.length} values; pass data of the shape's size`);
    }
    const dtype: SafeDtype = data instanceof Float32Array ? "F32" : "I32";
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Spaces after the JSON (allowed by the format) make the data start 8-byte aligned.
  const headerBytes = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  headerBytes.set(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  writeFileAtomic(path, [prefix, headerBytes, ...chunks]);
}

/** Reads and validates a safetensors file; throws CheckpointError naming the file and the problem. */
export function readSafetensors(path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    if (!statSync(path).isFile()) throw new Error("not a regular file");
    bytes = readFileSync(path);
  } catch (err) {
    throw new CheckpointError(`${path}: cannot read safetensors file (${(err as Error).message}); check the path`);
  }
  if (bytes.length < 8) {
    throw new CheckpointError(`${path}: truncated safetensors file: ${bytes.length} bytes, shorter than the 8-byte header length; re-save or re-download it`);
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) {
    throw new CheckpointError(`${path}: truncated or corrupt safetensors file: header length says ${n} bytes but only ${bytes.length - 8} follow the 8-byte prefix; re-save or re-download it`);
  }
  const dataStart = 8 + Number(n);
  const dataSize = bytes.length - dataStart;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (err) {
    throw new CheckpointError(`${path}: corrupt safetensors header: not valid UTF-8 JSON (${(err as Error).message}); the file is damaged or not safetensors`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new CheckpointError(`${path}: corrupt safetensors header: expected a JSON object, got ${Array.isArray(header) ? "an array" : typeof header}`);
  }
  const corrupt = (msg: string) => new CheckpointError(`${path}: corrupt safetensors header: ${msg}`);
  const metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number }[] = [];
  const tensors = new Map<string, SafeTensor>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof entry !== "object" || entry === null || Object.values(entry).some((v) => typeof v !== "string")) {
        throw corrupt(`__metadata__ must map strings to strings, got ${JSON.stringify(entry)}`);
      }
      Object.assign(metadata, entry);
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== "object" || e === null) throw corrupt(`tensor "${name}": expected { dtype, shape, data_offsets }, got ${JSON.stringify(entry)}`);
    if (typeof e.dtype !== "string" || !(e.dtype in ITEM_SIZE)) {
      throw new CheckpointError(`${path}: tensor "${name}" has dtype ${JSON.stringify(e.dtype)}; this reader supports ${Object.keys(ITEM_SIZE).join(", ")}; convert the file to F32`);
    }
    const dtype = e.dtype as SafeDtype;
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw corrupt(`tensor "${name}": shape must be an array of integers ≥ 0, got ${JSON.stringify(shape)}`);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      throw corrupt(`tensor "${name}": data_offsets must be [begin, end] with 0 ≤ begin ≤ end, got ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataSize) {
      throw new CheckpointError(`${path}: truncated or corrupt safetensors file: tensor "${name}" data_offsets [${begin}, ${end}] end past the ${dataSize} data bytes; re-save or re-download it`);
    }
    const expected = numel(shape) * ITEM_SIZE[dtype];
    if (end - begin !== expected) {
      throw corrupt(`tensor "${name}": shape ${fmt(shape)} × ${ITEM_SIZE[dtype]} bytes (${dtype}) = ${expected} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    spans.push({ name, begin, end });
    tensors.set(name, { dtype, shape: shape as number[], data: decode(bytes, dataStart + begin, dataStart + end, dtype) });
  }
  spans.sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < spans.length; i++) {
    const [p, q] = [spans[i - 1], spans[i]];
    if (q.begin < p.end) throw corrupt(`tensors "${p.name}" [${p.begin}, ${p.end}] and "${q.name}" [${q.begin}, ${q.end}] overlap`);
  }
  return { tensors, metadata };
}

/** Bytes [from, to) of the file as a typed array; F32 and I32 are views when aligned, copies otherwise. */
function decode(bytes: Uint8Array, from: number, to: number, dtype: SafeDtype): SafeTensor["data"] {
  const aligned = (k: number) => (bytes.byteOffset + from) % k === 0;
  // Copy via the constructor: node's Buffer.slice would return a view, still misaligned.
  const raw = (k: number) => (aligned(k) ? bytes.subarray(from, to) : new Uint8Array(bytes.subarray(from, to)));
  switch (dtype) {
    case "F32": {
      const b = raw(4);
      return new Float32Array(b.buffer, b.byteOffset, (to - from) / 4);
    }
    case "I32": {
      const b = raw(4);
      return new Int32Array(b.buffer, b.byteOffset, (to - from) / 4);
    }
    case "I64": {
      const b = raw(8);
      return new BigInt64Array(b.buffer, b.byteOffset, (to - from) / 8);
    }
    case "F16":
    case "BF16": {
      const b = raw(2);
      const half = new Uint16Array(b.buffer, b.byteOffset, (to - from) / 2);
      const out = new Float32Array(half.length);
      if (dtype === "BF16") {
        const bits = new Uint32Array(out.buffer);
        for (let i = 0; i < half.length; i++) bits[i] = half[i] << 16; // bf16 is the top half of an f32
      } else {
        for (let i = 0; i < half.length; i++) out[i] = halfToFloat(half[i]);
      }
      return out;
    }
  }
}

/** IEEE 754 binary16 → number, including subnormals, infinities and NaN. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
