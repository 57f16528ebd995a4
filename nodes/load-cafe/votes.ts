// Turns a spreadsheet's vote columns into integer counts out of `raters`.
// Sheets give either counts (whole numbers summing to the raters) or proportions
// (summing to 1) or percentages (summing to 100); the scale is detected once for
// the whole sheet, then each row is checked against it.

export type VoteScale = 'counts' | 'proportions' | 'percent';

/** A cell as a number: blank = 0, `65%` = 0.65; NaN for text that is no number. */
export function parseVote(cell: string | undefined): number {
  const t = (cell ?? '').trim();
  if (t === '') return 0;
  if (t.endsWith('%')) return Number(t.slice(0, -1).trim()) / 100;
  return Number(t);
}

export function detectScale(rows: readonly number[][]): VoteScale {
  const valid = rows.filter((r) => r.every((v) => Number.isFinite(v) && v >= 0));
  if (valid.length === 0) return 'counts';
  const sums = valid.map((r) => r.reduce((a, b) => a + b, 0)).sort((a, b) => a - b);
  const median = sums[sums.length >> 1];
  const allUnit = valid.every((r) => r.every((v) => v <= 1 + 1e-9));
  if (allUnit && median > 0.5 && median < 1.5) return 'proportions';
  const fractional = valid.some((r) => r.some((v) => Math.abs(v - Math.round(v)) > 1e-6));
  if (fractional && Math.abs(median - 100) <= 2) return 'percent';
  return 'counts';
}

/** Split `total` into integers proportional to `weights` (largest remainder; ties to the lower index). */
export function roundToTotal(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (sum > 0 ? (w * total) / sum : 0));
  const out = exact.map((x) => Math.floor(x + 1e-9));
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - out[i] })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) out[order[j].i]++;
  return out;
}

const fmt = (x: number): string => String(Math.round(x * 1000) / 1000);

/** Counts out of `raters` for one row, or the reason the row's values make no sense. */
export function toCounts(values: readonly number[], scale: VoteScale, raters: number): { counts: number[]; rescaled: boolean } | { error: string } {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) return { error: `a vote cell is not a number` };
  if (values.some((v) => v < 0)) return { error: `a vote value is negative` };
  const sum = values.reduce((a, b) => a + b, 0);
  if (sum <= 0) return { error: 'all vote values are 0 or blank' };
  if (scale === 'proportions') {
    if (Math.abs(sum - 1) > 0.05) return { error: `proportions sum to ${fmt(sum)}, expected 1` };
    return { counts: roundToTotal(values, raters), rescaled: false };
  }
  if (scale === 'percent') {
    if (Math.abs(sum - 100) > 5) return { error: `percentages sum to ${fmt(sum)}, expected 100` };
    return { counts: roundToTotal(values, raters), rescaled: false };
  }
  if (values.some((v) => Math.abs(v - Math.round(v)) > 1e-6)) return { error: `counts must be whole numbers (got ${values.map(fmt).join(', ')})` };
  if (sum === raters) return { counts: values.map(Math.round), rescaled: false };
  // a rater or two missing is common; more means the sheet and the raters param disagree
  if (Math.abs(sum - raters) <= Math.max(1, 0.05 * raters)) return { counts: roundToTotal(values, raters), rescaled: true };
  return { error: `counts sum to ${fmt(sum)}, expected ${raters} (set the raters param if every image had ${fmt(sum)} raters)` };
}
