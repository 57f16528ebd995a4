// The ResNet builder: parameter counts against the published figures (torchvision's
// ResNet-18/50/152 with the 1000-class ImageNet head at 224), the compact net, and
// deterministic structure and weights.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildModel, initWeights, trainableParams } from '../nodes/train/resnet.js';
import { startBackend } from '../nodes/train/run.js';
import { Random } from '../runner/random.js';

test.before(async () => {
  await startBackend('cpu');
});

const PUBLISHED: [string, number][] = [
  ['resnet18', 11.69e6],
  ['resnet50', 25.56e6],
  ['resnet152', 60.19e6],
];

for (const [arch, count] of PUBLISHED) {
  test(`${arch} at 224 with a 1000-class head has ${count / 1e6}M parameters (within 1%)`, () => {
    const m = buildModel(tfl, { arch: arch as 'resnet18', input: 224, channels: 3, classes: 1000 });
    const n = trainableParams(m);
    assert.ok(Math.abs(n - count) / count < 0.01, `${arch}: ${n}`);
    m.dispose();
  });
}

test('exact torchvision counts and the block structure', () => {
  const r18 = buildModel(tfl, { arch: 'resnet18', input: 224, channels: 3, classes: 1000 });
  assert.is(trainableParams(r18), 11_689_512);
  assert.is(r18.layers.filter((l) => l.getClassName() === 'Add').length, 8);
  r18.dispose();
  const r34 = buildModel(tfl, { arch: 'resnet34', input: 224, channels: 3, classes: 1000 });
  assert.is(trainableParams(r34), 21_797_672);
  r34.dispose();
  const r101 = buildModel(tfl, { arch: 'resnet101', input: 224, channels: 3, classes: 1000 });
  assert.is(trainableParams(r101), 44_549_160);
  assert.is(r101.layers.filter((l) => l.getClassName() === 'Add').length, 33);
  r101.dispose();
});

test('compact: 44k parameters at the standard width 12, the 78k yardstick net at 16', () => {
  const std = buildModel(tfl, { arch: 'compact', input: 48, channels: 1, classes: 5 });
  assert.is(trainableParams(std), 43_769);
  std.dispose();
  const m = buildModel(tfl, { arch: 'compact', width: 16, input: 48, channels: 1, classes: 5 });
  assert.is(trainableParams(m), 77_429);
  assert.equal(m.outputs[0].shape, [null, 5]);
  const convs = m.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => (l.getConfig() as { filters: number }).filters);
  assert.equal(convs, [16, 16, 16, 32, 32, 32, 64, 64, 64]);
  const w8 = buildModel(tfl, { arch: 'compact', width: 8, input: 48, channels: 1, classes: 5 });
  assert.ok(trainableParams(w8) < trainableParams(m) / 3);
  m.dispose();
  w8.dispose();
});

test('same spec and seed: same topology and weights; another seed: other weights', async () => {
  const spec = { arch: 'compact' as const, width: 4, input: 16, channels: 1, classes: 3 };
  const a = buildModel(tfl, spec);
  const b = buildModel(tfl, spec);
  const c = buildModel(tfl, spec);
  await initWeights(a, new Random('init:1'));
  await initWeights(b, new Random('init:1'));
  await initWeights(c, new Random('init:2'));
  assert.equal(a.toJSON(null, false), b.toJSON(null, false));
  const flat = (m: tfl.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  assert.equal(flat(a), flat(b));
  assert.not.equal(flat(a), flat(c));
  // He-normal over fan-out for a 3x3x4x4 conv: sd sqrt(2/36)
  const k = a.getLayer('s1b1_1_conv').getWeights()[0].dataSync() as Float32Array;
  const sd = Math.sqrt(k.reduce((s, v) => s + v * v, 0) / k.length);
  assert.ok(sd > 0.12 && sd < 0.35, `sd ${sd}`);
  const g = a.getLayer('stem_bn').getWeights().map((w) => Array.from(w.dataSync()));
  assert.equal(g, [[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]]);
  for (const m of [a, b, c]) m.dispose();
});

test.run();
