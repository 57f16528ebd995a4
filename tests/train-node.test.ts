// train-onehot / train-soft as nodes: they learn a plainly visible toy task, write
// every output, give identical predictions for identical params, differ only in
// their targets, stop on cancel, train on a label set, start from a saved model.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeDataset, type Dataset } from '../artifacts/dataset.js';
import { writeLabels, type LabelSet } from '../artifacts/labels.js';
import type { PredictionSet } from '../artifacts/predictions.js';
import { folderInput, folderOutput } from '../runner/folder-io.js';
import { CancelledError, type InputHandle } from '../runner/node-api.js';
import { fillParams, validateParams } from '../runner/spec/params.js';
import trainOnehot from '../nodes/train-onehot.js';
import trainSoft from '../nodes/train-soft.js';
import { toyDataset } from '../nodes/train/toy-data.js';
import { prepareData } from '../nodes/train/data.js';
import { makeTestContext } from './helpers/node-context.js';

const FAST = { arch: 'compact', width: 4, input: 16, epochs: 6, batch_size: 16, learning_rate: 0.01, backend: 'wasm', augment: { shift: 0.05, rotate: 5 } };

let root: string;
let ds: Dataset;
let dataset: InputHandle;

test.before(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'softlab-train-node-'));
  ds = toyDataset({ perClass: 24, size: 16 });
  await writeDataset(folderOutput(path.join(root, 'ds')), ds);
  dataset = await folderInput(path.join(root, 'ds'), 'dataset', 'toy.dataset');
});

test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function runNode(def: typeof trainSoft, params: Record<string, unknown>, inputs: Record<string, InputHandle> = { dataset }, signal?: AbortSignal) {
  const r = await makeTestContext(def, { params, inputs, signal });
  await def.run(r.ctx);
  return r;
}

async function readJson<T>(dir: string, file: string): Promise<T> {
  return JSON.parse(await readFile(path.join(dir, file), 'utf8')) as T;
}

test('params: defaults fill in, unknown keys and bad values are rejected', () => {
  const p = fillParams(trainSoft, {}) as Record<string, any>;
  assert.is(p.arch, 'compact');
  assert.is(p.backend, 'auto');
  assert.equal(p.augment, { flip: true, shift: 0, rotate: 0, brightness: 0 });
  assert.is(p.width, null);
  assert.throws(() => fillParams(trainSoft, { epoch: 3 }), /unknown param "epoch"/);
  assert.throws(() => fillParams(trainSoft, { arch: 'vgg16' }), /arch/);
  assert.throws(() => fillParams(trainSoft, { augment: { flipp: true } }), /flipp/);
  for (const prop of Object.values(trainSoft.params.properties)) assert.ok((prop as { description?: string }).description);
  assert.equal(validateParams(trainSoft, { arch: 'resnet18', input: 16 }).problems, [
    { path: ['input'], message: 'resnet18 downsamples 32x; use input >= 32 (or arch: compact)' },
  ]);
  assert.equal(trainSoft.fileDeps!({ init: 'models/base' } as never), ['models/base']);
});

test('soft and one-hot data differ only in the targets', () => {
  const soft = prepareData(ds, { target: 'soft', merge: 'study5' });
  const hard = prepareData(ds, { target: 'onehot', merge: 'study5' });
  assert.equal(soft.train.index, hard.train.index);
  assert.equal(soft.test.index, hard.test.index);
  assert.equal(soft.test.human, hard.test.human);
  soft.train.targets.forEach((t, i) => {
    const h = hard.train.targets[i];
    let best = 0;
    for (let k = 1; k < t.length; k++) if (t[k] > t[best]) best = k;
    assert.equal(Array.from(h), Array.from(t, (_, k) => (k === best ? 1 : 0)));
    assert.ok(Math.abs(t.reduce((a, b) => a + b, 0) - 1) < 1e-6);
  });
  assert.ok(soft.train.targets.some((t) => t.some((v) => v > 0 && v < 1)), 'some soft targets are not one-hot');
});

