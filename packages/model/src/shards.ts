/**
 * Token shards: a corpus tokenised ahead of training, stored as raw token ids behind a 32-byte header so
 * the trainer can memory-map it and index tokens without parsing or copying. Byte layout (little-endian):
 *
 *   0   8  magic "FRNOTOK1"
 *   8   4  version u32 (1)
 *   12  4  dtype code u32: 1 = uint16 (vocabSize ≤ 65,536), 2 = uint32
 *   16  8  token count u64 (N)
 *   24  4  vocabSize u32 (V): every id is < V
 *   28  4  reserved u32, 0
 *   32     N tokens, 2 or 4 bytes each
 *
 * The header is a multiple of 4 bytes so the token array is aligned for a typed-array view. Splitting and
 * batching are TokenDataset's job (token-dataset.ts).
 */
import { statSync } from "node:fs";
import { writeFileAtomic } from "./atomic-file.ts";
import { ShardError } from "./errors.ts";

export const SHARD_MAGIC = "FRNOTOK1";
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 32;
const UINT16 = 1;
const UINT32 = 2;

export interface Shard {
  path: string;
  version: number;
  vocabSize: number;
  /** (N,) token ids, a view into the memory-mapped file: do not write to it. */
  tokens: Uint16Array | Uint32Array;
}

/** Writes `tokens` (ids < vocabSize) as a shard, uint16 when vocabSize ≤ 65,536, atomically (temp + rename). */
export function writeShard(path: string, tokens: ArrayLike<number>, vocabSize: number): void {
  if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize >= 2 ** 32) {
    throw new ShardError(`${path}: vocabSize must be an integer in [1, 2^32), got ${vocabSize}`);
  }
  const code = vocabSize <= 65536 ? UINT16 : UINT32;
  const Array_ = code === UINT16 ? Uint16Array : Uint32Array;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!Number.isInteger(t) || t < 0 || t >= vocabSize) {
      throw new ShardError(`${path}: token ${i} is ${t}, expected an integer id in [0, ${vocabSize}); check the tokenizer's vocabulary size`);
    }
  }
  const data = tokens instanceof Array_ ? tokens : Array_.from(tokens);
  const header = new Uint8Array(SHARD_HEADER_BYTES);
  header.set(new TextEncoder().encode(SHARD_MAGIC), 0);
  const view = new DataView(header.buffer);
  view.setUint32(8, SHARD_VERSION, true);
  view.setUint32(12, code, true);
  view.setBigUint64(16, BigInt(data.length), true);
  view.setUint32(24, vocabSize, true);
  writeFileAtomic(path, [header, new Uint8Array(data.buffer, data.byteOffset, data.byteLength)]);
}

/** Memory-maps a shard and returns its tokens as a view (no copy), after checking the header against the file. */
export function openShard(path: string): Shard {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    throw new ShardError(`${path}: cannot open token shard (${(err as Error).message}); check the path`);
  }
  if (size < SHARD_HEADER_BYTES) {
    throw new ShardError(`${path}: truncated token shard: ${size} bytes, shorter than the ${SHARD_HEADER_BYTES}-byte header; re-tokenise this shard`);
  }
  const bytes = Bun.mmap(path);
  const magic = bytes.subarray(0, 8);
  if (new TextDecoder().decode(magic) !== SHARD_MAGIC) {
    const hex = [...magic].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new ShardError(`${path}: not a forno token shard: expected magic "${SHARD_MAGIC}" at byte 0, got bytes ${hex}; write shards with writeShard`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, SHARD_HEADER_BYTES);
  const version = view.getUint32(8, true);
  if (version !== SHARD_VERSION) {
    throw new ShardError(`${path}: unsupported token shard version ${version}; this build reads version ${SHARD_VERSION}; re-tokenise with this forno`);
  }
  const code = view.getUint32(12, true);
  if (code !== UINT16 && code !== UINT32) {
    throw new ShardError(`${path}: corrupt token shard: dtype code ${code}, expected ${UINT16} (uint16) or ${UINT32} (uint32)`);
  }
  const count = view.getBigUint64(16, true);
  const vocabSize = view.getUint32(24, true);
  const item = code === UINT16 ? 2 : 4;
  if (code === UINT16 && vocabSize > 65536) {
    throw new ShardError(`${path}: corrupt token shard: uint16 tokens but vocabSize ${vocabSize} > 65,536`);
  }
  const expected = BigInt(SHARD_HEADER_BYTES) + count * BigInt(item);
  if (BigInt(size) < expected) {
    throw new ShardError(`${path}: truncated token shard: header says ${count} tokens × ${item} bytes + ${SHARD_HEADER_BYTES}-byte header = ${expected} bytes, file has ${size}; re-tokenise this shard`);
  }
  if (BigInt(size) > expected) {
    throw new ShardError(`${path}: corrupt token shard: header says ${count} tokens (${expected} bytes), file has ${size} bytes (${BigInt(size) - expected} extra); re-tokenise this shard`);
  }
  const n = Number(count);
  const tokens = code === UINT16 ? new Uint16Array(bytes.buffer, bytes.byteOffset + SHARD_HEADER_BYTES, n) : new Uint32Array(bytes.buffer, bytes.byteOffset + SHARD_HEADER_BYTES, n);
  return { path, version, vocabSize, tokens };
}
