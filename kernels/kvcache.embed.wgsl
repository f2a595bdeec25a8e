// kvcache.embed: the decode step's input rows, x[b, :] = wte[token_b, :] + wpe[pos_b, :].
// token_b = tokens[b · tstride]: the host's rowinfo (tstride 4), or the sampler's output of the previous
// step (tstride 2), so pipelined steps feed each sampled token to the next step without the host.
// The token table may exceed one storage binding (GPT-2's is 154 MB), so the host binds it in chunks of
// `count` rows starting at row `start`, one dispatch per chunk; a row is written by the chunk holding its
// token, so together the dispatches write every row once.
// @binding(0) params: { rows: u32, C: u32, start: u32, count: u32, tstride: u32 }
// @binding(1) rowinfo: array<u32>, (rows, 4): [token, slot, pos, unused] per row (read)
// @binding(2) tokens: array<u32>, (rows, tstride), the token in word 0 of each row (read)
// @binding(3) wte: array<f32>, (count, C) rows start .. start + count of the (V, C) table (read)
// @binding(4) wpe: array<f32>, (Tctx, C) position table (read)
// @binding(5) x: array<f32>, (rows, C) row-major (write)
// Workgroup 256, one invocation per (b, c); dispatch linearGrid(rows·C) per chunk.
struct Params { rows: u32, C: u32, start: u32, count: u32, tstride: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rowinfo: array<u32>;
@group(0) @binding(2) var<storage, read> tokens: array<u32>;
@group(0) @binding(3) var<storage, read> wte: array<f32>;
@group(0) @binding(4) var<storage, read> wpe: array<f32>;
@group(0) @binding(5) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i >= p.rows * p.C) { return; }
  let b = i / p.C;
  let c = i % p.C;
  let token = tokens[b * p.tstride];
  if (token < p.start || token >= p.start + p.count) { return; }
  x[i] = wte[(token - p.start) * p.C + c] + wpe[rowinfo[b * 4u + 2u] * p.C + c];
}
