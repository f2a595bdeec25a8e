/**
 * matmul: C = op(A) · op(B), 2-D (M, K)·(K, N) → (M, N) or batched (Z, M, K)·(Z, K, N) → (Z, M, N), where
 * op() optionally transposes the last two axes and a 2-D operand is broadcast against a batched one.
 * Transposes and broadcasting are element strides handed to the kernels, never copies, so the backward
 * pass (dA = dC·op(B)ᵀ, dB = op(A)ᵀ·dC) is three matmuls' worth of the same kernels.
 *
 * Three kernels compute the same thing (see their header comments for the measurements):
 * - "naive"   (kernels/matmul.wgsl): one output per invocation; the correctness and benchmark baseline.
 * - "tiled"   (kernels/matmul.tiled.wgsl): workgroup-memory tiles + register blocking, for real GPUs.
 * - "texture" (kernels/matmul.pack.wgsl then matmul.texture.wgsl): op(B), and op(A) when it fits one
 *             texture, packed into rgba32float textures every call, the kernel's main written out with one
 *             variable per accumulator (unrolledMain); the fast path on llvmpipe.
 *             When op(B)'s rows already are the texture's rows (weights in the forward, dY in dW = Xᵀ·dY)
 *             a buffer-to-texture copy replaces the pack kernel: in a `tiny` training step (load 5) the 34
 *             copies took 9 ms against 13 ms for the 17 packs left, and the step 11% less CPU time.
 * `defaultVariant()` picks by adapter. The bias epilogue (for `linear`, in linear.ts) is fused into all three.
 */
import { record } from "../autograd.ts";
import { DtypeError, ShapeError } from "../errors.ts";
import { params, runtime, type BufferView } from "../runtime.ts";
import { elementwiseGrid, linearGrid, Tensor } from "../tensor.ts";

export type MatmulVariant = "naive" | "tiled" | "texture";

export interface MatmulOptions {
  /** Use Aᵀ: `a` holds (…, K, M). Default false. */
  transA?: boolean;
  /** Use Bᵀ: `b` holds (…, N, K). Default false. */
  transB?: boolean;
  /** Force a kernel (tests, benchmarks); default `defaultVariant()`. */
  variant?: MatmulVariant;
}

/**
 * One (batched) product in element strides: op(A)[z, m, k] = a[z·sAb + m·sAm + k·sAk] and
 * op(B)[z, k, n] = b[z·sBb + k·sBk + n·sBn] (a batch stride of 0 broadcasts). C is (Z, M, N) row-major.
 */
export interface MatmulProblem {
  a: BufferView;
  b: BufferView;
  c: BufferView;
  /** (N) f32 added to every row of C, or null. */
  bias: BufferView | null;
  Z: number;
  M: number;
  N: number;
  K: number;
  sAb: number;
  sAm: number;
  sAk: number;
  sBb: number;
  sBk: number;
  sBn: number;
}

/** The kernel for this adapter: textures on CPU adapters (llvmpipe), workgroup tiles on real GPUs. */
export function defaultVariant(): MatmulVariant {
  return runtime().info.isCpu ? "texture" : "tiled";
}

/** Records the dispatches computing `p.c` with the given kernel. */
export function matmulDispatch(p: MatmulProblem, variant: MatmulVariant = defaultVariant()): void {
  if (p.Z * p.M * p.N === 0) return;
  const rt = runtime();
  const HAS_BIAS = p.bias !== null;
  // Layout "auto" wants every declared binding bound: without a bias, `a` stands in and is never read.
  const bindings = [p.a, p.b, p.bias ?? p.a, p.c];
  const strides = [p.M, p.N, p.K, p.sAb, p.sAm, p.sAk, p.sBb, p.sBk, p.sBn];
  const layout = variant === "texture" && p.K > 0 ? textureLayout(p.sBb === 0 ? 1 : p.Z, p.K, p.N, rt.device.limits.maxTextureDimension2D) : null;
  if (layout) return textureDispatch(p, layout);
  if (variant === "naive") {
    rt.dispatch({ kernel: "matmul", defines: { HAS_BIAS: `${HAS_BIAS}` }, bindings, params: params(strides), workgroups: [Math.ceil(p.N / 16), Math.ceil(p.M / 16), p.Z] });
    return;
  }
  // "tiled", and "texture" problems whose op(B) cannot fit one texture of this adapter.
  rt.dispatch({
    kernel: "matmul.tiled",
    defines: { HAS_BIAS: `${HAS_BIAS}`, A_K_FAST: `${p.sAk === 1}`, B_N_FAST: `${p.sBn === 1}` },
    bindings,
    params: params(strides),
    workgroups: [Math.ceil(p.N / 64), Math.ceil(p.M / 64), p.Z],
  });
}

