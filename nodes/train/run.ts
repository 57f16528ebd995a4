// The run of `train-onehot` / `train-soft`: read the data, start a backend, build
// (or load) the network, train, and write the model, history, predictions and the
// report. Loaded only when a training actually runs (TensorFlow.js is heavy).

import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { classMerge } from '../../artifacts/classes.js';
import { readDataset, type Dataset } from '../../artifacts/dataset.js';
import { readLabels, type LabelSet } from '../../artifacts/labels.js';
import { writePredictions } from '../../artifacts/predictions.js';
import { UserInputError, type NodeContext } from '../../runner/node-api.js';
import { Random } from '../../runner/random.js';
import { renderVegaLiteSvg } from '../lib/vega-svg.js';
import { selectBackend, type BackendChoice } from './backend.js';
import { curveSpec } from './curve.js';
import { prepareData, type TargetKind, type TrainData } from './data.js';
import { registerTrainingKernels } from './kernels/register.js';
import { trainLoop, type LoopResult } from './loop.js';
import { heldOut, type HeldOut } from './metrics.js';
import type { TrainParams } from './node-def.js';
import { buildModel, initWeights, resolvedWidth, trainableParams, type ArchName } from './resnet.js';
import { loadModelFromDir, saveModel } from './save.js';
import { makeTrainer } from './trainer.js';

/** Start the backend and register softlab's kernels on it. */
export async function startBackend(param: TrainParams['backend']): Promise<BackendChoice> {
  const choice = await selectBackend(param);
  tf.enableProdMode();
  const be = tf.backend() as { firstUse?: boolean };
  if (choice.name === 'cpu' && 'firstUse' in be) be.firstUse = false; // no "install tfjs-node" banner
  registerTrainingKernels(tf.getBackend());
  return choice;
}

/**
 * The network to train: built from `arch`, or a loaded `init` model whose head is
 * replaced (trailing Dense/Activation/Dropout layers dropped, a global pool added if
 * needed, a new softmax head drawn from the seed). An init model is fed raw 0-255
 * pixels, as softlab's own models expect (they rescale inside).
 */
export async function makeModel(
  p: Pick<TrainParams, 'arch' | 'width' | 'input' | 'seed' | 'init'>,
  channels: number,
  classes: number,
  specDir: string,
): Promise<{ model: tfl.LayersModel; origin: string }> {
  const random = new Random(`init:${p.seed}`);
  if (!p.init) {
    const model = buildModel(tfl, { arch: p.arch as ArchName, width: p.width, input: p.input, channels, classes });
    await initWeights(model, random);
    return { model, origin: `${p.arch} (width ${resolvedWidth({ arch: p.arch as ArchName, width: p.width })}), seeded init` };
  }
  const dir = path.resolve(specDir, p.init);
  const base = await loadModelFromDir(tfl, dir, `init ${p.init}`);
  const inShape = base.inputs[0].shape;
  if (inShape.length !== 4) throw new UserInputError(`init ${p.init}: the model takes ${JSON.stringify(inShape)}, not images`);
  if (inShape[1] !== null && inShape[1] !== p.input) {
    throw new UserInputError(`init ${p.init}: the model takes ${inShape[1]}x${inShape[2]} images; set input: ${inShape[1]}`);
  }
  // the body: everything up to (not including) the old head
  const layers = base.layers;
  let cut = layers.length - 1;
  while (cut > 0 && ['Dense', 'Activation', 'Softmax', 'Dropout'].includes(layers[cut].getClassName())) cut--;
  let features = layers[cut].output as tfl.SymbolicTensor;
  if (features.shape.length === 4) features = tfl.layers.globalAveragePooling2d({ name: 'pool_new' }).apply(features) as tfl.SymbolicTensor;
  if (features.shape.length !== 2) throw new UserInputError(`init ${p.init}: cannot find a feature layer before its head`);
  const head = tfl.layers.dense({ name: 'head_new', units: classes, activation: 'softmax', kernelInitializer: 'zeros' });
  const model = tfl.model({ inputs: base.inputs, outputs: head.apply(features) as tfl.SymbolicTensor, name: 'softlab_init' });
  await initWeights(model, random, new Set(['head_new']));
  return { model, origin: `init ${p.init} (${base.layers.length} layers, head replaced)` };
}

