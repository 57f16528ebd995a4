// How clearly each synthetic image reads to the lab raters: a target share of
// raters who will choose the posed expression, drawn from the CAFE cell's own
// distribution. The table gives the mean, sd and five quantiles; the distribution
// is the piecewise-linear quantile function through them, with the two tail ends
// (0 % and 100 %) chosen so its mean and sd match the table too.

import type { Random } from '../../../runner/random.js';
import type { CafeCell } from './cafe-table.js';

const LEVELS = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1];
/** the best agreement the simulated panel can reach (its raters lapse now and then) */
const MAX_TARGET = 0.985;
/** "ambiguous" = fewer than this share of lab raters choose the posed expression (CAFE's own cut) */
export const AMBIGUOUS_BELOW = 0.6;
/** Share of CAFE images below that cut (34-35 %: "66 % of images reach at least 0.60"). */
export const CAFE_AMBIGUOUS_SHARE = 0.35;

/** A cell's quantile function: values at LEVELS. */
export interface QuantileCurve {
  values: number[];
}

function moments(values: readonly number[]): { mean: number; sd: number } {
  let m = 0;
  let m2 = 0;
  for (let i = 0; i < LEVELS.length - 1; i++) {
    const du = LEVELS[i + 1] - LEVELS[i];
    const a = values[i];
    const b = values[i + 1];
    m += (du * (a + b)) / 2;
    m2 += (du * (a * a + a * b + b * b)) / 3;
  }
  return { mean: m, sd: Math.sqrt(Math.max(0, m2 - m * m)) };
}

/** Fit the tail ends by a coarse-to-fine grid search on (mean, sd) error. */
export function fitCurve(cell: CafeCell): QuantileCurve {
  const inner = [cell.q10, cell.q25, cell.median, cell.q75, cell.q90];
  let lo0 = 0, hi0 = cell.q10, lo1 = cell.q90, hi1 = Math.max(cell.q90, MAX_TARGET);
  let best = { err: Infinity, a: lo0, b: hi1 };
  for (let round = 0; round < 4; round++) {
    const steps = 24;
    for (let i = 0; i <= steps; i++) {
      const a = lo0 + ((hi0 - lo0) * i) / steps;
      for (let j = 0; j <= steps; j++) {
        const b = lo1 + ((hi1 - lo1) * j) / steps;
        const m = moments([a, ...inner, b]);
        const err = (m.mean - cell.mean) ** 2 + (m.sd - cell.sd) ** 2;
        if (err < best.err) best = { err, a, b };
      }
    }
    const w0 = (hi0 - lo0) / 12, w1 = (hi1 - lo1) / 12;
    lo0 = Math.max(0, best.a - w0); hi0 = Math.min(cell.q10, best.a + w0);
    lo1 = Math.max(cell.q90, best.b - w1); hi1 = Math.min(Math.max(cell.q90, MAX_TARGET), best.b + w1);
  }
  return { values: [best.a, ...inner, best.b] };
}

export function quantile(curve: QuantileCurve, u: number): number {
  const v = curve.values;
  for (let i = 0; i < LEVELS.length - 1; i++) {
    if (u <= LEVELS[i + 1]) {
      const t = (u - LEVELS[i]) / (LEVELS[i + 1] - LEVELS[i]);
      return v[i] + t * (v[i + 1] - v[i]);
    }
  }
  return v[v.length - 1];
}

/** The level u at which the curve crosses `x` (the CDF at x). */
export function cdf(curve: QuantileCurve, x: number): number {
  const v = curve.values;
  if (x <= v[0]) return 0;
  for (let i = 0; i < LEVELS.length - 1; i++) {
    if (x <= v[i + 1]) {
      const span = v[i + 1] - v[i];
      return LEVELS[i] + (span > 0 ? ((x - v[i]) / span) * (LEVELS[i + 1] - LEVELS[i]) : 0);
    }
  }
  return 1;
}

/**
 * Per cell, the share of its images that should be ambiguous so that the whole
 * set has `overall` ambiguous: CAFE's own shares at the default, scaled down
 * towards 0 below it, and moved towards 1 above it (so every cell takes part).
 */
export function ambiguousShares(curves: readonly QuantileCurve[], counts: readonly number[], overall: number): number[] {
  const cuts = curves.map((c) => cdf(c, AMBIGUOUS_BELOW));
  if (Math.abs(overall - CAFE_AMBIGUOUS_SHARE) < 1e-9) return cuts;
  const total = counts.reduce((a, b) => a + b, 0) || 1;
  const cafe = cuts.reduce((s, cut, i) => s + cut * counts[i], 0) / total;
  if (overall <= cafe) return cuts.map((cut) => (cafe > 0 ? (cut * overall) / cafe : 0));
  const t = (overall - cafe) / (1 - cafe);
  return cuts.map((cut) => cut + (1 - cut) * t);
}

/**
 * Target agreements for the `n` images of one cell. Levels are stratified (one per
 * 1/n slice, shuffled) so even a small cell follows the curve. `share` of them fall
 * below AMBIGUOUS_BELOW, keeping the curve's shape on each side of the cut (a cell
 * whose curve never goes below the cut gets its ambiguous images spread over 0.3-0.6).
 * The spread is narrowed by what drawing `raters` answers will add back, so the
 * realised shares have the table's sd.
 */
export function drawTargets(curve: QuantileCurve, n: number, share: number, raters: number, rng: Random): number[] {
  const cut = cdf(curve, AMBIGUOUS_BELOW);
  share = Math.min(1, Math.max(0, share));
  const slots = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const raw = slots.map((slot) => {
    const u = (slot + rng.next()) / n;
    if (Math.abs(share - cut) < 1e-12) return quantile(curve, u);
    if (u < share) {
      const v = u / share;
      return cut > 0 ? quantile(curve, v * cut) : AMBIGUOUS_BELOW - 0.3 * (1 - v);
    }
    return quantile(curve, share < 1 ? cut + ((u - share) / (1 - share)) * (1 - cut) : cut);
  });
  // answering adds binomial spread (a bit less: raters differ); take it out of the targets
  const mean = raw.reduce((s, a) => s + a, 0) / Math.max(1, n);
  const variance = raw.reduce((s, a) => s + (a - mean) ** 2, 0) / Math.max(1, n);
  const binomialVar = raw.reduce((s, a) => s + a * (1 - a), 0) / Math.max(1, n) / raters;
  const shrink = variance > 0 ? Math.sqrt(Math.max(0.25, 1 - binomialVar / variance)) : 1;
  return raw.map((a) => Math.min(MAX_TARGET, Math.max(0.02, mean + (a - mean) * shrink)));
}