/** Where op(B)'s chunks go in the packed texture (see kernels/matmul.texture.wgsl); H rows of K per dispatch. */
interface TextureLayout {
  N4: number;
  W: number;
  H: number;
  PC: number;
  QX: number;
  width: number;
  height: number;
}

/** Chunks op(B) (Zb batches × N4 texels) so no texture side exceeds `maxDim`; null when it cannot. */
function textureLayout(Zb: number, K: number, N: number, maxDim: number): TextureLayout | null {
  const N4 = Math.ceil(N / 4);
  const W = Math.min(N4, maxDim);
  const PC = Math.ceil(N4 / W);
  const QX = Math.floor(maxDim / W);
  const chunks = Zb * PC;
  const chunkRows = Math.ceil(chunks / QX);
  const H = Math.min(Math.ceil(K / 4) * 4, Math.floor(maxDim / chunkRows / 4) * 4);
  return H < 4 ? null : { N4, W, H, PC, QX, width: Math.min(chunks, QX) * W, height: chunkRows * H };
}

// Scratch textures by role and size, reused across calls: every call re-packs (or copies) before reading,
// and the queue runs dispatches in order, so reuse is safe within and across command buffers (it is never
// a stale cache).
const scratch = new Map<string, GPUTexture>();

function scratchTexture(role: "a" | "b", width: number, height: number): GPUTexture {
  const key = `${role} ${width}x${height}`;
  let t = scratch.get(key);
  if (!t) {
    const usage = GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_DST;
    t = runtime().device.createTexture({ size: [width, height], format: "rgba32float", usage, label: `matmul scratch ${key}` });
    scratch.set(key, t);
  }
  return t;
}

/**
 * Whether op(B) can be copied into the texture as it is, instead of packed by a kernel: its rows are the
 * texture's rows (not transposed, one batch, one chunk, one K range) and the copy's alignment rules hold
 * (rows a multiple of 256 bytes apart, a 16-byte aligned start, whole texels so no zeros are needed).
 */
function copiesAsIs(p: MatmulProblem, l: TextureLayout): boolean {
  return p.sBn === 1 && p.sBk === p.N && (p.sBb === 0 || p.Z === 1) && l.PC === 1 && p.K <= l.H && p.K % 4 === 0 && p.N % 64 === 0 && (p.b.byteOffset ?? 0) % 16 === 0;
}

/**
 * op(A) in an rgba32float texture as it lies in memory (see matmul.texture.wgsl), copied when its rows
 * allow, else packed by matmul.pack (op(A) read as a "B" whose rows are A's memory rows); null when the
 * product is batched over A or A does not fit one texture: loadA then reads the buffer.
 */
function aTexture(p: MatmulProblem, form: ALoadForm): { view: GPUTextureView; form: "rows" | "cols" } | null {
  if (form === "scalar" || (p.sAb !== 0 && p.Z > 1)) return null;
  const rt = runtime();
  // rows form: M rows of K; columns form: K rows of M (op(A) = Aᵀ as stored).
  const [rows, width, rowStride, along] = form === "rows" ? [p.M, p.K, p.sAm, p.sAk] : [p.K, p.M, p.sAk, p.sAm];
  const maxDim = rt.device.limits.maxTextureDimension2D;
  const W = Math.ceil(width / 4);
  if (rows > maxDim || W > maxDim) return null;
  const texture = scratchTexture("a", W, rows);
  if (along === 1 && rowStride === width && width % 64 === 0 && (p.a.byteOffset ?? 0) % 16 === 0) rt.copyToTexture(p.a, texture, W, rows);
  else {
    const view = texture.createView();
    rt.dispatch({
      kernel: "matmul.pack",
      bindings: [p.a, view],
      params: params([rows, width, W, 0, rowStride, along, W, rows, 1, 1, 0]),
      workgroups: [Math.ceil(W / 64), rows, 1],
    });
  }
  return { view: texture.createView(), form };
}

