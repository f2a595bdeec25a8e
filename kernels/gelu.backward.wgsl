// gelu.backward: dx[i] = dout[i] · d/dx [0.5·x·(1 + tanh(u))], u = √(2/π)·(x + 0.044715·x³).
// With s(z) = sigmoid(z) and 0.5·(1 + tanh(u)) = s(2u), 0.5·(1 − tanh²(u)) = 2·s(2u)·s(−2u), so
//   d/dx = s(2u) + 2·x·s(2u)·s(−2u)·du/dx,   du/dx = √(2/π)·(1 + 3·0.044715·x²).
// Both sigmoids are evaluated directly (never as 1 − s), so neither tail cancels. Where |2u| > 80 the
// product term is below 1e-32 and is taken as 0: that keeps it finite when x² or x³ overflow f32.
// @binding(0) params: { n: u32 }   n = element count, in units of E
// @binding(1) x: array<E>, n elements, the forward input (read)
// @binding(2) dout: array<E>, n elements, d(loss)/d(out) (read)
// @binding(3) dx: array<E>, n elements, d(loss)/d(x) (write)
// Define E: vec4f when the f32 count is a multiple of 4, else f32 (elementwiseGrid in tensor.ts).
// Workgroup 256; dispatch linearGrid(n): ceil(n / 256) along x, wrapping into y past 65535.
alias E = {{E}};
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<E>;
@group(0) @binding(2) var<storage, read> dout: array<E>;
@group(0) @binding(3) var<storage, read_write> dx: array<E>;

const SQRT_2_OVER_PI = 0.7978845608028654;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.y * 65535u * 256u + gid.x;
  if (i >= p.n) { return; }
  let v = x[i];
  let u2 = 2.0 * SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
  let sp = 1.0 / (1.0 + exp(clamp(-u2, E(-80.0), E(80.0))));
  let sn = 1.0 / (1.0 + exp(clamp(u2, E(-80.0), E(80.0))));
  let dudx = SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * v * v);
  let tail = select(2.0 * v * sp * sn * dudx, E(0.0), abs(u2) > E(80.0));
  dx[i] = dout[i] * (sp + tail);
}
