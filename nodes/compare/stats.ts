// Descriptive statistics and the two-sample tests `compare` runs on per-image L1
// distances. Pure functions, no I/O. Every test reports a two-sided p-value and
// is checked against SciPy 1.17 (tests/stats.test.ts):
//   ttestIndependent  = scipy.stats.ttest_ind(a, b)                  (pooled variance)
//   ttestWelch        = scipy.stats.ttest_ind(a, b, equal_var=False) (Welch-Satterthwaite df)
//   ttestPaired       = scipy.stats.ttest_rel(a, b)
//   wilcoxonSignedRank = scipy.stats.wilcoxon(a, b)                  (its defaults, see below)
// Student-t tails come from jStat.studentt.cdf; normal tails from our own erfc,
// because jStat's erfc is 1 - erf and loses every digit beyond |z| ~ 8.

import jStat from 'jstat';

export interface Describe {
  n: number;
  mean: number;
  /** sample standard deviation (n - 1 in the denominator) */
  sd: number;
  median: number;
  /** 95% confidence interval of the mean: mean ± t(0.975, n-1) · sd/√n */
  ci95: [number, number];
}

export interface TestResult {
  /** t for the t-tests; min(W+, W-) for Wilcoxon (SciPy's two-sided statistic) */
  statistic: number;
  /** degrees of freedom; null for Wilcoxon */
  df: number | null;
  /** two-sided p-value */
  p: number;
  /** effect size; the definition differs per test and is named in `d_kind` */
  cohens_d: number;
  d_kind: string;
  /** mean(a) - mean(b) (for paired tests: the mean of the differences, the same number) */
  mean_diff: number;
}

export interface WilcoxonResult extends TestResult {
  /** sum of the ranks of positive differences a - b */
  w_plus: number;
  w_minus: number;
  /** non-zero differences (zeros are dropped: zero_method 'wilcox') */
  n_nonzero: number;
  /** how p was computed: SciPy's choice under method='auto' */
  method: 'exact' | 'permutation' | 'normal';
  /** the normal-approximation z (-|z|, as SciPy reports it), only when method is 'normal' */
  z?: number;
  /** matched-pairs rank-biserial correlation (W+ - W-) / (W+ + W-) */
  rank_biserial: number;
}

export function sum(xs: ArrayLike<number>): number {
  // Neumaier summation: L1 means over a few hundred images must not drift in the last digits.
  let s = 0;
  let c = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return s + c;
}

export function mean(xs: ArrayLike<number>): number {
  return xs.length ? sum(xs) / xs.length : NaN;
}

/** Sample variance (denominator n - 1), two-pass. */
export function variance(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const m = mean(xs);
  const dev = new Float64Array(n);
  for (let i = 0; i < n; i++) dev[i] = (xs[i] - m) ** 2;
  return sum(dev) / (n - 1);
}

export function sd(xs: ArrayLike<number>): number {
  return Math.sqrt(variance(xs));
}

export function median(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (!n) return NaN;
  const s = Float64Array.from(xs).sort();
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Quantile of Student's t with `df` degrees of freedom. */
export function tQuantile(p: number, df: number): number {
  return jStat.studentt.inv(p, df);
}

export function describe(xs: ArrayLike<number>): Describe {
  const n = xs.length;
  const m = mean(xs);
  const s = sd(xs);
  const half = n >= 2 ? (tQuantile(0.975, n - 1) * s) / Math.sqrt(n) : NaN;
  return { n, mean: m, sd: s, median: median(xs), ci95: [m - half, m + half] };
}

/** Two-sided p-value of a t statistic: 2 · P(T_df <= -|t|) (the lower tail keeps small p accurate). */
export function tTwoSidedP(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, 2 * jStat.studentt.cdf(-Math.abs(t), df));
}

/** erfc(x) to full double precision for x >= 0 (continued fraction in the tail). */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) return jStat.erfc(x); // erfc(2) ~ 4.7e-3: 1 - erf keeps ~13 significant digits here
  // Lentz's method on erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    D = x + a * D;
    D = D === 0 ? 1 / tiny : 1 / D;
    C = x + a / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Two-sided p-value of a standard normal z: 2 · P(Z >= |z|). */