function textureDispatch(p: MatmulProblem, l: TextureLayout): void {
  const rt = runtime();
  const texture = scratchTexture("b", l.width, l.height);
  const tex = texture.createView();
  const copy = copiesAsIs(p, l);
  const chunking = [l.W, l.H, l.PC, l.QX];
  const Zb = p.sBb === 0 ? 1 : p.Z;
  const form = aLoadForm(p);
  const aTex = aTexture(p, form);
  const vec4C = p.N % 4 === 0;
  const defines = {
    ...UNROLLED,
    HAS_BIAS: `${p.bias !== null}`,
    A_BINDING: aTex ? "@group(0) @binding(1) var a: texture_storage_2d<rgba32float, read>;" : `@group(0) @binding(1) var<storage, read> a: array<${form === "scalar" ? "f32" : "vec4f"}>;`,
    LOAD_A: aTex ? LOAD_A_TEXTURE[aTex.form] : LOAD_A[form],
    C_ELEM: vec4C ? "vec4f" : "f32",
    STORE_C: vec4C ? STORE_C_VEC4 : STORE_C_SCALAR,
  };
  // TN texels (4·TN columns) per invocation. Workgroups split the N4 / TN invocation columns into as few
  // equal parts (at most 96 invocations, a multiple of 8) as fit, so a width like 1152 (288 texels) is not
  // rounded up to 512 columns of duplicated work, and a small N gets a small workgroup rather than idle lanes.
  const cols = Math.ceil(l.N4 / TN);
  const nx = Math.ceil(cols / 96);
  const WG = Math.ceil(cols / nx / 8) * 8;
  // K beyond one texture's height: one pack + matmul per H rows, each adding into C after the first.
  for (let k0 = 0; k0 < p.K; k0 += l.H) {
    const kLen = Math.min(l.H, Math.ceil((p.K - k0) / 4) * 4);
    if (copy) rt.copyToTexture(p.b, texture, l.N4, p.K);
    else rt.dispatch({
      kernel: "matmul.pack",
      bindings: [p.b, tex],
      params: params([p.K, p.N, l.N4, p.sBb, p.sBk, p.sBn, ...chunking, k0]),
      workgroups: [Math.ceil(l.N4 / 64), kLen, Zb],
    });
    rt.dispatch({
      kernel: "matmul.texture",
      defines: { ...defines, ACCUMULATE: `${k0 > 0}` },
      overrides: { WG },
      // Layout "auto" wants every declared binding bound: without a bias, op(B)'s buffer stands in, unread.
      bindings: [aTex ? aTex.view : p.a, tex, p.bias ?? p.b, p.c],
      params: params([p.M, p.N, p.K, l.N4, p.sAb, p.sAm, p.sAk, ...chunking, Zb === 1 ? 0 : 1, k0, kLen]),
      workgroups: [nx, Math.ceil(p.M / TM), p.Z],
    });
  }
}

// Rows and texel columns of C per invocation of matmul.texture (see its header for the measurements).
const TM = 8;
const TN = 4;

/** matmul.texture's main, written out: one variable per accumulator (Mesa keeps arrays in memory). */
function unrolledMain(tm: number, tn: number): Record<string, string | number> {
  const rows = [...Array(tm).keys()];
  const cols = [...Array(tn).keys()];
  const step: string[] = [];
  for (let g = 0; g < tm / 4; g++) step.push(`let av${g} = loadA(zA, m0 + ${4 * g}u, ka);`);
  for (let kk = 0; kk < 4; kk++) {
    for (const j of cols) step.push(`let b${j}_${kk} = textureLoad(bt, vec2u(t${j}.x, t${j}.y + k + ${kk}u));`);
    for (const r of rows) for (const j of cols) step.push(`acc${r}_${j} += av${r >> 2}[${r & 3}][${kk}] * b${j}_${kk};`);
  }
  const decls = cols.map((j) => `let t${j} = texelOrigin(z, n0 + ${j}u * WG);`);
  for (const r of rows) for (const j of cols) decls.push(`var acc${r}_${j} = vec4f(0.0);`);
  const stores = rows.map((r) => `if (m0 + ${r}u < p.M) { ${cols.map((j) => `store4((rowC + m0 + ${r}u) * p.N, (n0 + ${j}u * WG) * 4u, acc${r}_${j});`).join(" ")} }`);
  return { TM: tm, TN: tn, ACCUMULATORS: decls.join("\n  "), K_STEP: step.join("\n    "), STORES: stores.join("\n  ") };
}
const UNROLLED = unrolledMain(TM, TN);

// The two bodies of matmul.texture's store4 (define STORE_C): one aligned vec4, or four guarded scalars.
const STORE_C_VEC4 = `if (n >= p.N) { return; }
  var w = v;
  if (ACCUMULATE) { w += c[(row + n) / 4u]; } else if (HAS_BIAS) { w += vec4f(bias[n], bias[n + 1u], bias[n + 2u], bias[n + 3u]); }
  c[(row + n) / 4u] = w;`;
