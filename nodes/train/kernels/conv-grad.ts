// Convolution gradients built from forward convolutions, which every backend runs
// fast (XNNPACK on wasm). The wasm backend has no Conv2DBackpropFilter at all and a
// naive Conv2DBackpropInput (~1 GFLOP/s against ~13-22 for its conv); the cpu
// backend's filter gradient is extremely slow. Both gradients are re-expressed as
// stride-1 convolutions:
//   filter gradient: the padded input, transposed to [inC, H, W, batch], convolved
//     with the output gradient transposed to [outH, outW, batch, outC] used as a
//     filter dilated by the stride; the result [inC, kh, kw, outC] is transposed back.
//   input gradient: the output gradient convolved with the filter rotated 180 degrees
//     and with in/out swapped; for a strided convolution either split into one small
//     convolution per output phase (polyphase, where softlab's layout kernels exist)
//     or run on the output gradient dilated by the stride (zeros between rows/columns).
// Padding goes into the convolutions as explicit padding, not separate pad passes.

import type * as tfc from '@tensorflow/tfjs-core';
import { INTERLEAVE, layoutKernelsAvailable } from './fused.js';

type TF = typeof tfc;

/** Where a 2-D convolution's windows fall: explicit padding, stride, dilation, sizes. */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  padTop: number;
  padLeft: number;
}

export type PadParam = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

export function convGeometry(
  tf: TF,
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number],
  pad: PadParam,
  dilations: number | [number, number] = 1,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    pad as never,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilationH: info.dilationHeight,
    dilationW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/** Pad (or crop) along H and W so that [top, top+size) of the original maps to [0, size). */
function padOrCrop(tf: TF, x: tfc.Tensor4D, top: number, left: number, height: number, width: number): tfc.Tensor4D {
  const [n, h, w, c] = x.shape;
  const pt = Math.max(top, 0);
  const pl = Math.max(left, 0);
  const pb = Math.max(height - top - h, 0);
  const pr = Math.max(width - left - w, 0);
  let out = pt || pl || pb || pr ? tf.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]]) : x;
  const offH = pt - top;
  const offW = pl - left;
  if (offH !== 0 || offW !== 0 || out.shape[1] !== height || out.shape[2] !== width) {
    out = tf.slice(out, [0, offH, offW, 0], [n, height, width, c]);
  }
  return out;
}

/** Zeros between rows and columns: [n, h, w, c] -> [n, (h-1)*sh+1, (w-1)*sw+1, c]. */
export function dilateSpatial(tf: TF, x: tfc.Tensor4D, sh: number, sw: number): tfc.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  const [n, h, w, c] = x.shape;
  const x6 = tf.reshape(x, [n, h, 1, w, 1, c]);
  const padded = tf.pad(x6, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  const flat = tf.reshape(padded, [n, h * sh, w * sw, c]) as tfc.Tensor4D;
  return tf.slice(flat, [0, 0, 0, 0], [n, (h - 1) * sh + 1, (w - 1) * sw + 1, c]);
}

type Explicit = [[number, number], [number, number], [number, number], [number, number]];

/** Explicit conv padding, or null when a side is negative (then crop first). */
function explicitPad(top: number, bottom: number, left: number, right: number): Explicit | null {
  return top >= 0 && bottom >= 0 && left >= 0 && right >= 0 ? [[0, 0], [top, bottom], [left, right], [0, 0]] : null;
}

/** dL/dfilter of `conv2d(x, filter)` given dL/dy, as one forward convolution. */
export function conv2dFilterGrad(tf: TF, x: tfc.Tensor4D, dy: tfc.Tensor4D, g: ConvGeometry): tfc.Tensor4D {
  if ((g.strideH > 1 || g.strideW > 1) && (g.dilationH > 1 || g.dilationW > 1)) {
    throw new Error('conv2dFilterGrad: a convolution both strided and dilated is not supported');
  }
  return tf.tidy(() => {
    // the input rows/cols the windows touch: (out-1)*stride + (k-1)*dilation + 1
    const needH = (g.outH - 1) * g.strideH + (g.kh - 1) * g.dilationH + 1;
    const needW = (g.outW - 1) * g.strideW + (g.kw - 1) * g.dilationW + 1;
    const top = g.padTop;
    const left = g.padLeft;
    const bottom = needH - top - g.inH;
    const right = needW - left - g.inW;
    // padding goes into the convolution (explicit) rather than a separate pad pass
    const ex = explicitPad(top, bottom, left, right);
    const xp = ex ? x : padOrCrop(tf, x, top, left, needH, needW);
    const pad = ex ?? 'valid';
    const xt = tf.transpose(xp, [3, 1, 2, 0]) as tfc.Tensor4D; // [inC, H, W, batch]
    const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tfc.Tensor4D; // [outH, outW, batch, outC]
    const r = tf.conv2d(xt, dyt, [g.dilationH, g.dilationW], pad, 'NHWC', [g.strideH, g.strideW]); // [inC, kh, kw, outC]
    return tf.transpose(r, [1, 2, 0, 3]);
  });
}

