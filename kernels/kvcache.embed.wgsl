// kvcache.embed: the decode step's input rows, x[b, :] = wte[token_b, :] + wpe[pos_b, :].
// token_b = tokens[b · tstride]: the host's rowinfo (tstride 4), or the sampler's output of the previous
// step (tstride 2), so pipelined steps feed each sampled token to the next step without the host.
// The token table may exceed one storage binding (GPT-2's is 154 MB), so the host binds it in chunks of
// `count` rows starting at row `start`, one dispatch per chunk; a row is written by the chunk holding its
// token, so together the dispatches write every row once.
// One invocation per vec4 of x: on llvmpipe each load at a per-invocation address costs about the same
// whatever its width, so vec4s need a quarter of the loads that single floats do.
// The first chunk's dispatch also stores the previous decode step's new keys and values into the KV cache
// (kvcache.store.wgsl's statements, STORE_BINDINGS from binding 6 and STORES; empty when none are pending),
// which saves a dispatch per step (each costs tens of µs on llvmpipe).
// @binding(0) params: { rows: u32, C4: u32, start: u32, count: u32, tstride: u32, srows: u32, W: u32 }
//             C4 = C / 4; srows rows of W = 2·C4 texels to store (0 when none)
// @binding(1) rowinfo: array<u32>, (rows, 4): [token, slot, pos, unused] per row (read)
// @binding(2) tokens: array<u32>, (rows, tstride), the token in word 0 of each row (read)
// @binding(3) wte: array<vec4f>, (count, C4) rows start .. start + count of the (V, C) table (read)
// @binding(4) wpe: array<vec4f>, (Tctx, C4) position table (read)
// @binding(5) x: array<vec4f>, (rows, C4) row-major (write)
// Workgroup 64, one invocation per (b, c4) and per stored texel; dispatch linearGrid(max(rows·C4,
// srows·W), 64) per chunk.
struct Params { rows: u32, C4: u32, start: u32, count: u32, tstride: u32, srows: u32, W: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> rowinfo: array<u32>;
@group(0) @binding(2) var<storage, read> tokens: array<u32>;
@group(0) @binding(3) var<storage, read> wte: array<vec4f>;
@group(0) @binding(4) var<storage, read> wpe: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> x: array<vec4f>;
{{STORE_BINDINGS}}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 64u + gid.x;
  {{STORES}}
  if (i >= p.rows * p.C4) { return; }
  let b = i / p.C4;
  let c = i % p.C4;
  let token = tokens[b * p.tstride];
  if (token < p.start || token >= p.start + p.count) { return; }
  x[i] = wte[(token - p.start) * p.C4 + c] + wpe[rowinfo[b * 4u + 2u] * p.C4 + c];
}