test('train-soft learns the toy task and writes every output', async () => {
  const r = await runNode(trainSoft, FAST);
  const s = r.summary!;
  assert.is(s.backend, 'wasm');
  assert.is(r.info.backend, 'wasm');
  assert.is(s.training_path, 'engine');
  assert.is(s.train_images, ds.images.filter((i) => i.split === 'train').length);
  assert.is(s.test_images, ds.images.filter((i) => i.split === 'test').length);
  // 5 merged classes: chance is about 0.2-0.3 here
  assert.ok((s.test_accuracy as number) >= 0.8, `held-out accuracy ${s.test_accuracy}`);
  assert.ok((s.test_l1_mean as number) < 0.8, `mean L1 ${s.test_l1_mean}`);
  for (const k of ['params', 'epochs', 'test_f1_macro', 'images_per_second']) assert.type(s[k], 'number');

  const preds = await readJson<PredictionSet>(r.outDirs.predictions, 'predictions.json');
  assert.equal(preds.classes, ['happy', 'neutral', 'sad', 'fear+surprise', 'anger+disgust']);
  assert.is(preds.items.length, s.test_images);
  assert.is(preds.model.target, 'soft');
  assert.is(preds.model.backend, 'wasm');
  assert.is(preds.model.arch, 'compact');
  for (const it of preds.items) assert.ok(Math.abs(it.probs.reduce((a, b) => a + b, 0) - 1) < 1e-4);

  const hist = await readJson<{ epochs: { train_loss: number; val_loss: number; val_accuracy: number }[] }>(r.outDirs.history, 'history.json');
  assert.is(hist.epochs.length, 6);
  assert.ok(hist.epochs[5].train_loss < hist.epochs[0].train_loss);
  assert.type(hist.epochs[0].val_accuracy, 'number');

  const model = await readJson<{ modelTopology: unknown; weightsManifest: { paths: string[] }[] }>(r.outDirs.model, 'model.json');
  assert.equal(model.weightsManifest[0].paths, ['weights.bin']);
  const svg = await readFile(path.join(r.outDirs.report, 'curve.svg'), 'utf8');
  assert.match(svg, /^<svg/);
  const md = await readFile(path.join(r.outDirs.report, 'report.md'), 'utf8');
  assert.match(md, /Synthetic data/);
  assert.match(md, /!\[Training curve\]\(curve\.svg\)/);
  assert.not.match(md, /^# /m);

  // the saved model, loaded back, predicts what predictions.json says
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  const { loadModelFromDir } = await import('../nodes/train/save.js');
  const { renderBatch } = await import('../nodes/train/augment.js');
  const loaded = await loadModelFromDir(tfl, r.outDirs.model, 'model');
  const testIdx = ds.images.map((img, i) => (img.split === 'test' ? i : -1)).filter((i) => i >= 0);
  const x = tf.tensor4d(renderBatch(ds, testIdx, 16, 1, null, null), [testIdx.length, 16, 16, 1]);
  const p = loaded.predict(x) as import('@tensorflow/tfjs-core').Tensor;
  const got = p.arraySync() as number[][];
  got.forEach((row, i) => row.forEach((v, k) => assert.ok(Math.abs(v - preds.items[i].probs[k]) < 1e-4, `image ${i} class ${k}: ${v} vs ${preds.items[i].probs[k]}`)));
  x.dispose();
  p.dispose();
  loaded.dispose();
  await r.cleanup();
});

test('identical params and seed give identical predictions; one-hot differs only in its targets', async () => {
  const params = { ...FAST, epochs: 2 };
  const a = await runNode(trainOnehot, params);
  const b = await runNode(trainOnehot, params);
  const s = await runNode(trainSoft, params);
  const pa = await readJson<PredictionSet>(a.outDirs.predictions, 'predictions.json');
  const pb = await readJson<PredictionSet>(b.outDirs.predictions, 'predictions.json');
  const ps = await readJson<PredictionSet>(s.outDirs.predictions, 'predictions.json');
  assert.equal(pa.items, pb.items);
  const wa = await readFile(path.join(a.outDirs.model, 'weights.bin'));
  const wb = await readFile(path.join(b.outDirs.model, 'weights.bin'));
  assert.ok(wa.equals(wb), 'weights identical');
  assert.is(pa.model.target, 'onehot');
  const { target: _t1, target_source: _s1, ...restA } = pa.model;
  const { target: _t2, target_source: _s2, ...restS } = ps.model;
  assert.equal(restA, restS, 'same configuration apart from the target');
  const ma = await readFile(path.join(a.outDirs.model, 'model.json'), 'utf8');
  const ms = await readFile(path.join(s.outDirs.model, 'model.json'), 'utf8');
  assert.equal(JSON.parse(ma).modelTopology, JSON.parse(ms).modelTopology);
  assert.not.equal(pa.items, ps.items, 'the targets change what is learned');
  for (const r of [a, b, s]) await r.cleanup();
});

test('cancelling stops between batches', async () => {
  const ac = new AbortController();
  const r = await makeTestContext(trainSoft, { params: { ...FAST, epochs: 50 }, inputs: { dataset }, signal: ac.signal });
  const progress = r.ctx.progress;
  let calls = 0;
  (r.ctx as { progress: typeof progress }).progress = (d, t, l) => {
    progress(d, t, l);
    if (++calls === 3) ac.abort();
  };
  const t0 = performance.now();
  await trainSoft.run(r.ctx).then(
    () => assert.unreachable('should have been cancelled'),
    (e) => assert.instance(e, CancelledError),
  );
  assert.is(calls, 3, 'no batch after the cancel');
  assert.ok(performance.now() - t0 < 20000);
  assert.match(r.progress[0].label ?? '', /^epoch 1\/50 · loss \d+\.\d\d · acc \d\.\d\d · \d+ img\/s$/);
  await r.cleanup();
});

test('a label set replaces the lab counts: only its train-split images, its classes; resizing; no validation', async () => {
  const items = ds.images
    .map((img, i) => ({ img, i }))
    .filter(({ i }) => i % 3 === 0)
    .map(({ img }) => ({ imageId: img.id, probs: [0.2, 0.2, 0.2, 0.2, 0.2], label: 0, n: 5 }));
  items.push({ imageId: 'not-in-dataset', probs: [1, 0, 0, 0, 0], label: 0, n: 1 });
  const labels: LabelSet = { classes: ['happy', 'neutral', 'sad', 'fear+surprise', 'anger+disgust'], merge: 'study5', method: 'soft', origin: 'crowd', items };
  await writeLabels(folderOutput(path.join(root, 'labels')), labels);
  const lab = await folderInput(path.join(root, 'labels'), 'labels', 'crowd.labels');
  // also: images resized (16 -> 20 px) and no per-epoch validation
  const r = await runNode(trainSoft, { ...FAST, epochs: 1, input: 20, validation: false }, { dataset, labels: lab });
  const expected = ds.images.filter((img, i) => i % 3 === 0 && img.split === 'train').length;
  assert.is(r.summary!.train_images, expected);
  const hist = await readJson<{ input: number; epochs: { val_loss: number | null; val_accuracy: number | null }[] }>(r.outDirs.history, 'history.json');
  assert.is(hist.input, 20);
  assert.equal([hist.epochs[0].val_loss, hist.epochs[0].val_accuracy], [null, null]);
  const preds = await readJson<PredictionSet>(r.outDirs.predictions, 'predictions.json');
  assert.is(preds.items.length, ds.images.filter((img) => img.split === 'test').length, 'test predictions are made without validation too');
  assert.ok(r.logs.some((l) => /1 label items name images not in the dataset/.test(l)));
  const md = await readFile(path.join(r.outDirs.report, 'report.md'), 'utf8');
  assert.match(md, /labels \(crowd, soft\)/);
  await r.cleanup();

  const bad: LabelSet = { ...labels, classes: ['a', 'b', 'c', 'd', 'e'] };
  await writeLabels(folderOutput(path.join(root, 'labels-bad')), bad);
  const badIn = await folderInput(path.join(root, 'labels-bad'), 'labels', 'crowd.labels');
  const r2 = await makeTestContext(trainSoft, { params: { ...FAST, epochs: 1 }, inputs: { dataset, labels: badIn } });
  await trainSoft.run(r2.ctx).then(
    () => assert.unreachable(),
    (e) => {
      assert.is(e.name, 'UserInputError');
      assert.match(e.message, /^crowd\.labels: classes \[a, b, c, d, e\] do not match merge "study5"/);
    },
  );
  await r2.cleanup();
});

test('init: training starts from a saved model with its head replaced', async () => {
  const first = await runNode(trainSoft, { ...FAST, epochs: 2 });
  const r = await makeTestContext(trainOnehot, { params: { ...FAST, epochs: 1, merge: 'none', init: first.outDirs.model }, inputs: { dataset } });
  await trainOnehot.run(r.ctx);
  assert.is(r.summary!.classes && (r.summary!.classes as string[]).length, 7);
  const model = await readJson<{ modelTopology: { config: { layers: { config: { name: string } }[] } } }>(r.outDirs.model, 'model.json');
  const names = model.modelTopology.config.layers.map((l) => l.config.name);
  assert.ok(names.includes('head_new'), 'new head');
  assert.ok(names.includes('s1b1_1_conv'), 'body kept');
  assert.is(r.summary!.training_path, 'engine');
  const missing = await makeTestContext(trainSoft, { params: { ...FAST, init: path.join(root, 'nope') }, inputs: { dataset } });
  await trainSoft.run(missing.ctx).then(
    () => assert.unreachable(),
    (e) => assert.match(e.message, /^init .*nope: cannot read/),
  );
  for (const x of [first, r, missing]) await x.cleanup();
});

test.run();
