// How close a model's softmax output is to the human label distribution, image by
// image, and how well its top-1 answer matches the humans' plurality label. Pure
// functions over probability vectors (each sums to 1, same class order).
//
// Definitions (natural logarithms throughout):
// - L1(p, q) = Σ_k |p_k - q_k|, in [0, 2]: the study's measure.
// - KL(p || q) = Σ_k p_k ln(p_k / q̃_k), p = humans, q = model, where the model's
//   vector is smoothed q̃ = (q + ε)/(1 + Kε) with ε = KL_EPSILON = 1e-6 so a one-hot model
//   that gives 0 to a class some people chose scores a large finite value, not Infinity.
//   Terms with p_k = 0 are 0. In nats.
// - JS(p, q) = ½ KL(p || m) + ½ KL(q || m), m = (p + q)/2: symmetric, bounded by ln 2, no ε.
// - intersection(p, q) = Σ_k min(p_k, q_k) = 1 - L1/2.
// - accuracy: share of images where argmax(q) equals the human plurality label argmax(p);
//   ties go to the lowest class index (artifacts/classes.ts `argmax`), for both.
// - macro F1: per-class F1 (2·TP / (2·TP + FP + FN)) averaged over the classes that occur
//   as a true or a predicted label (scikit-learn's f1_score(average='macro') default).
// - ECE: 15 equal-width confidence bins over (0, 1]; confidence = max_k q_k, correct =
//   argmax(q) is the plurality label; ECE = Σ_b (n_b / N) · |accuracy_b - confidence_b|.
// - confusion[t][p]: images with plurality label t that the model labelled p.

import { argmax } from '../../artifacts/classes.js';
import { jsDivergence, l1Distance } from '../lib/distributions.js';
import { describe, mean, type Describe } from './stats.js';

export { jsDivergence, l1Distance };

export const KL_EPSILON = 1e-6;
export const ECE_BINS = 15;

export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>, eps = KL_EPSILON): number {
  const norm = 1 + p.length * eps;
  let s = 0;
  for (let k = 0; k < p.length; k++) if (p[k] > 0) s += p[k] * Math.log(p[k] / ((q[k] + eps) / norm));
  return s;
}

export function intersection(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < p.length; k++) s += Math.min(p[k], q[k]);
  return s;
}

export function confusionMatrix(truth: number[], pred: number[], classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]][pred[i]]++;
  return m;
}

export interface ClassScore {
  precision: number;
  recall: number;
  f1: number;
  /** images whose plurality label is this class */
  support: number;
}

/** Per-class precision, recall and F1 from a confusion matrix (0 where undefined, as scikit-learn). */
export function classScores(confusion: number[][]): ClassScore[] {
  const K = confusion.length;
  return confusion.map((row, k) => {
    const tp = row[k];
    const support = row.reduce((s, x) => s + x, 0);
    let predicted = 0;
    for (let t = 0; t < K; t++) predicted += confusion[t][k];
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    const f1 = support + predicted ? (2 * tp) / (support + predicted) : 0;
    return { precision, recall, f1, support };
  });
}

/** Macro F1 over the classes that occur as a true or predicted label. */
export function macroF1(confusion: number[][]): number {
  const scores = classScores(confusion);
  const present = scores.filter((s, k) => s.support > 0 || confusion.some((row) => row[k] > 0));
  return present.length ? present.reduce((s, c) => s + c.f1, 0) / present.length : NaN;
}

export interface CalibrationBin {
  /** upper edge of the bin; it holds confidences in (lo, hi] (the first also holds 0) */
  lo: number;
  hi: number;
  n: number;
  confidence: number;
  accuracy: number;
}

export function calibrationBins(confidence: number[], correct: boolean[], bins = ECE_BINS): CalibrationBin[] {
  const out: CalibrationBin[] = Array.from({ length: bins }, (_, b) => ({ lo: b / bins, hi: (b + 1) / bins, n: 0, confidence: 0, accuracy: 0 }));
  for (let i = 0; i < confidence.length; i++) {
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(confidence[i] * bins) - 1));
    out[b].n++;
    out[b].confidence += confidence[i];
    out[b].accuracy += correct[i] ? 1 : 0;
  }
  for (const b of out) {
    if (b.n) {
      b.confidence /= b.n;
      b.accuracy /= b.n;
    }
  }
  return out;
}

export function expectedCalibrationError(confidence: number[], correct: boolean[], bins = ECE_BINS): number {
  const n = confidence.length;
  if (!n) return NaN;
  return calibrationBins(confidence, correct, bins).reduce((s, b) => s + (b.n / n) * Math.abs(b.accuracy - b.confidence), 0);
}

export interface ModelMetrics {
  n: number;
  l1: Describe;
  kl: number;
  js: number;
  intersection: number;
  accuracy: number;
  f1_macro: number;
  ece: number;
  /** rows: human plurality label, columns: model top-1 */
  confusion: number[][];
  per_class: Record<string, ClassScore>;
}

export interface ImageScores {
  l1: Float64Array;
  kl: Float64Array;
  js: Float64Array;
  /** human plurality label per image */
  truth: number[];
  /** model top-1 per image */
  pred: number[];
  confidence: number[];
}

/** Per-image scores of one model against the human distributions (rows aligned by image). */
export function scoreImages(human: number[][], model: number[][]): ImageScores {
  const n = human.length;
  const s: ImageScores = { l1: new Float64Array(n), kl: new Float64Array(n), js: new Float64Array(n), truth: [], pred: [], confidence: [] };
  for (let i = 0; i < n; i++) {
    const p = human[i];
    const q = model[i];
    s.l1[i] = l1Distance(p, q);
    s.kl[i] = klDivergence(p, q);
    s.js[i] = jsDivergence(p, q);
    s.truth.push(argmax(p));
    const top = argmax(q);
    s.pred.push(top);
    s.confidence.push(q[top]);
  }
  return s;
}

export function modelMetrics(human: number[][], model: number[][], classes: readonly string[]): { metrics: ModelMetrics; images: ImageScores } {
  const images = scoreImages(human, model);
  const n = human.length;
  const confusion = confusionMatrix(images.truth, images.pred, classes.length);
  const correct = images.truth.map((t, i) => t === images.pred[i]);
  const l1 = describe(images.l1);
  const scores = classScores(confusion);
  const metrics: ModelMetrics = {
    n,
    l1,
    kl: mean(images.kl),
    js: mean(images.js),
    intersection: 1 - l1.mean / 2,
    accuracy: n ? correct.filter(Boolean).length / n : NaN,
    f1_macro: macroF1(confusion),
    ece: expectedCalibrationError(images.confidence, correct),
    confusion,
    per_class: Object.fromEntries(classes.map((c, k) => [c, scores[k]])),
  };
  return { metrics, images };
}