export function zTwoSidedP(z: number): number {
  if (Number.isNaN(z)) return NaN;
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

/**
 * Two-sample t-test with pooled variance (Student's), as the study used.
 * Cohen's d: (mean a - mean b) / pooled sd, the pooled sd being the one the test uses.
 */
export function ttestIndependent(a: ArrayLike<number>, b: ArrayLike<number>): TestResult {
  const na = a.length;
  const nb = b.length;
  const ma = mean(a);
  const mb = mean(b);
  const df = na + nb - 2;
  const pooledVar = ((na - 1) * variance(a) + (nb - 1) * variance(b)) / df;
  const se = Math.sqrt(pooledVar * (1 / na + 1 / nb));
  const t = safeRatio(ma - mb, se);
  return { statistic: t, df, p: tTwoSidedP(t, df), cohens_d: safeRatio(ma - mb, Math.sqrt(pooledVar)), d_kind: 'pooled sd', mean_diff: ma - mb };
}

/**
 * Welch's unequal-variance t-test with the Welch-Satterthwaite df.
 * Cohen's d: (mean a - mean b) / √((sd_a² + sd_b²)/2), the unweighted average variance,
 * which does not assume the variances are equal.
 */
export function ttestWelch(a: ArrayLike<number>, b: ArrayLike<number>): TestResult {
  const na = a.length;
  const nb = b.length;
  const ma = mean(a);
  const mb = mean(b);
  const va = variance(a);
  const vb = variance(b);
  const qa = va / na;
  const qb = vb / nb;
  const df = (qa + qb) ** 2 / ((qa * qa) / (na - 1) + (qb * qb) / (nb - 1));
  const t = safeRatio(ma - mb, Math.sqrt(qa + qb));
  return { statistic: t, df, p: tTwoSidedP(t, df), cohens_d: safeRatio(ma - mb, Math.sqrt((va + vb) / 2)), d_kind: 'average variance', mean_diff: ma - mb };
}

/**
 * Paired t-test on a[i] - b[i].
 * Cohen's d_z: mean of the differences / sd of the differences.
 */
export function ttestPaired(a: ArrayLike<number>, b: ArrayLike<number>): TestResult {
  const d = differences(a, b);
  const n = d.length;
  const md = mean(d);
  const sdd = sd(d);
  const df = n - 1;
  const t = safeRatio(md, sdd / Math.sqrt(n));
  return { statistic: t, df, p: tTwoSidedP(t, df), cohens_d: safeRatio(md, sdd), d_kind: 'd_z (differences)', mean_diff: md };
}

/**
 * Wilcoxon signed-rank test on a[i] - b[i] with SciPy 1.17's defaults
 * (zero_method='wilcox', correction=False, method='auto'):
 * - zero differences are dropped; the remaining |d| get average ranks (ties share a rank);
 * - n = len(a) > 50: normal approximation, with the tie correction Σ(t³ - t)/48 in the variance;
 * - n <= 50 with no ties and no zeros: the exact null distribution of W+;
 * - n <= 13 with ties or zeros: SciPy runs a permutation test, which at this size enumerates
 *   all 2^n sign flips, so it is exact and deterministic; we enumerate the same distribution;
 * - 13 < n <= 50 with ties or zeros: normal approximation, as above.
 * Ties are exact float equality of |d|, as in SciPy. Effect size: Cohen's d_z as for the
 * paired t-test, plus the matched-pairs rank-biserial correlation.
 */
export function wilcoxonSignedRank(a: ArrayLike<number>, b: ArrayLike<number>): WilcoxonResult {
  const dAll = differences(a, b);
  const nAll = dAll.length;
  const d = Array.from(dAll).filter((x) => x !== 0);
  const n = d.length;
  const nZero = nAll - n;
  const { ranks, tieSizes } = averageRanks(d.map(Math.abs));
  let wPlus = 0;
  let wMinus = 0;
  for (let i = 0; i < n; i++) (d[i] > 0 ? (wPlus += ranks[i]) : (wMinus += ranks[i]));
  const hasTies = tieSizes.some((t) => t > 1);
  const md = mean(dAll);
  const sdd = sd(dAll);
  const base = {
    statistic: Math.min(wPlus, wMinus),
    df: null,
    cohens_d: safeRatio(md, sdd),
    d_kind: 'd_z (differences)',
    mean_diff: md,
    w_plus: wPlus,
    w_minus: wMinus,
    n_nonzero: n,
    rank_biserial: n ? (wPlus - wMinus) / (wPlus + wMinus) : NaN,
  };
  if (n === 0) return { ...base, p: NaN, method: 'normal', z: NaN };

  if (nAll <= 50 && !hasTies && nZero === 0) {
    const counts = signedRankCounts(n);
    const total = 2 ** n;
    const w = wPlus; // an integer here: no ties
    let cdf = 0;
    for (let k = 0; k <= w; k++) cdf += counts[k];
    let sf = 0;
    for (let k = w; k < counts.length; k++) sf += counts[k];
    return { ...base, p: Math.min(1, (2 * Math.min(cdf, sf)) / total), method: 'exact' };
  }
  if (nAll <= 13) {
    return { ...base, p: permutationP(ranks, wPlus), method: 'permutation' };
  }
  const meanW = (n * (n + 1)) / 4;
  const tieCorrection = tieSizes.reduce((s, t) => s + t ** 3 - t, 0);
  const se = Math.sqrt((n * (n + 1) * (2 * n + 1) - tieCorrection / 2) / 24);
  const z = (wPlus - meanW) / se;
  return { ...base, p: zTwoSidedP(z), method: 'normal', z: -Math.abs(z) };
}

/** counts[k] = number of subsets of {1..n} whose sum is k (the null distribution of W+ times 2^n). */
export function signedRankCounts(n: number): number[] {
  const max = (n * (n + 1)) / 2;
  const c = new Array<number>(max + 1).fill(0);
  c[0] = 1;
  for (let r = 1; r <= n; r++) for (let k = (r * (r + 1)) / 2; k >= r; k--) c[k] += c[k - r];
  return c;
}

/**
 * Two-sided p of W+ over all sign assignments of the given ranks, as
 * scipy.stats.permutation_test computes it when it enumerates exactly:
 * 2 · min(P(W+ <= w), P(W+ >= w)), with its relative tolerance of 1e-14 on w.
 * Ranks are multiples of 1/2, so sums are counted on a doubled integer scale.
 */
function permutationP(ranks: number[], w: number): number {
  const r2 = ranks.map((r) => Math.round(r * 2));
  const max = r2.reduce((s, r) => s + r, 0);
  let c = new Array<number>(max + 1).fill(0);
  c[0] = 1;
  for (const r of r2) {
    const next = c.slice();
    for (let k = r; k <= max; k++) next[k] += c[k - r];
    c = next;
  }
  const total = 2 ** ranks.length;
  const gamma = Math.abs(1e-14 * w);
  let less = 0;
  let greater = 0;
  for (let k = 0; k <= max; k++) {
    const v = k / 2;
    if (v <= w + gamma) less += c[k];
    if (v >= w - gamma) greater += c[k];
  }
  return Math.min(1, (2 * Math.min(less, greater)) / total);
}

/** Average ranks (1-based) of `xs`, and the size of each tie group. */
export function averageRanks(xs: number[]): { ranks: number[]; tieSizes: number[] } {
  const idx = xs.map((_, i) => i).sort((i, j) => xs[i] - xs[j]);
  const ranks = new Array<number>(xs.length);
  const tieSizes: number[] = [];
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]] === xs[idx[i]]) j++;
    const r = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[idx[k]] = r;
    tieSizes.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieSizes };
}

function differences(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  if (a.length !== b.length) throw new Error(`paired samples differ in length: ${a.length} vs ${b.length}`);
  const d = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) d[i] = a[i] - b[i];
  return d;
}

/** num/den, with 0/0 = NaN and x/0 = ±Infinity, as SciPy reports degenerate samples. */
function safeRatio(num: number, den: number): number {
  if (den === 0) return num === 0 ? NaN : num > 0 ? Infinity : -Infinity;
  return num / den;
}
