// How the lab raters agree with the posed expressions, per expression/mouth cell
// (CAFE's validity figures) and overall: the numbers the summary and report show
// and the synthetic generator is calibrated against.

import { argmax, CAFE_EXPRESSIONS, CAFE_WORDS } from '../../artifacts/classes.js';
import type { Dataset } from '../../artifacts/dataset.js';

export interface CellStats {
  n: number;
  mean: number;
  median: number;
  sd: number;
}

export interface LabStats {
  /** keyed `angry/closed`, in CAFE's order of cells */
  cells: Record<string, CellStats>;
  /** per image: share of raters choosing the posed expression */
  accuracy: number[];
  meanAccuracy: number;
  shareAtLeast60: number;
  /** share of images whose raters' plurality is the posed expression */
  pluralityAgrees: number;
  /** mean entropy of the raters' distribution, in bits (0 = unanimous, log2 7 = uniform) */
  meanEntropy: number;
  /** confusion[posed][plurality] image counts */
  confusion: number[][];
}

export const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function cellKeyOf(expression: keyof typeof CAFE_WORDS, mouth: 'open' | 'closed'): string {
  return `${CAFE_WORDS[expression]}/${mouth}`;
}

/** All 14 possible cell keys in canonical order (expression order, closed before open). */
export const CELL_ORDER = CAFE_EXPRESSIONS.flatMap((e) => [cellKeyOf(e, 'closed'), cellKeyOf(e, 'open')]);

export function labStats(ds: Pick<Dataset, 'images' | 'counts'>): LabStats {
  const K = CAFE_EXPRESSIONS.length;
  const confusion = CAFE_EXPRESSIONS.map(() => new Array<number>(K).fill(0));
  const byCell = new Map<string, number[]>();
  const accuracy: number[] = [];
  let agree = 0;
  let entropy = 0;
  ds.images.forEach((im, i) => {
    const c = ds.counts[i];
    const total = c.reduce((a, b) => a + b, 0) || 1;
    const posed = CAFE_EXPRESSIONS.indexOf(im.expression);
    const acc = c[posed] / total;
    accuracy.push(acc);
    const key = cellKeyOf(im.expression, im.mouth);
    if (!byCell.has(key)) byCell.set(key, []);
    byCell.get(key)!.push(acc);
    const top = argmax(c);
    confusion[posed][top]++;
    if (top === posed) agree++;
    for (const v of c) if (v > 0) entropy -= (v / total) * Math.log2(v / total);
  });
  const cells: Record<string, CellStats> = {};
  for (const key of CELL_ORDER) {
    const a = byCell.get(key);
    if (!a) continue;
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const sd = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
    cells[key] = { n: a.length, mean: round3(mean), median: round3(median(a)), sd: round3(sd) };
  }
  const n = Math.max(1, ds.images.length);
  return {
    cells,
    accuracy,
    meanAccuracy: accuracy.reduce((s, x) => s + x, 0) / n,
    shareAtLeast60: accuracy.filter((a) => a >= 0.6 - 1e-9).length / n,
    pluralityAgrees: agree / n,
    meanEntropy: entropy / n,
    confusion,
  };
}
