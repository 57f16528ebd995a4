// From aligned human and model distributions to the `metrics.json` document:
// per-model metrics and, per pair of models, the four tests on per-image L1.

import { modelMetrics, type ImageScores, type ModelMetrics } from './metrics.js';
import { ttestIndependent, ttestPaired, ttestWelch, wilcoxonSignedRank, type TestResult, type WilcoxonResult } from './stats.js';

type Test = Omit<TestResult, 'mean_diff'>;

export interface PairTests {
  a: string;
  b: string;
  /** mean L1 of a minus mean L1 of b: negative means a is closer to the humans */
  mean_diff: number;
  independent: Test;
  welch: Test;
  paired: Test;
  wilcoxon: Omit<WilcoxonResult, 'mean_diff'>;
}

export interface CompareMetrics {
  n: number;
  classes: string[];
  merge: string;
  reference: { source: string; format: string; split: 'test' | null; images: number; synthetic?: boolean };
  models: Record<string, ModelMetrics & { source: string; format: string; images: number }>;
  tests: Record<string, PairTests>;
  definitions: Record<string, string>;
}

export const DEFINITIONS: Record<string, string> = {
  l1: 'per image sum_k |human_k - model_k| (0..2); mean, sd (n-1), median, 95% t-interval of the mean',
  kl: 'mean over images of KL(human || model) in nats, model smoothed (q + 1e-6)/(1 + K*1e-6)',
  js: 'mean over images of the Jensen-Shannon divergence in nats (max ln 2)',
  intersection: '1 - mean L1 / 2 = mean sum_k min(human_k, model_k)',
  accuracy: 'share of images where the model top-1 equals the human plurality label (ties: lowest class index)',
  f1_macro: 'unweighted mean of per-class F1 over classes occurring as a true or predicted label',
  ece: 'expected calibration error, 15 equal-width confidence bins, against the human plurality label',
  confusion: 'rows: human plurality label, columns: model top-1',
  independent: 'two-sample t-test, pooled variance (scipy ttest_ind); d = mean diff / pooled sd',
  welch: "Welch's t-test, Welch-Satterthwaite df (ttest_ind equal_var=False); d = mean diff / sqrt((sd_a^2 + sd_b^2)/2)",
  paired: 'paired t-test on per-image differences (ttest_rel); d_z = mean diff / sd of diffs',
  wilcoxon:
    "Wilcoxon signed-rank (scipy wilcoxon defaults: zeros dropped, no continuity correction; exact for n<=50 without ties/zeros, exact enumeration for n<=13 with ties/zeros, else normal approximation with tie correction); statistic = min(W+, W-); d_z as for paired",
};

export interface Evaluation {
  metrics: CompareMetrics;
  images: Record<string, ImageScores>;
}

export function evaluate(opts: {
  ids: string[];
  human: number[][];
  models: Record<string, number[][]>;
  classes: readonly string[];
  merge: string;
  reference: CompareMetrics['reference'];
  sources: Record<string, { source: string; format: string; images: number }>;
  /** compare every model with this one; undefined: every pair */
  baseline?: string;
}): Evaluation {
  const names = Object.keys(opts.models);
  const models: CompareMetrics['models'] = {};
  const images: Record<string, ImageScores> = {};
  for (const name of names) {
    const r = modelMetrics(opts.human, opts.models[name], opts.classes);
    models[name] = { ...r.metrics, ...opts.sources[name] };
    images[name] = r.images;
  }
  const tests: Record<string, PairTests> = {};
  for (const [a, b] of modelPairs(names, opts.baseline)) tests[`${a}_vs_${b}`] = pairTests(a, b, images[a].l1, images[b].l1);
  return {
    metrics: { n: opts.ids.length, classes: [...opts.classes], merge: opts.merge, reference: opts.reference, models, tests, definitions: DEFINITIONS },
    images,
  };
}

/** Each model against the baseline (model first), or every pair in input order. */
export function modelPairs(names: string[], baseline?: string): [string, string][] {
  if (baseline) return names.filter((n) => n !== baseline).map((n) => [n, baseline]);
  const pairs: [string, string][] = [];
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) pairs.push([names[i], names[j]]);
  return pairs;
}

export function pairTests(a: string, b: string, l1a: ArrayLike<number>, l1b: ArrayLike<number>): PairTests {
  const strip = <T extends { mean_diff: number }>({ mean_diff: _, ...rest }: T): Omit<T, 'mean_diff'> => rest;
  const independent = ttestIndependent(l1a, l1b);
  return {
    a,
    b,
    mean_diff: independent.mean_diff,
    independent: strip(independent),
    welch: strip(ttestWelch(l1a, l1b)),
    paired: strip(ttestPaired(l1a, l1b)),
    wilcoxon: strip(wilcoxonSignedRank(l1a, l1b)),
  };
}
