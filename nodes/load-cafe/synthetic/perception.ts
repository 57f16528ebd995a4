// The lab raters: a fixed panel that rates every image, as CAFE's 100 adults did.
// Each rater sees the face's latent blend through their own lens: a sharpness
// (how decisively they pick the dominant expression), a personal leaning towards
// some labels, and an occasional lapse (a random answer). Their answers for an
// image are one draw each from what they perceive: the CAFE-style counts.

import type { Random } from '../../../runner/random.js';

const K = 7;
/** floor added to blend weights so no expression is ever unthinkable */
const FLOOR = 0.004;

export interface RaterPanel {
  size: number;
  /** sharpness exponent per rater */
  gamma: Float64Array;
  /** lapse probability per rater */
  lapse: Float64Array;
  /** exp(bias) per rater and class, rater-major */
  leaning: Float64Array;
}

export function makePanel(size: number, rng: Random): RaterPanel {
  const gamma = new Float64Array(size);
  const lapse = new Float64Array(size);
  const leaning = new Float64Array(size * K);
  for (let r = 0; r < size; r++) {
    gamma[r] = Math.exp(rng.normal(Math.log(1.25), 0.2));
    lapse[r] = rng.beta(1, 80);
    for (let k = 0; k < K; k++) leaning[r * K + k] = Math.exp(rng.normal(0, 0.25));
  }
  return { size, gamma, lapse, leaning };
}

/** What rater r perceives in a blend: a probability per class, written into `out`. */
function perceive(panel: RaterPanel, r: number, logBlend: Float64Array, out: Float64Array): void {
  const g = panel.gamma[r];
  let s = 0;
  for (let k = 0; k < K; k++) {
    const v = Math.exp(g * logBlend[k]) * panel.leaning[r * K + k];
    out[k] = v;
    s += v;
  }
  const keep = (1 - panel.lapse[r]) / s;
  const guess = panel.lapse[r] / K;
  for (let k = 0; k < K; k++) out[k] = out[k] * keep + guess;
}

const scratch = new Float64Array(K);
const logs = new Float64Array(K);

function logBlendOf(blend: ArrayLike<number>): Float64Array {
  for (let k = 0; k < K; k++) logs[k] = Math.log(blend[k] + FLOOR);
  return logs;
}

/** The panel's expected share of answers for class `k` given a blend. */
export function expectedShare(panel: RaterPanel, blend: ArrayLike<number>, k: number): number {
  const lb = logBlendOf(blend);
  let s = 0;
  for (let r = 0; r < panel.size; r++) {
    perceive(panel, r, lb, scratch);
    s += scratch[k];
  }
  return s / panel.size;
}

/**
 * The blend `t * posed + (1 - t) * partners` whose expected agreement on the posed
 * expression is `target` (bisection on t; agreement grows with t). Returns the blend.
 */
export function blendForTarget(panel: RaterPanel, posed: number, partners: ArrayLike<number>, target: number): Float64Array {
  const blend = new Float64Array(K);
  const set = (t: number): void => {
    for (let k = 0; k < K; k++) blend[k] = (1 - t) * partners[k];
    blend[posed] += t;
  };
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < 14; it++) {
    const mid = (lo + hi) / 2;
    set(mid);
    if (expectedShare(panel, blend, posed) < target) lo = mid;
    else hi = mid;
  }
  set((lo + hi) / 2);
  return blend;
}

/** Every rater answers once: counts per class summing to the panel size. */
export function rate(panel: RaterPanel, blend: ArrayLike<number>, rng: Random): number[] {
  const lb = logBlendOf(blend);
  const counts = new Array<number>(K).fill(0);
  for (let r = 0; r < panel.size; r++) {
    perceive(panel, r, lb, scratch);
    let u = rng.next();
    let k = 0;
    for (; k < K - 1; k++) {
      u -= scratch[k];
      if (u < 0) break;
    }
    counts[k]++;
  }
  return counts;
}
