/**
 * Embedding lookup: rows of a table (V, C) gathered by integer ids of any shape, e.g. (B, T) token ids
 * into wte (V, C) or positions 0..T-1 into wpe (T, C). An id outside [0, V) reads a zero row and sends
 * no gradient. The backward is a deterministic scatter-add: positions are sorted by token id (stably,
 * ascending within each token) and every dTable element sums its token's rows in that order, so the
 * same ids give bit-identical gradients on every run, without float atomics. The sorted index comes
 * from a CPU counting sort when the caller passes the ids it uploaded (the data loader has them), else
 * from a four-pass counting sort on the GPU (ids that exist only there, e.g. generated tokens); both
 * give the same index, hence the same bits. Tying wte to the output projection is left to the model:
 * autograd adds the two gradients.
 */
import { record } from "../autograd.ts";
import { DtypeError, ShapeError } from "../errors.ts";
import { bindingChunks, params, runtime } from "../runtime.ts";
import { linearGrid, Tensor } from "../tensor.ts";

/** The positions of each token: token v's are sorted[offsets[v] .. offsets[v+1]-1], ascending. */
interface SortedIndex {
  offsets: Tensor; // (V + 1) u32
  sorted: Tensor; // (N) u32
}

function checkTable(op: string, table: Tensor): [number, number] {
  if (table.dtype !== "f32") throw new DtypeError(`${op}: the table must be f32, got ${table.dtype} [${table.shape.join(", ")}]`);
  if (table.shape.length !== 2) throw new ShapeError(op, "a table (V, C)", [table.shape]);
  return [table.shape[0]!, table.shape[1]!];
}

function checkIds(op: string, ids: Tensor, hostIds?: Int32Array): void {
  if (ids.dtype !== "i32") throw new DtypeError(`${op}: ids must be i32, got ${ids.dtype} [${ids.shape.join(", ")}]; upload them from an Int32Array`);
  if (hostIds && hostIds.length !== ids.size) throw new ShapeError(op, "host ids with as many elements as the ids tensor", [ids.shape, [hostIds.length]]);
}

/** out (...ids.shape, C) = table[ids, :]. */
export function embeddingForward(table: Tensor, ids: Tensor): Tensor {
  const [V, C] = checkTable("embedding", table);
  checkIds("embedding", ids);
  const rt = runtime();
  const N = ids.size;
  const out = Tensor.empty([...ids.shape, C]); // (...ids.shape, C) f32
  for (const { start, count } of bindingChunks(V, C * 4)) {
    rt.dispatch({
      kernel: "embedding",
      bindings: [{ buffer: table.buffer, byteOffset: start * C * 4, byteLength: count * C * 4 }, ids, out],
      params: params([N, C, V, start, count]),
      workgroups: linearGrid(N * C),
    });
  }
  return out;
}

/** The CPU counting sort: a stable placement in ascending position order. */
function hostIndex(hostIds: Int32Array, V: number): SortedIndex {
  const offsets = new Uint32Array(V + 1);
  for (const id of hostIds) if (id >= 0 && id < V) offsets[id + 1]++;
  for (let v = 0; v < V; v++) offsets[v + 1] += offsets[v];
  const next = offsets.slice(0, V);
  const sorted = new Uint32Array(Math.max(1, hostIds.length));
  hostIds.forEach((id, n) => {
    if (id >= 0 && id < V) sorted[next[id]++] = n;
  });
  return { offsets: Tensor.from(offsets), sorted: Tensor.from(sorted) };
}

/** The GPU counting sort: count (atomic arrival slots), scan, place by slot, then re-place by rank to make it stable. */
function deviceIndex(ids: Tensor, V: number): SortedIndex {
  const rt = runtime();
  const N = ids.size;
  const counts = Tensor.zeros([V], "u32"); // (V) u32
  const slots = Tensor.empty([N], "u32"); // (N) u32
  const offsets = Tensor.empty([V + 1], "u32"); // (V + 1) u32
  const scratch = Tensor.empty([N], "u32"); // (N) u32
  const sorted = Tensor.empty([N], "u32"); // (N) u32
  const grid = linearGrid(N);
  rt.dispatch({ kernel: "embedding.count", bindings: [ids, counts, slots], params: params([N, V]), workgroups: grid });
  rt.dispatch({ kernel: "embedding.scan", overrides: { WG: 256 }, bindings: [counts, offsets], params: params([V]), workgroups: 1 });
  rt.dispatch({ kernel: "embedding.place", bindings: [ids, offsets, slots, scratch], params: params([N, V]), workgroups: grid });
  rt.dispatch({ kernel: "embedding.rank", bindings: [ids, offsets, scratch, sorted], params: params([N, V]), workgroups: grid });
  for (const t of [counts, slots, scratch]) t.dispose();
  return { offsets, sorted };
}

/**
 * dTable (V, C) = Σ over positions of dOut (...ids.shape, C), by id. Pass `hostIds` (the same ids, on the
 * CPU) to skip the GPU sort: one dispatch instead of six.
 */
export function embeddingBackward(dOut: Tensor, ids: Tensor, V: number, hostIds?: Int32Array): Tensor {
  checkIds("embeddingBackward", ids, hostIds);
  const C = dOut.shape.at(-1) ?? 0;
  if (dOut.size !== ids.size * C) throw new ShapeError("embeddingBackward", "dOut (...ids.shape, C)", [ids.shape, dOut.shape]);
  const rt = runtime();
  const { offsets, sorted } = hostIds ? hostIndex(hostIds, V) : deviceIndex(ids, V);
  const dTable = Tensor.empty([V, C]); // (V, C) f32
  for (const { start, count } of bindingChunks(V, C * 4)) {
    rt.dispatch({
      kernel: "embedding.backward",
      bindings: [offsets, sorted, dOut, { buffer: dTable.buffer, byteOffset: start * C * 4, byteLength: count * C * 4 }],
      params: params([C, start, count]),
      workgroups: linearGrid(count * C),
    });
  }
  offsets.dispose();
  sorted.dispose();
  return dTable;
}

/**
 * Looks up table (V, C) f32 rows by ids (any shape) i32 → (...ids.shape, C). `hostIds`, when given, must
 * hold the same ids as `ids` (the caller uploaded them); it only makes the backward cheaper.
 */
export function embedding(table: Tensor, ids: Tensor, hostIds?: Int32Array): Tensor {
  checkIds("embedding", ids, hostIds);
  const out = embeddingForward(table, ids);
  const V = table.shape[0]!;
  return record(out, "embedding", [table], (dOut) => [embeddingBackward(dOut, ids, V, hostIds)]);
}
