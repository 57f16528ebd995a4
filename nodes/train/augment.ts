// Builds input batches: each image resampled to the model's input size through one
// affine map (resize, and for training a random flip, shift and rotation) with
// bilinear interpolation and clamped edges, then a random brightness factor.
// Draws come from a seeded Random, so a seed fixes every augmented pixel.

import type { Random } from '../../runner/random.js';

export interface AugmentParams {
  /** mirror left-right with probability 1/2 */
  flip: boolean;
  /** largest shift, as a fraction of the image size */
  shift: number;
  /** largest rotation, degrees */
  rotate: number;
  /** brightness factor drawn from [1 - b, 1 + b] */
  brightness: number;
}

export interface ImageSource {
  pixels: Uint8Array;
  height: number;
  width: number;
  channels: number;
}

interface Transform {
  flip: boolean;
  dx: number;
  dy: number;
  angle: number;
  gain: number;
}

const IDENTITY: Transform = { flip: false, dx: 0, dy: 0, angle: 0, gain: 1 };

export function drawTransform(aug: AugmentParams, size: number, rng: Random): Transform {
  return {
    flip: aug.flip && rng.bool(0.5),
    dx: rng.uniform(-1, 1) * aug.shift * size,
    dy: rng.uniform(-1, 1) * aug.shift * size,
    angle: (rng.uniform(-1, 1) * aug.rotate * Math.PI) / 180,
    gain: 1 + rng.uniform(-1, 1) * aug.brightness,
  };
}

/**
 * Write image `index` of `src`, transformed, as floats 0..255 into `out` at `offset`
 * ([size, size, outChannels]). Grey to colour repeats the channel; colour to grey
 * takes the luma (0.299 R + 0.587 G + 0.114 B).
 */
export function renderImage(src: ImageSource, index: number, size: number, outChannels: number, t: Transform, out: Float32Array, offset: number): void {
  const { height: H, width: W, channels: C } = src;
  const base = index * H * W * C;
  const px = src.pixels;
  const same = t === IDENTITY || (!t.flip && t.dx === 0 && t.dy === 0 && t.angle === 0 && t.gain === 1);
  if (same && H === size && W === size && C === outChannels) {
    for (let i = 0; i < size * size * C; i++) out[offset + i] = px[base + i];
    return;
  }
  const co = (size - 1) / 2;
  const cx = (W - 1) / 2;
  const cy = (H - 1) / 2;
  const kx = W / size;
  const ky = H / size;
  const cos = Math.cos(t.angle);
  const sin = Math.sin(t.angle);
  const vals = new Float32Array(C);
  let o = offset;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      // inverse map: undo the shift, then the rotation, then the flip
      const ax = u - co - t.dx;
      const ay = v - co - t.dy;
      let rx = cos * ax + sin * ay;
      const ry = -sin * ax + cos * ay;
      if (t.flip) rx = -rx;
      let sx = cx + rx * kx;
      let sy = cy + ry * ky;
      sx = sx < 0 ? 0 : sx > W - 1 ? W - 1 : sx;
      sy = sy < 0 ? 0 : sy > H - 1 ? H - 1 : sy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = x0 + 1 < W ? x0 + 1 : x0;
      const y1 = y0 + 1 < H ? y0 + 1 : y0;
      const fx = sx - x0;
      const fy = sy - y0;
      const p00 = base + (y0 * W + x0) * C;
      const p01 = base + (y0 * W + x1) * C;
      const p10 = base + (y1 * W + x0) * C;
      const p11 = base + (y1 * W + x1) * C;
      for (let c = 0; c < C; c++) {
        const top = px[p00 + c] + (px[p01 + c] - px[p00 + c]) * fx;
        const bot = px[p10 + c] + (px[p11 + c] - px[p10 + c]) * fx;
        const val = (top + (bot - top) * fy) * t.gain;
        vals[c] = val < 0 ? 0 : val > 255 ? 255 : val;
      }
      if (outChannels === C) for (let c = 0; c < C; c++) out[o++] = vals[c];
      else if (C === 1) for (let c = 0; c < outChannels; c++) out[o++] = vals[0];
      else if (outChannels === 1) out[o++] = 0.299 * vals[0] + 0.587 * vals[1] + 0.114 * vals[2];
      else throw new Error(`cannot map ${C} channels to ${outChannels}`);
    }
  }
}

/** A batch [indices.length, size, size, outChannels]; `aug` null renders plain (resized) images. */
export function renderBatch(
  src: ImageSource,
  indices: readonly number[],
  size: number,
  outChannels: number,
  aug: AugmentParams | null,
  rng: Random | null,
): Float32Array {
  const per = size * size * outChannels;
  const out = new Float32Array(indices.length * per);
  indices.forEach((idx, k) => {
    const t = aug && rng ? drawTransform(aug, size, rng) : IDENTITY;
    renderImage(src, idx, size, outChannels, t, out, k * per);
  });
  return out;
}
