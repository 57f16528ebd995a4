// Batch-norm arithmetic on flat channels-last arrays (element i belongs to channel
// i % C). Pure functions over typed arrays: the fused kernels call them on the
// backend's memory, the tests call them on plain arrays. Sums accumulate in float64.

/** Per-channel batch mean, biased variance and 1/sqrt(var + eps), written to stats[0..C), [C..2C), [2C..3C). */
export function bnStats(z: Float32Array, C: number, eps: number, stats: Float32Array): void {
  const s = new Float64Array(C);
  const q = new Float64Array(C);
  const n = z.length;
  for (let i = 0; i < n; i += C) {
    for (let c = 0; c < C; c++) {
      const v = z[i + c];
      s[c] += v;
      q[c] += v * v;
    }
  }
  const m = n / C;
  for (let c = 0; c < C; c++) {
    const mean = s[c] / m;
    const v = Math.max(q[c] / m - mean * mean, 0);
    stats[c] = mean;
    stats[C + c] = v;
    stats[2 * C + c] = 1 / Math.sqrt(v + eps);
  }
}

/**
 * y = act(scale*z + shift [+ r]) per channel. The ReLU is written branch-free as
 * (v + |v|)/2 (exact in floating point): with signs at random a compare-and-branch
 * mispredicts half the time and runs ~3x slower.
 */
export function bnApply(
  z: Float32Array,
  C: number,
  scale: Float32Array,
  shift: Float32Array,
  r: Float32Array | null,
  relu: boolean,
  y: Float32Array,
): void {
  const n = z.length;
  if (r) {
    if (relu) {
      for (let i = 0; i < n; i += C) {
        for (let c = 0; c < C; c++) {
          const v = z[i + c] * scale[c] + shift[c] + r[i + c];
          y[i + c] = 0.5 * (v + Math.abs(v));
        }
      }
    } else {
      for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) y[i + c] = z[i + c] * scale[c] + shift[c] + r[i + c];
    }
  } else if (relu) {
    for (let i = 0; i < n; i += C) {
      for (let c = 0; c < C; c++) {
        const v = z[i + c] * scale[c] + shift[c];
        y[i + c] = 0.5 * (v + Math.abs(v));
      }
    }
  } else {
    for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) y[i + c] = z[i + c] * scale[c] + shift[c];
  }
}

export interface BnGradOut {
  dz: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  /** the gradient reaching the residual input (dy masked by the relu), or null */
  dr: Float32Array | null;
}

/**
 * Backward of y = act(gamma*xhat + beta [+ r]), xhat = (z - mean)*invstd with batch
 * statistics. `y` (the forward output) gives the relu mask; null means no relu.
 */
export function bnGrad(
  dy: Float32Array,
  y: Float32Array | null,
  z: Float32Array,
  stats: Float32Array,
  gamma: Float32Array,
  C: number,
  out: BnGradOut,
): void {
  const n = z.length;
  const m = n / C;
  const sg = new Float64Array(C);
  const sgz = new Float64Array(C);
  const { dr, dz } = out;
  // pass 1: the relu-masked gradient g (kept in dz, and in dr when the residual needs
  // it) and its sums; sum(g*z) is centred afterwards: sum g*(z-mean) = sgz - mean*sg.
  // The mask is a multiply by +(y > 0), branch-free for the same reason as bnApply.
  const gbuf = dr ?? dz;
  if (y) {
    for (let i = 0; i < n; i += C) {
      for (let c = 0; c < C; c++) {
        const g = dy[i + c] * +(y[i + c] > 0);
        sg[c] += g;
        sgz[c] += g * z[i + c];
        gbuf[i + c] = g;
      }
    }
  } else {
    for (let i = 0; i < n; i += C) {
      for (let c = 0; c < C; c++) {
        const g = dy[i + c];
        sg[c] += g;
        sgz[c] += g * z[i + c];
      }
    }
  }
  // dz = a*g + b + d*z, with a = gamma*invstd
  const A = new Float32Array(C);
  const B = new Float32Array(C);
  const D = new Float32Array(C);
  for (let c = 0; c < C; c++) {
    const mean = stats[c];
    const inv = stats[2 * C + c];
    const dbeta = sg[c];
    const dgamma = (sgz[c] - mean * sg[c]) * inv;
    out.dbeta[c] = dbeta;
    out.dgamma[c] = dgamma;
    const a = gamma[c] * inv;
    A[c] = a;
    B[c] = (a * (inv * dgamma * mean - dbeta)) / m;
    D[c] = (-a * inv * dgamma) / m;
  }
  const g = y ? gbuf : dy;
  for (let i = 0; i < n; i += C) for (let c = 0; c < C; c++) dz[i + c] = A[c] * g[i + c] + B[c] + D[c] * z[i + c];
}