function mdTable(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function reportMd(o: {
  target: TargetKind;
  data: TrainData;
  ds: Dataset;
  params: TrainParams;
  paramCount: number;
  origin: string;
  backend: BackendChoice;
  path: string;
  reason?: string;
  loop: LoopResult;
  metrics: HeldOut;
}): string {
  const { data, loop, metrics, params } = o;
  const last = loop.history[loop.history.length - 1];
  const lines: string[] = [];
  if (o.ds.synthetic) lines.push('> **Synthetic data.** These images and labels are generated (a CAFE-shaped simulation), not CAFE.\n');
  lines.push(
    `A ${params.arch} network (${(o.paramCount / 1000).toFixed(1)}k trainable parameters, input ${params.input}x${params.input}) trained on ` +
      `**${o.target === 'onehot' ? 'one-hot targets (plurality label)' : 'soft targets (the label distribution)'}** from ${data.source}, ` +
      `${data.train.index.length} training images, ${params.epochs} epochs, held out: ${data.test.index.length} test-split images.`,
  );
  lines.push('');
  lines.push('![Training curve](curve.svg)');
  lines.push('');
  lines.push(
    mdTable(
      ['held-out measure', 'value'],
      [
        ['accuracy (vs human plurality)', pct(metrics.accuracy)],
        ['macro F1', pct(metrics.f1Macro)],
        ['mean L1 to the human distribution', metrics.l1Mean.toFixed(4)],
        ['loss (soft cross-entropy)', metrics.loss.toFixed(4)],
        ['final train accuracy', last ? pct(last.train_accuracy) : '-'],
      ],
    ),
  );
  lines.push('');
  lines.push(
    mdTable(
      ['class', 'F1'],
      data.classes.map((c, i) => [c, metrics.f1[i] === null ? '-' : pct(metrics.f1[i]!)]),
    ),
  );
  lines.push('');
  const tried = o.backend.attempts.filter((a) => !a.ok).map((a) => `${a.candidate} (${a.reason})`);
  lines.push(
    `Backend **${o.backend.name}** (${o.backend.provider})${tried.length ? `; not used: ${tried.join('; ')}` : ''}. ` +
      `Training path: ${o.path === 'engine' ? "softlab's fused engine" : `tfjs autodiff (${o.reason})`}. ` +
      `${Math.round(loop.imagesPerSecond)} training images/s, ${loop.trainSeconds.toFixed(1)} s of training. Model: ${o.origin}.`,
  );
  if (data.skipped.unknown || data.skipped.heldOut) {
    lines.push('');
    lines.push(`Label items skipped: ${data.skipped.unknown} not in the dataset, ${data.skipped.heldOut} in the test split (never trained on).`);
  }
  return lines.join('\n') + '\n';
}

export async function runTraining(ctx: NodeContext<TrainParams>, target: TargetKind): Promise<void> {
  const p = ctx.params;
  const ds = await readDataset(ctx.inputs.dataset);
  let labels: LabelSet | undefined;
  if (ctx.inputs.labels) labels = await readLabels(ctx.inputs.labels);
  const data = prepareData(ds, { target, merge: p.merge, labels, labelsSource: ctx.inputs.labels?.source });
  if (data.skipped.unknown) ctx.log.warn(`${data.skipped.unknown} label items name images not in the dataset; skipped`);
  if (data.skipped.heldOut) ctx.log.info(`${data.skipped.heldOut} label items are test-split images; not trained on`);
  const classes = data.classes.length;

  const backend = await startBackend(p.backend);
  ctx.annotate('backend', backend.name);
  for (const a of backend.attempts) if (!a.ok) ctx.log.info(`backend ${a.candidate} not used: ${a.reason}`);

  const { model, origin } = await makeModel(p, ds.channels, classes, ctx.specDir);
  const modelChannels = model.inputs[0].shape[3] ?? ds.channels;
  const trainer = makeTrainer(model);
  if (trainer.path === 'autodiff') ctx.log.info(`training with tfjs autodiff: ${trainer.reason}`);
  const paramCount = trainableParams(model);

  const loop = await trainLoop(trainer, data, { pixels: ds.pixels, height: ds.height, width: ds.width, channels: ds.channels }, {
    epochs: p.epochs,
    batchSize: p.batch_size,
    seed: p.seed,
    input: p.input,
    channels: modelChannels,
    augment: p.augment,
    optimizer: { name: p.optimizer, learningRate: p.learning_rate, schedule: p.lr_schedule, weightDecay: p.weight_decay },
    validation: p.validation,
    signal: ctx.signal,
    progress: (d, t, label) => ctx.progress(d, t, label),
  });
  const metrics = heldOut(loop.testProbs, data.test.human, data.test.targets, classes);

  const info = {
    arch: p.arch,
    width: p.init ? null : resolvedWidth({ arch: p.arch, width: p.width }),
    input: p.input,
    target,
    backend: backend.name,
    training_path: trainer.path,
    params: paramCount,
    epochs: p.epochs,
    seed: p.seed,
    optimizer: p.optimizer,
    learning_rate: p.learning_rate,
    lr_schedule: p.lr_schedule,
    merge: data.merge,
    target_source: data.source,
    synthetic: ds.synthetic,
    init: p.init,
    preprocess: 'raw 0-255 pixels; the model rescales them itself',
  };
  await saveModel(model, ctx.outputs.model, { softlab: { ...info, classes: data.classes } });
  // the history artifact holds what training computed, not how long it took: wall-clock
  // figures would make equal runs (another machine, a Slurm job) differ byte for byte
  const epochs = loop.history.map(({ seconds: _s, images_per_second: _ips, ...rest }) => rest);
  await ctx.outputs.history.writeJson('history.json', { ...info, classes: data.classes, epochs });
  await ctx.report.writeJson('timing.json', { epochs: loop.history.map((h) => ({ epoch: h.epoch, seconds: h.seconds, images_per_second: h.images_per_second })) });
  await writePredictions(ctx.outputs.predictions, {
    classes: data.classes,
    model: info,
    items: data.test.ids.map((id, i) => ({ imageId: id, probs: Array.from(loop.testProbs[i], (v) => Number(v.toPrecision(7))) })),
  });

  const title = `${target === 'onehot' ? 'One-hot' : 'Soft'} targets · ${p.arch}${ds.synthetic ? ' · synthetic data' : ''}`;
  await ctx.report.writeFile('curve.svg', await renderVegaLiteSvg(curveSpec(loop.history, title)));
  await ctx.report.writeFile(
    'report.md',
    reportMd({ target, data, ds, params: p, paramCount, origin, backend, path: trainer.path, reason: trainer.reason, loop, metrics }),
  );
  await ctx.summary({
    backend: backend.name,
    arch: p.arch,
    params: paramCount,
    target,
    epochs: p.epochs,
    train_images: data.train.index.length,
    test_images: data.test.index.length,
    classes: data.classes,
    test_accuracy: metrics.accuracy,
    test_f1_macro: metrics.f1Macro,
    test_l1_mean: metrics.l1Mean,
    test_loss: metrics.loss,
    final_train_accuracy: loop.history.at(-1)?.train_accuracy ?? null,
    images_per_second: loop.imagesPerSecond,
    train_seconds: loop.trainSeconds,
    training_path: trainer.path,
    synthetic: ds.synthetic,
    merge: classMerge(data.merge).name,
  });
  model.dispose();
}
