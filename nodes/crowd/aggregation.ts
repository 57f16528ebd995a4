// Turning many answers per item into one probability vector per item: vote
// shares, plurality, and Dawid-Skene (full confusion matrices, or one-coin: one
// accuracy per worker) fitted by EM. Pure functions over flat arrays so they are
// easy to test and fast on a million answers.

/** Answers as parallel arrays: answer a says item[a] is class cls[a], by worker[a]. */
export interface AnswerTable {
  items: number;
  workers: number;
  classes: number;
  item: Int32Array;
  worker: Int32Array;
  cls: Uint8Array;
}

/** Votes per item and class (items x classes, row-major). */
export function voteCounts(t: AnswerTable): Float64Array {
  const v = new Float64Array(t.items * t.classes);
  for (let a = 0; a < t.item.length; a++) v[t.item[a] * t.classes + t.cls[a]]++;
  return v;
}

/** Vote shares with `smoothing` added to every class's count: (votes + s) / (n + K s). */
export function softVotes(votes: Float64Array, K: number, smoothing: number): Float64Array {
  const out = new Float64Array(votes.length);
  for (let i = 0; i < votes.length; i += K) {
    let n = 0;
    for (let k = 0; k < K; k++) n += votes[i + k];
    const d = n + K * smoothing;
    for (let k = 0; k < K; k++) out[i + k] = d > 0 ? (votes[i + k] + smoothing) / d : 1 / K;
  }
  return out;
}

/** Index of the largest entry of row `i`; ties go to the lowest class index. */
export function rowArgmax(m: Float64Array, K: number, i: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (m[i * K + k] > m[i * K + best]) best = k;
  return best;
}

/** One-hot rows at each item's plurality class (ties: lowest class index). */
export function pluralityVotes(votes: Float64Array, K: number): Float64Array {
  const out = new Float64Array(votes.length);
  for (let i = 0; i < votes.length / K; i++) out[i * K + rowArgmax(votes, K, i)] = 1;
  return out;
}

export interface DawidSkeneOptions {
  /** one accuracy per worker instead of a full confusion matrix */
  oneCoin: boolean;
  /** stop when no posterior probability moves more than this between iterations */
  tolerance: number;
  maxIterations: number;
  /** pseudo-count added to every confusion cell and class prior (keeps logs finite) */
  prior?: number;
}

export interface DawidSkeneResult {
  /** posterior class probabilities, items x classes */
  probs: Float64Array;
  /** estimated class priors */
  priors: Float64Array;
  /** per worker: estimated probability of answering correctly (prior-weighted diagonal) */
  skill: Float64Array;
  iterations: number;
  converged: boolean;
}

export const DS_PRIOR = 0.01;

/**
 * Dawid & Skene (1979) by EM, started from the vote shares (as Crowd-Kit does).
 * Deterministic: no random initialisation, fixed iteration order.
 */
export function dawidSkene(t: AnswerTable, opts: DawidSkeneOptions): DawidSkeneResult {
  const { items: I, workers: W, classes: K } = t;
  const A = t.item.length;
  const alpha = opts.prior ?? DS_PRIOR;
  let T = softVotes(voteCounts(t), K, 0);
  const priors = new Float64Array(K);
  const conf = new Float64Array(W * K * K); // conf[w][k][l] = P(answer l | true k)
  const logConf = new Float64Array(W * K * K);
  const skill = new Float64Array(W);
  const next = new Float64Array(I * K);
  let iterations = 0;
  let converged = false;

  for (; iterations < opts.maxIterations && !converged; ) {
    iterations++;
    // M-step: priors and worker confusion from the current posteriors
    priors.fill(alpha);
    for (let i = 0; i < I; i++) for (let k = 0; k < K; k++) priors[k] += T[i * K + k];
    normalizeInPlace(priors, 0, K);
    if (opts.oneCoin) {
      const right = new Float64Array(W);
      const n = new Float64Array(W);
      for (let a = 0; a < A; a++) {
        right[t.worker[a]] += T[t.item[a] * K + t.cls[a]];
        n[t.worker[a]]++;
      }
      for (let w = 0; w < W; w++) {
        const p = (right[w] + alpha) / (n[w] + 2 * alpha);
        const off = K > 1 ? (1 - p) / (K - 1) : 0;
        for (let k = 0; k < K; k++) for (let l = 0; l < K; l++) conf[(w * K + k) * K + l] = k === l ? p : off;
      }
    } else {
      conf.fill(alpha);
      for (let a = 0; a < A; a++) {
        const base = t.worker[a] * K * K + t.cls[a];
        const ti = t.item[a] * K;
        for (let k = 0; k < K; k++) conf[base + k * K] += T[ti + k];
      }
      for (let r = 0; r < W * K; r++) normalizeInPlace(conf, r * K, K);
    }
    for (let x = 0; x < conf.length; x++) logConf[x] = Math.log(conf[x]);

    // E-step: posteriors from priors and every answer's likelihood
    for (let i = 0; i < I; i++) for (let k = 0; k < K; k++) next[i * K + k] = Math.log(priors[k]);
    for (let a = 0; a < A; a++) {
      const base = t.worker[a] * K * K + t.cls[a];
      const ti = t.item[a] * K;
      for (let k = 0; k < K; k++) next[ti + k] += logConf[base + k * K];
    }
    let delta = 0;
    for (let i = 0; i < I; i++) {
      let m = -Infinity;
      for (let k = 0; k < K; k++) m = Math.max(m, next[i * K + k]);
      let s = 0;
      for (let k = 0; k < K; k++) {
        const e = Math.exp(next[i * K + k] - m);
        next[i * K + k] = e;
        s += e;
      }
      for (let k = 0; k < K; k++) {
        const v = next[i * K + k] / s;
        delta = Math.max(delta, Math.abs(v - T[i * K + k]));
        next[i * K + k] = v;
      }
    }
    T = Float64Array.from(next);
    converged = delta < opts.tolerance;
  }
  for (let w = 0; w < W; w++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += priors[k] * conf[(w * K + k) * K + k];
    skill[w] = s;
  }
  return { probs: T, priors, skill, iterations, converged };
}

function normalizeInPlace(v: Float64Array, off: number, n: number): void {
  let s = 0;
  for (let k = 0; k < n; k++) s += v[off + k];
  for (let k = 0; k < n; k++) v[off + k] = s > 0 ? v[off + k] / s : 1 / n;
}