const STORE_C_SCALAR = `for (var e = 0u; e < 4u; e++) {
    if (n + e < p.N) {
      var w = v[e];
      if (ACCUMULATE) { w += c[row + n + e]; } else if (HAS_BIAS) { w += bias[n + e]; }
      c[row + n + e] = w;
    }
  }`;

/**
 * How the texture kernel loads its 4×4 op(A) blocks (the body of loadA, define LOAD_A): "rows", four
 * aligned vec4 loads along K (op(A) rows contiguous: forward and dX); "cols", four aligned vec4 loads along
 * M, transposed in registers (op(A) columns contiguous: transA, dW = Xᵀ·dY); "scalar", any strides.
 */
type ALoadForm = "rows" | "cols" | "scalar";

function aLoadForm(p: MatmulProblem): ALoadForm {
  if (p.sAk === 1 && p.K % 4 === 0 && p.sAm % 4 === 0 && p.sAb % 4 === 0) return "rows";
  if (p.sAm === 1 && p.sAk % 4 === 0 && p.sAb % 4 === 0) return "cols";
  return "scalar";
}

/** loadA bodies reading op(A) from its texture (binding `a` then is a read-only storage texture; see matmul.texture.wgsl). */
const LOAD_A_TEXTURE: Record<"rows" | "cols", string> = {
  rows: `let kq = k / 4u;
  let r = min(vec4u(m0) + vec4u(0u, 1u, 2u, 3u), vec4u(p.M - 1u));
  return mat4x4f(textureLoad(a, vec2u(kq, r.x)), textureLoad(a, vec2u(kq, r.y)), textureLoad(a, vec2u(kq, r.z)), textureLoad(a, vec2u(kq, r.w)));`,
  cols: `let mq = min(m0, p.M - 1u) / 4u;
  let ks = min(vec4u(k) + vec4u(0u, 1u, 2u, 3u), vec4u(p.K - 1u));
  let z = vec4f(0.0);
  return transpose(mat4x4f(select(z, textureLoad(a, vec2u(mq, ks.x)), k < p.K), select(z, textureLoad(a, vec2u(mq, ks.y)), k + 1u < p.K),
                           select(z, textureLoad(a, vec2u(mq, ks.z)), k + 2u < p.K), select(z, textureLoad(a, vec2u(mq, ks.w)), k + 3u < p.K)));`,
};

const LOAD_A: Record<ALoadForm, string> = {
  rows: `let r0 = zA + k;
  let rows = min(vec4u(m0) + vec4u(0u, 1u, 2u, 3u), vec4u(p.M - 1u)) * p.sAm + r0;
  return mat4x4f(a[rows.x / 4u], a[rows.y / 4u], a[rows.z / 4u], a[rows.w / 4u]);`,
  cols: `let s = p.sAk / 4u;
  let c0 = (zA + m0) / 4u;
  let ks = min(vec4u(k) + vec4u(0u, 1u, 2u, 3u), vec4u(p.K - 1u));
  let z = vec4f(0.0);
  return transpose(mat4x4f(select(z, a[c0 + ks.x * s], k < p.K), select(z, a[c0 + ks.y * s], k + 1u < p.K),
                           select(z, a[c0 + ks.z * s], k + 2u < p.K), select(z, a[c0 + ks.w * s], k + 3u < p.K)));`,
  scalar: `var t: mat4x4f;
  for (var r = 0u; r < 4u; r++) {
    let row = zA + min(m0 + r, p.M - 1u) * p.sAm;
    for (var e = 0u; e < 4u; e++) { let i = k + e; t[r][e] = select(0.0, a[row + min(i, p.K - 1u) * p.sAk], i < p.K); }
  }
  return t;`,
};

