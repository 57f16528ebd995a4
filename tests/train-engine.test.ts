// The fast training engine against tfjs itself: its loss and every weight gradient
// equal tfjs autodiff through the LayersModel (basic and bottleneck ResNets, with
// max-pool, projections and fused BN+add+ReLU), its inference equals
// model.predict, nothing leaks across epochs, and unknown layers fall back to
// autodiff. Also one training step of the study's ResNet-152 at 224.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Engine, type WeightVar } from '../nodes/train/engine.js';
import { buildModel, initWeights } from '../nodes/train/resnet.js';
import { startBackend } from '../nodes/train/run.js';
import { makeTrainer } from '../nodes/train/trainer.js';
import { trainLoop } from '../nodes/train/loop.js';
import { prepareData } from '../nodes/train/data.js';
import { toyDataset } from '../nodes/train/toy-data.js';
import { Random } from '../runner/random.js';

async function model(arch: 'compact' | 'resnet18' | 'resnet50', input: number, width: number, seed = 3): Promise<tfl.LayersModel> {
  const m = buildModel(tfl, { arch, width, input, channels: 1, classes: 3 });
  await initWeights(m, new Random(seed));
  // batch-norm parameters away from 1/0, moving statistics away from 0/1
  const r = new Random(`perturb:${seed}`);
  for (const w of m.weights as unknown as WeightVar[]) {
    const base = w.originalName.split('/').pop()!;
    if (!['gamma', 'beta', 'moving_mean', 'moving_variance'].includes(base)) continue;
    const n = (w.shape as number[]).reduce((a, b) => a * b, 1);
    const lo = base === 'gamma' || base === 'moving_variance' ? 0.5 : -0.5;
    w.write(tf.tensor(Float32Array.from({ length: n }, () => r.uniform(lo, lo + 1)), w.shape as number[]));
  }
  return m;
}

function inputs(batch: number, size: number, seed: string): { x: tf.Tensor4D; t: tf.Tensor2D } {
  const r = new Random(seed);
  const x = tf.tensor4d(Float32Array.from({ length: batch * size * size }, () => r.uniform(0, 255)), [batch, size, size, 1]);
  const t = tf.softmax(tf.tensor2d(Float32Array.from({ length: batch * 3 }, () => r.normal(0, 2)), [batch, 3]));
  return { x, t };
}

function checkAgainstAutodiff(m: tfl.LayersModel, batch: number, size: number, label: string): void {
  const engine = Engine.compile(m);
  if (!(engine instanceof Engine)) throw new Error(engine.unsupported);
  const { x, t } = inputs(batch, size, label);
  const r = engine.trainStep(x, t);
  const weights = m.trainableWeights as unknown as WeightVar[];
  const vars = weights.map((w) => w.read());
  const { value, grads } = tf.variableGrads(() => {
    const p = m.apply(x, { training: true }) as tf.Tensor2D;
    return tf.neg(tf.div(tf.sum(tf.mul(t, tf.log(p))), batch)) as tf.Scalar;
  }, vars);
  assert.ok(Math.abs(r.loss.dataSync()[0] - value.dataSync()[0]) < 1e-4, `${label}: loss`);
  assert.is(r.grads.length, weights.length, `${label}: a gradient for every weight`);
  for (const g of r.grads) {
    const ref = grads[g.v.read().name].dataSync();
    const got = g.grad.dataSync();
    let scale = 1e-3; // gradients near zero (a beta under a saturated softmax) compare absolutely
    for (const v of ref) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < got.length; i++) {
      if (Math.abs(got[i] - ref[i]) > 5e-3 * scale) assert.unreachable(`${label} ${g.v.originalName}[${i}]: ${got[i]} vs ${ref[i]}`);
    }
  }
  tf.dispose([x, t, r.loss, r.probs, value, ...r.grads.map((g) => g.grad), ...r.bnUpdates.map((u) => u.value), ...Object.values(grads)]);
}

test('engine gradients equal tfjs autodiff: compact (wasm), resnet18 (wasm), resnet50 (cpu)', async () => {
  await startBackend('wasm');
  checkAgainstAutodiff(await model('compact', 16, 4), 4, 16, 'compact');
  checkAgainstAutodiff(await model('resnet18', 32, 4), 3, 32, 'resnet18');
  await startBackend('cpu');
  // 64 px: the last stage still normalises over 2x2x2 values per channel
  checkAgainstAutodiff(await model('resnet50', 64, 2), 2, 64, 'resnet50');
});

