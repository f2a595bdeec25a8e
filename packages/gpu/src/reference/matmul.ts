/**
 * Float64 references of matmul and linear (kernels/matmul*.wgsl): plain triple loops over row-major
 * arrays, with the same transpose and broadcast conventions as the op, and their analytic backward.
 */

export interface MatmulRefShape {
  /** Batch count; 1 for a 2-D product. */
  Z: number;
  M: number;
  K: number;
  N: number;
  /** a holds (…, K, M) instead of (…, M, K). */
  transA?: boolean;
  /** b holds (…, N, K) instead of (…, K, N). */
  transB?: boolean;
  /** a is one 2-D matrix shared by every batch (broadcast). */
  aShared?: boolean;
  /** b is one 2-D matrix shared by every batch (broadcast). */
  bShared?: boolean;
}

function indexers(s: MatmulRefShape) {
  const { M, K, N } = s;
  const ia = (z: number, m: number, k: number) => (s.aShared ? 0 : z * M * K) + (s.transA ? k * M + m : m * K + k);
  const ib = (z: number, k: number, n: number) => (s.bShared ? 0 : z * K * N) + (s.transB ? n * K + k : k * N + n);
  return { ia, ib };
}

/** C (Z, M, N) = op(a) · op(b) (+ bias (N) on every row). */
export function matmulRef(a: ArrayLike<number>, b: ArrayLike<number>, s: MatmulRefShape, bias?: ArrayLike<number>): Float64Array {
  const { Z, M, K, N } = s;
  const { ia, ib } = indexers(s);
  const c = new Float64Array(Z * M * N);
  for (let z = 0; z < Z; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = bias ? bias[n]! : 0;
        for (let k = 0; k < K; k++) acc += a[ia(z, m, k)]! * b[ib(z, k, n)]!;
        c[(z * M + m) * N + n] = acc;
      }
    }
  }
  return c;
}

/**
 * Gradients of C = op(a)·op(b) given dC (Z, M, N), laid out like a and b (summed over the batch for a
 * shared operand): d op(A)[m, k] = Σ_n dC[m, n]·op(B)[k, n], d op(B)[k, n] = Σ_m op(A)[m, k]·dC[m, n].
 */
export function matmulBackwardRef(a: ArrayLike<number>, b: ArrayLike<number>, dC: ArrayLike<number>, s: MatmulRefShape): { dA: Float64Array; dB: Float64Array } {
  const { Z, M, K, N } = s;
  const { ia, ib } = indexers(s);
  const dA = new Float64Array(s.aShared ? M * K : Z * M * K);
  const dB = new Float64Array(s.bShared ? K * N : Z * K * N);
  for (let z = 0; z < Z; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const g = dC[(z * M + m) * N + n]!;
        for (let k = 0; k < K; k++) {
          dA[ia(z, m, k)] += g * b[ib(z, k, n)]!;
          dB[ib(z, k, n)] += g * a[ia(z, m, k)]!;
        }
      }
    }
  }
  return { dA, dB };
}

/** y (rows, Cout) = x (rows, Cin) · w (Cin, Cout) + bias (Cout). */
export function linearRef(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, rows: number, Cin: number, Cout: number): Float64Array {
  return matmulRef(x, w, { Z: 1, M: rows, K: Cin, N: Cout }, bias ?? undefined);
}

/** Gradients of linear given dy (rows, Cout): dx = dy·wᵀ, dw = xᵀ·dy, dbias = Σ_rows dy. */
export function linearBackwardRef(x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>, rows: number, Cin: number, Cout: number) {
  const { dA, dB } = matmulBackwardRef(x, w, dy, { Z: 1, M: rows, K: Cin, N: Cout });
  const dbias = new Float64Array(Cout);
  for (let r = 0; r < rows; r++) for (let c = 0; c < Cout; c++) dbias[c] += dy[r * Cout + c]!;
  return { dx: dA, dw: dB, dbias };
}
