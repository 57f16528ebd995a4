// Held-out figures: accuracy and macro F1 of the argmax against the human
// plurality label, and the study's measure, the L1 distance between the model's
// softmax and the human label distribution.

import { argmax } from '../../artifacts/classes.js';
import { l1Distance } from '../lib/distributions.js';

export interface HeldOut {
  accuracy: number;
  /** mean F1 over classes that occur in the truth or the predictions */
  f1Macro: number;
  /** per class: F1 (null where the class neither occurs nor is predicted) */
  f1: (number | null)[];
  l1Mean: number;
  /** per image, in test order */
  l1: number[];
  /** mean soft cross-entropy against `targets` */
  loss: number;
}

export function crossEntropy(target: ArrayLike<number>, probs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < target.length; i++) if (target[i] > 0) s -= target[i] * Math.log(Math.max(probs[i], 1e-12));
  return s;
}

export function macroF1(truth: number[], pred: number[], classes: number): { f1Macro: number; f1: (number | null)[] } {
  const tp = new Array<number>(classes).fill(0);
  const fp = new Array<number>(classes).fill(0);
  const fn = new Array<number>(classes).fill(0);
  truth.forEach((t, i) => {
    if (pred[i] === t) tp[t]++;
    else {
      fp[pred[i]]++;
      fn[t]++;
    }
  });
  const f1 = tp.map((_, k) => (tp[k] + fp[k] + fn[k] === 0 ? null : (2 * tp[k]) / (2 * tp[k] + fp[k] + fn[k])));
  const present = f1.filter((v): v is number => v !== null);
  return { f1, f1Macro: present.length ? present.reduce((a, b) => a + b, 0) / present.length : 0 };
}

export function heldOut(probs: ArrayLike<number>[], human: ArrayLike<number>[], targets: ArrayLike<number>[], classes: number): HeldOut {
  const truth = human.map((h) => argmax(h));
  const pred = probs.map((p) => argmax(p));
  const correct = truth.filter((t, i) => pred[i] === t).length;
  const dists = probs.map((p, i) => l1Distance(p, human[i]));
  const n = Math.max(probs.length, 1);
  return {
    accuracy: correct / n,
    ...macroF1(truth, pred, classes),
    l1: dists,
    l1Mean: dists.reduce((a, b) => a + b, 0) / n,
    loss: probs.reduce((s, p, i) => s + crossEntropy(targets[i], p), 0) / n,
  };
}