/** Validates op(a)·op(b) and returns [Z, M, K, N] (Z = 0 for a 2-D product). */
function matmulShape(a: Tensor, b: Tensor, transA: boolean, transB: boolean): [number, number, number, number] {
  a.assertDtype("matmul", "f32");
  b.assertDtype("matmul", "f32");
  const fit = (s: readonly number[]) => s.length === 2 || s.length === 3;
  const za = a.shape.length === 3 ? a.shape[0]! : 0;
  const zb = b.shape.length === 3 ? b.shape[0]! : 0;
  const [M, Ka] = transA ? [a.shape.at(-1)!, a.shape.at(-2)!] : [a.shape.at(-2)!, a.shape.at(-1)!];
  const [Kb, N] = transB ? [b.shape.at(-1)!, b.shape.at(-2)!] : [b.shape.at(-2)!, b.shape.at(-1)!];
  if (!fit(a.shape) || !fit(b.shape) || Ka !== Kb || (za && zb && za !== zb)) {
    const want = `op(a) (M, K) or (Z, M, K) and op(b) (K, N) or (Z, K, N) with equal K and Z (transA=${transA}, transB=${transB})`;
    throw new ShapeError("matmul", want, [a.shape, b.shape]);
  }
  return [za || zb, M, Ka, N];
}

/** op(a)·op(b) without autograd: (M, K)·(K, N) → (M, N) f32, batched → (Z, M, N) f32. */
export function matmulForward(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const { transA = false, transB = false } = opts;
  const [Z, M, K, N] = matmulShape(a, b, transA, transB);
  const c = Tensor.empty(Z ? [Z, M, N] : [M, N]); // (Z, M, N) f32
  const [sAm, sAk] = transA ? [1, M] : [K, 1];
  const [sBk, sBn] = transB ? [1, K] : [N, 1];
  const sAb = a.shape.length === 3 ? M * K : 0;
  const sBb = b.shape.length === 3 ? K * N : 0;
  matmulDispatch({ a, b, c, bias: null, Z: Math.max(Z, 1), M, N, K, sAb, sAm, sAk, sBb, sBk, sBn }, opts.variant);
  return c;
}

/** out[c] = Σ_r x[r, c]: x (R, C) f32 → (C) f32. */
export function columnSum(x: Tensor): Tensor {
  if (x.shape.length !== 2) throw new ShapeError("columnSum", "a 2-D (R, C) tensor", [x.shape]);
  x.assertDtype("columnSum", "f32");
  const [R, C] = x.shape as [number, number];
  const out = Tensor.empty([C]); // (C) f32
  if (C === 0) return out;
  const g = elementwiseGrid(C);
  const WG = runtime().info.isCpu ? 8 : 64;
  runtime().dispatch({ kernel: "matmul.sumrows", defines: g.defines, overrides: { WG }, bindings: [x, out], params: params([R, g.units]), workgroups: linearGrid(g.units, WG) });
  return out;
}

/** Sums a (Z, R, C) gradient over Z when its operand was a broadcast 2-D (R, C) tensor. */
function unbroadcast(g: Tensor, like: Tensor): Tensor {
  if (g.shape.length === like.shape.length) return g;
  const s = columnSum(g.reshape([g.shape[0]!, g.size / g.shape[0]!])).reshape(like.shape);
  g.dispose();
  return s;
}

/**
 * Gradients of C = op(a)·op(b) given dC (same shape as C): [dA, dB] shaped like a and b.
 * d op(A) = dC·op(B)ᵀ and d op(B) = op(A)ᵀ·dC, transposed back when the operand was stored transposed.
 */
export function matmulBackward(a: Tensor, b: Tensor, dC: Tensor, opts: MatmulOptions = {}): [Tensor, Tensor] {
  const { transA = false, transB = false, variant } = opts;
  const dA = transA ? matmulForward(b, dC, { transA: transB, transB: true, variant }) : matmulForward(dC, b, { transB: !transB, variant });
  let dB: Tensor;
  if (b.shape.length === 2 && a.shape.length === 3 && !transA) {
    // Broadcast b, A (Z, M, K) row-major: summing over Z folds into the contraction over Z·M rows.
    const rows = a.shape[0]! * a.shape[1]!;
    const a2 = a.reshape([rows, a.shape[2]!]); // (Z·M, K)
    const g2 = dC.reshape([rows, dC.shape[2]!]); // (Z·M, N)
    dB = transB ? matmulForward(g2, a2, { transA: true, variant }) : matmulForward(a2, g2, { transA: true, variant });
  } else {
    dB = transB ? matmulForward(dC, a, { transA: true, transB: transA, variant }) : matmulForward(a, dC, { transA: !transA, variant });
  }
  return [unbroadcast(dA, a), unbroadcast(dB, b)];
}

/** op(a)·op(b) with autograd. a: (M, K) | (Z, M, K), b: (K, N) | (Z, K, N) (pre-transpose shapes) → (M, N) | (Z, M, N). */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const c = matmulForward(a, b, opts);
  return record(c, "matmul", [a, b], (dC) => matmulBackward(a, b, dC, opts));
}