/** The filter rotated 180 degrees with in/out channels swapped: [kh, kw, outC, inC]. */
export function rotateFilter(tf: TF, filter: tfc.Tensor4D): tfc.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]));
}

/** One axis of the polyphase split: for residue r, the taps r, r+s, ... and the dx rows they give. */
interface AxisPhase {
  r: number;
  /** taps in this phase (0: these dx rows get nothing) */
  taps: number;
  /** first q (dx row s*q + r - pad) inside [0, in) and how many */
  q0: number;
  count: number;
  /** explicit padding of dy for a stride-1 conv with the reversed sub-filter */
  padBefore: number;
  padAfter: number;
}

function axisPhases(k: number, s: number, pad: number, inLen: number, outLen: number): AxisPhase[] {
  const out: AxisPhase[] = [];
  for (let r = 0; r < s; r++) {
    const taps = r < k ? Math.ceil((k - r) / s) : 0;
    const q0 = Math.ceil((pad - r) / s);
    const q1 = Math.floor((inLen - 1 + pad - r) / s);
    const count = Math.max(q1 - q0 + 1, 0);
    const padBefore = taps - 1 - q0;
    const padAfter = count - outLen - padBefore + taps - 1;
    out.push({ r, taps, q0, count, padBefore, padAfter });
  }
  return out;
}

/**
 * The input gradient of a strided convolution as s*s small stride-1 convolutions,
 * one per output phase, each with the filter taps that reach it; no multiplications
 * by the zeros a dilated gradient would hold (4x less work at stride 2). The phases
 * are scattered into dx by one kernel. Needs the layout kernels and no dilation.
 */
function polyphaseInputGrad(tf: TF, dy: tfc.Tensor4D, filter: tfc.Tensor4D, g: ConvGeometry): tfc.Tensor4D {
  const rows = axisPhases(g.kh, g.strideH, g.padTop, g.inH, g.outH);
  const cols = axisPhases(g.kw, g.strideW, g.padLeft, g.inW, g.outW);
  const inputs: Record<string, tfc.Tensor> = {};
  const phases: { row0: number; col0: number }[] = [];
  for (const ph of rows) {
    for (const pw of cols) {
      if (ph.taps === 0 || pw.taps === 0 || ph.count === 0 || pw.count === 0) continue;
      // taps r, r+s, ... reversed, in/out swapped: [th, tw, outC, inC]
      const sub = tf.stridedSlice(filter, [ph.r, pw.r, 0, 0], [g.kh, g.kw, g.inC, g.outC], [g.strideH, g.strideW, 1, 1]) as tfc.Tensor4D;
      const f = tf.transpose(tf.reverse(sub, [0, 1]), [0, 1, 3, 2]) as tfc.Tensor4D;
      const ex = explicitPad(ph.padBefore, ph.padAfter, pw.padBefore, pw.padAfter);
      const part = ex
        ? tf.conv2d(dy, f, 1, ex)
        : tf.conv2d(
            padOrCrop(tf, dy, ph.padBefore, pw.padBefore, ph.count + ph.taps - 1, pw.count + pw.taps - 1),
            f,
            1,
            'valid',
          );
      inputs[`p${phases.length}`] = part;
      phases.push({ row0: g.strideH * ph.q0 + ph.r - g.padTop, col0: g.strideW * pw.q0 + pw.r - g.padLeft });
    }
  }
  return tf.engine().runKernel(INTERLEAVE, inputs as never, {
    shape: [g.batch, g.inH, g.inW, g.inC],
    strides: [g.strideH, g.strideW],
    phases,
  } as never) as tfc.Tensor4D;
}

/**
 * dL/dx of `conv2d(x, filter)` given dL/dy, as one stride-1 convolution. Pass a
 * pre-rotated filter (`rotateFilter`) to skip rotating it again.
 */
export function conv2dInputGrad(tf: TF, dy: tfc.Tensor4D, filter: tfc.Tensor4D, g: ConvGeometry, rotated?: tfc.Tensor4D): tfc.Tensor4D {
  return tf.tidy(() => {
    const strided = g.strideH > 1 || g.strideW > 1;
    if (strided && layoutKernelsAvailable() && g.dilationH === 1 && g.dilationW === 1) return polyphaseInputGrad(tf, dy, filter, g);
    const wr = rotated ?? rotateFilter(tf, filter);
    const d = strided ? dilateSpatial(tf, dy, g.strideH, g.strideW) : dy;
    const extH = (g.kh - 1) * g.dilationH;
    const extW = (g.kw - 1) * g.dilationW;
    // the dilated gradient, padded so that a valid conv yields exactly inH x inW
    const top = extH - g.padTop;
    const left = extW - g.padLeft;
    const bottom = g.inH + extH - d.shape[1] - top;
    const right = g.inW + extW - d.shape[2] - left;
    const ex = explicitPad(top, bottom, left, right);
    if (ex) return tf.conv2d(d, wr, 1, ex, 'NHWC', [g.dilationH, g.dilationW]);
    const dp = padOrCrop(tf, d, top, left, g.inH + extH, g.inW + extW);
    return tf.conv2d(dp, wr, 1, 'valid', 'NHWC', [g.dilationH, g.dilationW]);
  });
}
