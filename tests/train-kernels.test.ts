// softlab's kernels against references: the convolution gradients (registered for
// wasm, where Conv2DBackpropFilter is missing and Conv2DBackpropInput is slow, and
// for cpu's slow filter gradient) against the cpu backend's own kernels over
// stride, padding and kernel-size cases; dilated convolutions against a direct sum;
// the fused batch-norm kernels (wasm SIMD and JS) against tfjs ops and autodiff.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { startBackend } from '../nodes/train/run.js';
import { useConvGradOverrides } from '../nodes/train/kernels/register.js';
import { conv2dFilterGrad, conv2dInputGrad, convGeometry, dilateSpatial } from '../nodes/train/kernels/conv-grad.js';
import { BN_APPLY, BN_GRAD, BN_TRAIN } from '../nodes/train/kernels/fused.js';
import { Random } from '../runner/random.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  outC: number;
  strides: [number, number];
  pad: Pad;
}

const CASES: Case[] = [
  { x: [2, 8, 8, 3], k: [3, 3], outC: 4, strides: [1, 1], pad: 'same' },
  { x: [2, 8, 8, 3], k: [3, 3], outC: 4, strides: [2, 2], pad: 'same' },
  { x: [2, 9, 7, 2], k: [3, 3], outC: 5, strides: [2, 2], pad: 'same' },
  { x: [2, 9, 7, 2], k: [3, 3], outC: 5, strides: [2, 2], pad: 'valid' },
  { x: [1, 10, 10, 4], k: [1, 1], outC: 6, strides: [2, 2], pad: 'same' },
  { x: [1, 10, 10, 4], k: [1, 1], outC: 6, strides: [1, 1], pad: 'valid' },
  { x: [2, 11, 11, 3], k: [7, 7], outC: 4, strides: [2, 2], pad: 'same' },
  { x: [2, 6, 9, 3], k: [2, 3], outC: 2, strides: [1, 2], pad: 'valid' },
  { x: [1, 12, 12, 2], k: [5, 5], outC: 3, strides: [3, 3], pad: 'same' },
  { x: [2, 7, 7, 3], k: [3, 3], outC: 2, strides: [1, 1], pad: [[0, 0], [2, 0], [1, 1], [0, 0]] },
];

function rand(shape: number[], seed: string): tf.Tensor {
  const r = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => r.normal()), shape);
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) {
    if (Math.abs(a[i] - b[i]) > tol * scale) assert.unreachable(`${what}: [${i}] ${a[i]} vs ${b[i]} (scale ${scale})`);
  }
}

function outShape(c: Case): number[] {
  const g = convGeometry(tf, c.x, [...c.k, c.x[3], c.outC], c.strides, c.pad);
  return [g.batch, g.outH, g.outW, g.outC];
}

function runFilterGrad(c: Case, x: tf.Tensor, dy: tf.Tensor): Float32Array {
  const out = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy } as never, {
    strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: [...c.k, c.x[3], c.outC],
  } as never) as tf.Tensor;
  const v = out.dataSync() as Float32Array;
  out.dispose();
  return v;
}

function runInputGrad(c: Case, dy: tf.Tensor, w: tf.Tensor): Float32Array {
  const out = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w } as never, {
    strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x,
  } as never) as tf.Tensor;
  const v = out.dataSync() as Float32Array;
  out.dispose();
  return v;
}

/** The cpu backend's own kernels, for every case. */
async function references(): Promise<{ dw: Float32Array; dx: Float32Array }[]> {
  await startBackend('cpu');
  useConvGradOverrides('cpu', false);
  const refs = CASES.map((c, i) => {
    const x = rand(c.x, `x${i}`);
    const w = rand([...c.k, c.x[3], c.outC], `w${i}`);
    const dy = rand(outShape(c), `dy${i}`);
    const r = { dw: runFilterGrad(c, x, dy), dx: runInputGrad(c, dy, w) };
    tf.dispose([x, w, dy]);
    return r;
  });
  useConvGradOverrides('cpu', true);
  return refs;
}

test('conv gradients: softlab kernels on wasm and cpu match the cpu backend\'s own', async () => {
  const refs = await references();
  for (const backend of ['cpu', 'wasm'] as const) {
    await startBackend(backend);
    CASES.forEach((c, i) => {
      const what = `${backend} case ${i} ${JSON.stringify(c)}`;
      const x = rand(c.x, `x${i}`);
      const w = rand([...c.k, c.x[3], c.outC], `w${i}`);
      const dy = rand(outShape(c), `dy${i}`);
      close(runFilterGrad(c, x, dy), refs[i].dw, 1e-4, `${what} filter`);
      close(runInputGrad(c, dy, w), refs[i].dx, 1e-4, `${what} input`);
      tf.dispose([x, w, dy]);
    });
  }
});

