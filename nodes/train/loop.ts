// The epoch loop: shuffled, augmented mini-batches (the last partial batch is
// dropped so every step has the same shape and batch-norm statistics stay sound),
// per-batch progress and cancellation, a held-out pass per epoch, and the history.

import * as tf from '@tensorflow/tfjs-core';
import { argmax } from '../../artifacts/classes.js';
import { throwIfAborted } from '../../runner/node-api.js';
import { Random } from '../../runner/random.js';
import { renderBatch, type AugmentParams, type ImageSource } from './augment.js';
import type { TrainData } from './data.js';
import { crossEntropy } from './metrics.js';
import { Optimizer, type OptimizerConfig } from './optimizer.js';
import type { Trainer } from './trainer.js';

export interface EpochRecord {
  epoch: number;
  learning_rate: number;
  train_loss: number;
  train_accuracy: number;
  /** held-out (test split) loss against the training-kind targets; null without validation */
  val_loss: number | null;
  val_accuracy: number | null;
  seconds: number;
  images_per_second: number;
}

export interface LoopOptions {
  epochs: number;
  batchSize: number;
  seed: number;
  input: number;
  channels: number;
  augment: AugmentParams | null;
  optimizer: Omit<OptimizerConfig, 'totalSteps'>;
  validation: boolean;
  signal: AbortSignal;
  progress(done: number, total: number, label: string): void;
}

export interface LoopResult {
  history: EpochRecord[];
  /** softmax per test image (test order) */
  testProbs: Float32Array[];
  /** training images per second over all epochs (training steps only, wall clock) */
  imagesPerSecond: number;
  trainSeconds: number;
  steps: number;
  /** tf.memory().numTensors after each epoch: flat when nothing leaks */
  tensorsAfterEpoch: number[];
}

const EVAL_BATCH = 64;

/** Softmax outputs for `indices`, in inference mode. */
export function predictAll(trainer: Trainer, src: ImageSource, indices: number[], input: number, channels: number, classes: number, signal?: AbortSignal): Float32Array[] {
  const out: Float32Array[] = [];
  const release = trainer.beginInference();
  try {
    for (let s = 0; s < indices.length; s += EVAL_BATCH) {
      if (signal) throwIfAborted(signal);
      const idx = indices.slice(s, s + EVAL_BATCH);
      const pixels = renderBatch(src, idx, input, channels, null, null);
      const x = tf.tensor4d(pixels, [idx.length, input, input, channels]);
      const p = trainer.predict(x);
      x.dispose();
      for (let k = 0; k < idx.length; k++) out.push(p.subarray(k * classes, (k + 1) * classes));
    }
  } finally {
    release();
  }
  return out;
}

function fmt(x: number, d = 2): string {
  return Number.isFinite(x) ? x.toFixed(d) : String(x);
}

export async function trainLoop(trainer: Trainer, data: TrainData, src: ImageSource, opts: LoopOptions): Promise<LoopResult> {
  const classes = data.classes.length;
  const n = data.train.index.length;
  const batch = Math.min(opts.batchSize, n);
  const perEpoch = Math.max(Math.floor(n / batch), 1);
  const totalSteps = perEpoch * opts.epochs;
  const opt = new Optimizer({ ...opts.optimizer, totalSteps });
  const root = new Random(`train:${opts.seed}`);
  const history: EpochRecord[] = [];
  const tensorsAfterEpoch: number[] = [];
  let trainMs = 0;
  let done = 0;
  let lastRate = 0;
  try {
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      const order = root.fork(`shuffle:${epoch}`).shuffle(data.train.index.map((_, k) => k));
      const augRng = root.fork(`augment:${epoch}`);
      const lr = opt.currentRate();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      const t0 = performance.now();
      let epochTrainMs = 0;
      for (let b = 0; b < perEpoch; b++) {
        throwIfAborted(opts.signal);
        const ks = order.slice(b * batch, (b + 1) * batch);
        const idx = ks.map((k) => data.train.index[k]);
        const tb = performance.now();
        const pixels = renderBatch(src, idx, opts.input, opts.channels, opts.augment, augRng);
        const targets = new Float32Array(ks.length * classes);
        ks.forEach((k, j) => targets.set(data.train.targets[k], j * classes));
        const x = tf.tensor4d(pixels, [ks.length, opts.input, opts.input, opts.channels]);
        const t = tf.tensor2d(targets, [ks.length, classes]);
        const r = trainer.step(x, t, opt);
        x.dispose();
        t.dispose();
        epochTrainMs += performance.now() - tb;
        lossSum += r.loss * ks.length;
        ks.forEach((k, j) => {
          if (argmax(r.probs.subarray(j * classes, (j + 1) * classes)) === argmax(data.train.targets[k])) correct++;
        });
        seen += ks.length;
        done++;
        lastRate = (seen / epochTrainMs) * 1000;
        opts.progress(
          done,
          totalSteps,
          `epoch ${epoch}/${opts.epochs} · loss ${fmt(lossSum / seen)} · acc ${fmt(correct / seen)} · ${Math.round(lastRate)} img/s`,
        );
        // let the worker see a cancel message between batches
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      trainMs += epochTrainMs;
      let valLoss: number | null = null;
      let valAcc: number | null = null;
      if (opts.validation && data.test.index.length > 0) {
        const probs = predictAll(trainer, src, data.test.index, opts.input, opts.channels, classes, opts.signal);
        valLoss = probs.reduce((s, p, i) => s + crossEntropy(data.test.targets[i], p), 0) / probs.length;
        valAcc = probs.filter((p, i) => argmax(p) === argmax(data.test.human[i])).length / probs.length;
      }
      history.push({
        epoch,
        learning_rate: lr,
        train_loss: lossSum / seen,
        train_accuracy: correct / seen,
        val_loss: valLoss,
        val_accuracy: valAcc,
        seconds: (performance.now() - t0) / 1000,
        images_per_second: (seen / epochTrainMs) * 1000,
      });
      tensorsAfterEpoch.push(tf.memory().numTensors);
    }
    const testProbs = predictAll(trainer, src, data.test.index, opts.input, opts.channels, classes, opts.signal);
    return {
      history,
      testProbs,
      imagesPerSecond: ((totalSteps * batch) / trainMs) * 1000,
      trainSeconds: trainMs / 1000,
      steps: totalSteps,
      tensorsAfterEpoch,
    };
  } finally {
    opt.dispose();
  }
}