test('fusion: BN+ReLU and BN+Add+ReLU become one op, projections stay plain BN', async () => {
  await startBackend('wasm');
  const e = Engine.compile(await model('compact', 16, 4)) as Engine;
  // per downsampling block: conv1, bn1+relu, conv2, projection conv, one plain BN,
  // and the other BN fused with the add and the relu
  assert.equal(e.describe(), [
    'input', 'rescale', 'conv', 'bn+relu',
    'conv', 'bn+relu', 'conv', 'bn+add+relu',
    'conv', 'bn+relu', 'conv', 'conv', 'bn', 'bn+add+relu',
    'conv', 'bn+relu', 'conv', 'conv', 'bn', 'bn+add+relu',
    'gap', 'dense',
  ]);
});

test('engine inference equals model.predict (moving statistics)', async () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    await startBackend(backend);
    const m = await model('resnet18', 32, 4, 5);
    const e = Engine.compile(m) as Engine;
    const { x, t } = inputs(3, 32, 'predict');
    const bn = e.inferenceParams();
    const a = e.predict(x, bn).dataSync();
    const b = (m.predict(x) as tf.Tensor).dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-4, `${backend} [${i}] ${a[i]} vs ${b[i]}`);
    for (const p of bn.values()) tf.dispose([p.scale, p.shift]);
    tf.dispose([x, t]);
    m.dispose();
  }
});

test('no tensor leaks: tf.memory().numTensors is flat across epochs (engine and autodiff)', async () => {
  await startBackend('wasm');
  const ds = toyDataset({ perClass: 8, size: 12 });
  const data = prepareData(ds, { target: 'soft', merge: 'study5' });
  for (const forceAutodiff of [false, true]) {
    const m = buildModel(tfl, { arch: 'compact', width: 4, input: 12, channels: 1, classes: 5 });
    await initWeights(m, new Random(1));
    const trainer = makeTrainer(m, { forceAutodiff });
    assert.is(trainer.path, forceAutodiff ? 'autodiff' : 'engine');
    const before = tf.memory().numTensors;
    const res = await trainLoop(trainer, data, ds, {
      epochs: 4, batchSize: 8, seed: 1, input: 12, channels: 1, augment: null,
      optimizer: { name: 'adam', learningRate: 0.01, schedule: 'cosine', weightDecay: 1e-4 },
      validation: true, signal: new AbortController().signal, progress: () => {},
    });
    const t = res.tensorsAfterEpoch;
    assert.ok(t.every((n) => n === t[0]), `${trainer.path}: ${t.join(', ')}`);
    m.dispose();
    // optimizer slots are released at the end; what stays is the model's (now disposed) weights
    assert.ok(tf.memory().numTensors <= before, `${trainer.path}: ${tf.memory().numTensors} > ${before}`);
  }
});

test('layers the engine does not know: autodiff trains the model instead', async () => {
  await startBackend('wasm');
  const input = tfl.input({ shape: [8, 8, 1] });
  let x = tfl.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'tanh' }).apply(input) as tfl.SymbolicTensor;
  x = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 3, activation: 'softmax' }).apply(x) as tfl.SymbolicTensor;
  const m = tfl.model({ inputs: input, outputs: out });
  const trainer = makeTrainer(m);
  assert.is(trainer.path, 'autodiff');
  assert.match(trainer.reason ?? '', /activation tanh/);
  m.dispose();
  await startBackend('cpu');
});

test('resnet152 at 224 builds and trains one step (batch 1, ~15 s)', async () => {
  await startBackend('wasm');
  const m = buildModel(tfl, { arch: 'resnet152', input: 224, channels: 3, classes: 5 });
  await initWeights(m, new Random(1));
  const trainer = makeTrainer(m);
  assert.is(trainer.path, 'engine');
  const { Optimizer } = await import('../nodes/train/optimizer.js');
  const opt = new Optimizer({ name: 'adam', learningRate: 1e-3, schedule: 'constant', weightDecay: 0, totalSteps: 1 });
  const r = new Random('r152');
  const x = tf.tensor4d(Float32Array.from({ length: 224 * 224 * 3 }, () => r.uniform(0, 255)), [1, 224, 224, 3]);
  const t = tf.tensor2d([[0, 0.5, 0.5, 0, 0]]);
  const before = m.getLayer('s3b36_3_conv').getWeights()[0].dataSync().slice(0, 8);
  const out = trainer.step(x, t, opt);
  assert.ok(Number.isFinite(out.loss) && out.loss > 0);
  const after = m.getLayer('s3b36_3_conv').getWeights()[0].dataSync().slice(0, 8);
  assert.not.equal(Array.from(after), Array.from(before), 'the deepest blocks were updated');
  opt.dispose();
  tf.dispose([x, t]);
  m.dispose();
});

test.run();