test('conv gradients through tfjs autodiff on wasm equal those on cpu (uses the registered kernels)', async () => {
  const c = CASES[2];
  const grads = async (backend: 'cpu' | 'wasm') => {
    await startBackend(backend);
    const x = rand(c.x, 'ax');
    const w = rand([...c.k, c.x[3], c.outC], 'aw');
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad as 'same'))));
    const [gx, gw] = g([x, w]);
    const r = [gx.dataSync().slice(), gw.dataSync().slice()];
    tf.dispose([x, w, gx, gw]);
    return r;
  };
  const cpu = await grads('cpu');
  const wasm = await grads('wasm');
  close(wasm[0], cpu[0], 1e-4, 'dx');
  close(wasm[1], cpu[1], 1e-4, 'dw');
});

/** conv2d ('valid', stride 1) with dilation as a direct sum. */
function naiveDilated(x: number[][][][], w: number[][][][], d: number): { y: number[][][][] } {
  const [n, H, W, C] = [x.length, x[0].length, x[0][0].length, x[0][0][0].length];
  const [kh, kw, , O] = [w.length, w[0].length, w[0][0].length, w[0][0][0].length];
  const oh = H - (kh - 1) * d;
  const ow = W - (kw - 1) * d;
  const y = Array.from({ length: n }, () => Array.from({ length: oh }, () => Array.from({ length: ow }, () => new Array<number>(O).fill(0))));
  for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let o = 0; o < O; o++) {
    let s = 0;
    for (let a = 0; a < kh; a++) for (let e = 0; e < kw; e++) for (let ch = 0; ch < C; ch++) s += x[b][i + a * d][j + e * d][ch] * w[a][e][ch][o];
    y[b][i][j][o] = s;
  }
  return { y };
}

test('dilated convolution gradients match finite sums (wasm)', async () => {
  await startBackend('wasm');
  const x = rand([1, 9, 8, 2], 'dx');
  const w = rand([3, 2, 2, 3], 'dw');
  const dil = 2;
  const g = convGeometry(tf, x.shape, w.shape, 1, 'valid', dil);
  const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'valid', 'NHWC', dil);
  const ref = naiveDilated(x.arraySync() as number[][][][], w.arraySync() as number[][][][], dil).y;
  close(y.dataSync(), ref.flat(3), 1e-4, 'forward');
  // L = sum(y * r): dL/dw[a,e,c,o] = sum x[.., i+a*d, j+e*d, c] r[.., i, j, o]
  const r = rand(y.shape, 'dr') as tf.Tensor4D;
  const dw = conv2dFilterGrad(tf, x as tf.Tensor4D, r, g);
  const dx = conv2dInputGrad(tf, r, w as tf.Tensor4D, g);
  // tfjs cannot differentiate dilated convs itself: the loss is linear in x and w,
  // so a unit perturbation changes it by exactly the gradient entry
  const xa = x.arraySync() as number[][][][];
  const wa = w.arraySync() as number[][][][];
  const ra = r.arraySync() as number[][][][];
  const loss = (xx: number[][][][], ww: number[][][][]) => naiveDilated(xx, ww, dil).y.flat(3).reduce((s, v, i) => s + v * ra.flat(3)[i], 0);
  const base = loss(xa, wa);
  const dwv = dw.arraySync() as number[][][][];
  for (const [a, e, ch, o] of [[0, 0, 0, 0], [2, 1, 1, 2], [1, 0, 1, 1]]) {
    const w2 = structuredClone(wa);
    w2[a][e][ch][o] += 1;
    assert.ok(Math.abs(loss(xa, w2) - base - dwv[a][e][ch][o]) < 1e-3, `dw[${a},${e},${ch},${o}]`);
  }
  const dxv = dx.arraySync() as number[][][][];
  for (const [i, j, ch] of [[0, 0, 0], [4, 3, 1], [8, 7, 0], [2, 5, 1]]) {
    const x2 = structuredClone(xa);
    x2[0][i][j][ch] += 1;
    assert.ok(Math.abs(loss(x2, wa) - base - dxv[0][i][j][ch]) < 1e-3, `dx[${i},${j},${ch}]`);
  }
  tf.dispose([x, w, y, r, dw, dx]);
});

