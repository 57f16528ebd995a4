// Memory-layout moves the convolution gradients need, on flat arrays, where tfjs has
// no direct op: scattering the phases of a strided input gradient into place.
// (Transposes stay tfjs ops: its wasm transpose beat every JS version measured, and
// padding goes into the convolution as explicit padding. Per-pixel subarray().set()
// measured ~10x slower than plain loops for 16-channel blocks.)

/** Where one phase of a strided input gradient lands in dx: rows row0 + sh*m, cols col0 + sw*m. */
export interface Phase {
  row0: number;
  col0: number;
}

/**
 * Scatter phase results [n, qh, qw, c] into a zero-filled out [n, H, W, c] at rows
 * row0 + sh*i and cols col0 + sw*j (the polyphase form of a strided conv's input
 * gradient; positions no phase reaches stay zero).
 */
export function interleave(
  phases: { data: Float32Array; qh: number; qw: number; at: Phase }[],
  n: number,
  H: number,
  W: number,
  c: number,
  sh: number,
  sw: number,
  out: Float32Array,
): void {
  out.fill(0);
  for (const { data, qh, qw, at } of phases) {
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < qh; i++) {
        const row = at.row0 + sh * i;
        let src = ((b * qh + i) * qw) * c;
        let dst = ((b * H + row) * W + at.col0) * c;
        const step = sw * c;
        for (let j = 0; j < qw; j++, dst += step) for (let k = 0; k < c; k++) out[dst + k] = data[src++];
      }
    }
  }
}
