// gradnorm.final: the global gradient norm from the gradnorm partials, and the clip scale:
//   norm = sqrt(Σ partials),  scale = min(1, maxNorm / (norm + 1e-6))   (norm 0, scale 1 when P = 0)
// @binding(0) params: { P: u32, maxNorm: f32 }   P = partial slots written
// @binding(1) partials: array<f32>, (P) (read)
// @binding(2) norm: array<f32>, (1) (write)
// @binding(3) scale: array<f32>, (1), for the adamw kernel's `scaled` entry (write)
// Workgroup WG (override, a power of two, default 256); dispatch exactly 1 workgroup.
struct Params { P: u32, maxNorm: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> norm: array<f32>;
@group(0) @binding(3) var<storage, read_write> scale: array<f32>;

override WG: u32 = 256;
var<workgroup> sums: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < p.P; i += WG) { s += partials[i]; }
  sums[lid] = s;
  for (var k = WG / 2u; k > 0u; k >>= 1u) {
    workgroupBarrier();
    if (lid < k) { sums[lid] += sums[lid + k]; }
  }
  if (lid == 0u) {
    let total = sqrt(sums[0]);
    norm[0] = total;
    scale[0] = min(1.0, p.maxNorm / (total + 1e-6));
  }
}