/** Batch norm (+ residual, + relu) with tfjs ops, the reference for the fused kernels. */
function bnRef(z: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, r: tf.Tensor | null, relu: boolean, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(z, [0, 1, 2]);
  let y = tf.batchNorm(z, mean, variance, beta, gamma, eps);
  if (r) y = tf.add(y, r);
  return relu ? tf.relu(y) : y;
}

for (const backend of ['wasm', 'cpu'] as const) {
  test(`fused batch norm on ${backend}: forward, inference and gradients match tfjs ops and autodiff`, async () => {
    await startBackend(backend);
    const eps = 1e-5;
    for (const [shape, residual, relu] of [
      [[4, 5, 5, 8], false, true],
      [[4, 5, 5, 8], true, true],
      [[2, 3, 4, 3], false, false],
      [[3, 6, 6, 16], true, true],
      // more pixels than one SIMD summing chunk (1024)
      [[3, 24, 24, 8], false, true],
    ] as [number[], boolean, boolean][]) {
      const what = `${backend} ${shape} residual=${residual} relu=${relu}`;
      const C = shape[3];
      const z = tf.add(tf.mul(rand(shape, `z${what}`), 2), 0.5);
      const gamma = tf.add(rand([C], 'g'), 1);
      const beta = rand([C], 'b');
      const r = residual ? rand(shape, 'r') : null;
      const inputs: Record<string, tf.Tensor> = { z, gamma, beta };
      if (r) inputs.r = r;
      const [y, stats] = tf.engine().runKernel(BN_TRAIN, inputs as never, { relu, epsilon: eps } as never) as tf.Tensor[];
      const yRef = bnRef(z, gamma, beta, r, relu, eps);
      close(y.dataSync(), yRef.dataSync(), 1e-4, `${what} forward`);
      const { mean, variance } = tf.moments(z, [0, 1, 2]);
      close(stats.dataSync().slice(0, C), mean.dataSync(), 1e-4, `${what} mean`);
      close(stats.dataSync().slice(C, 2 * C), variance.dataSync(), 1e-4, `${what} var`);

      // backward against autodiff of the op composition
      const dy = rand(shape, 'dy');
      const [dzRef, dgRef, dbRef, drRef] = r
        ? tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor, rr: tf.Tensor) => tf.sum(tf.mul(bnRef(a, g, b, rr, relu, eps), dy)))([z, gamma, beta, r])
        : [...tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(bnRef(a, g, b, null, relu, eps), dy)))([z, gamma, beta]), tf.zeros([1])];
      const gi: Record<string, tf.Tensor> = { dy, z, stats, gamma };
      if (relu) gi.y = y;
      const out = tf.engine().runKernel(BN_GRAD, gi as never, { relu, residual } as never) as tf.Tensor[];
      close(out[0].dataSync(), dzRef.dataSync(), 2e-4, `${what} dz`);
      close(out[1].dataSync(), dgRef.dataSync(), 2e-4, `${what} dgamma`);
      close(out[2].dataSync(), dbRef.dataSync(), 2e-4, `${what} dbeta`);
      if (residual && relu) close(out[3].dataSync(), drRef.dataSync(), 1e-5, `${what} dr`);

      // inference form: y = act(scale*z + shift [+ r])
      const scale = rand([C], 's');
      const shift = rand([C], 't');
      const ai: Record<string, tf.Tensor> = { z, scale, shift };
      if (r) ai.r = r;
      const ya = tf.engine().runKernel(BN_APPLY, ai as never, { relu } as never) as tf.Tensor;
      let yaRef = tf.add(tf.mul(z, scale), shift);
      if (r) yaRef = tf.add(yaRef, r);
      if (relu) yaRef = tf.relu(yaRef);
      close(ya.dataSync(), yaRef.dataSync(), 1e-5, `${what} apply`);
      tf.dispose([z, gamma, beta, y, stats, yRef, mean, variance, dy, dzRef, dgRef, dbRef, drRef, scale, shift, ya, yaRef, ...out]);
      if (r) r.dispose();
    }
  });
}

test('the tfjs-op dilation (used where softlab kernels are absent) puts zeros between rows and columns', async () => {
  await startBackend('cpu');
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 2, 3, 1]);
  const d = dilateSpatial(tf, x, 2, 3);
  assert.equal(d.shape, [1, 3, 7, 1]);
  assert.equal(Array.from(d.dataSync()), [1, 0, 0, 2, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 5, 0, 0, 6]);
  tf.dispose([x, d]);
});

test.run();
