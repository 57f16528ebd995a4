// Descriptive statistics and the two-sample tests of nodes/compare/stats.ts against
// SciPy 1.17. The samples are generated identically in Python and here (a Park-Miller
// LCG and exact arithmetic, no transcendental functions), so SciPy's answers can be
// pasted below. Grid 0.125 makes exact ties (binary fractions) for the Wilcoxon cases.
//
// The reference values come from this script (python3, scipy 1.17.1, numpy):
/*
import json, math
import numpy as np
from scipy import stats

def lcg(seed):
    s = seed
    def nxt():
        nonlocal s
        s = (s * 48271) % 2147483647
        return s / 2147483647
    return nxt

def gen(seed, n, mu, sigma, grid=0.0):
    u = lcg(seed)
    out = []
    for _ in range(n):
        v = mu + sigma * (u() + u() + u() - 1.5)
        if grid: v = math.floor(v / grid + 0.5) * grid
        out.append(v)
    return out

# name, a=(seed,n,mu,sigma,grid), b=(...), paired?
cases = [
  ("equal n, equal var", (11, 10, 0.50, 0.20, 0), (12, 10, 0.40, 0.20, 0), True),
  ("unequal n and var", (21, 12, 0.60, 0.10, 0), (22, 20, 0.45, 0.40, 0), False),
  ("tiny n=3 vs 5", (31, 3, 1.0, 1.0, 0), (32, 5, 0.2, 2.0, 0), False),
  ("n=6 exact wilcoxon", (41, 6, 0.55, 0.30, 0), (42, 6, 0.35, 0.30, 0), True),
  ("n=12 ties: permutation", (51, 12, 0.7, 0.5, 0.125), (52, 12, 0.4, 0.5, 0.125), True),
  ("n=13 ties and a zero: permutation", (55, 13, 0.7, 0.5, 0.125), (56, 13, 0.4, 0.5, 0.125), True),
  ("n=40 ties and zeros: normal with tie correction", (63, 40, 0.6, 0.5, 0.125), (64, 40, 0.4, 0.5, 0.125), True),
  ("n=50 exact", (71, 50, 0.52, 0.25, 0), (72, 50, 0.45, 0.25, 0), True),
  ("n=51 normal", (81, 51, 0.52, 0.25, 0), (82, 51, 0.45, 0.25, 0), True),
  ("n=240 like the study", (91, 240, 0.62, 0.30, 0), (92, 240, 0.50, 0.25, 0), True),
  ("n=200 strong effect, tiny p", (101, 200, 0.90, 0.20, 0), (102, 200, 0.40, 0.20, 0), True),
]
ref = []
for name, ga, gb, paired in cases:
    a, b = gen(*ga), gen(*gb)
    r = {"name": name, "a": list(ga), "b": list(gb)}
    t = stats.ttest_ind(a, b); r["independent"] = [float(t.statistic), float(t.df), float(t.pvalue)]
    t = stats.ttest_ind(a, b, equal_var=False); r["welch"] = [float(t.statistic), float(t.df), float(t.pvalue)]
    if paired:
        t = stats.ttest_rel(a, b); r["paired"] = [float(t.statistic), float(t.df), float(t.pvalue)]
        w = stats.wilcoxon(a, b); r["wilcoxon"] = [float(w.statistic), float(w.pvalue)]
    va, vb, na, nb = np.var(a, ddof=1), np.var(b, ddof=1), len(a), len(b)
    diff = np.mean(a) - np.mean(b)
    r["d_pooled"] = float(diff / np.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2)))
    r["d_avg"] = float(diff / np.sqrt((va + vb) / 2))
    if paired:
        dd = np.subtract(a, b); r["d_z"] = float(np.mean(dd) / np.std(dd, ddof=1))
    lo, hi = stats.t.interval(0.95, len(a) - 1, loc=np.mean(a), scale=stats.sem(a))
    r["describe_a"] = [float(np.mean(a)), float(np.std(a, ddof=1)), float(np.median(a)), float(lo), float(hi)]
    ref.append(r)
print(json.dumps(ref, indent=None).replace('{"name"', '\n  {"name"'))
*/

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  averageRanks,
  describe,
  erfc,
  signedRankCounts,
  ttestIndependent,
  ttestPaired,
  ttestWelch,
  wilcoxonSignedRank,
  zTwoSidedP,
} from '../nodes/compare/stats.js';

type Gen = [seed: number, n: number, mu: number, sigma: number, grid: number];
interface Ref {
  name: string;
  a: Gen;
  b: Gen;
  independent: [number, number, number];
  welch: [number, number, number];
  paired?: [number, number, number];
  wilcoxon?: [number, number];
  describe_a: [number, number, number, number, number];
  d_pooled: number;
  d_avg: number;
  d_z?: number;
}

const REF: Ref[] = [
  {"name": "equal n, equal var", "a": [11, 10, 0.5, 0.2, 0], "b": [12, 10, 0.4, 0.2, 0], "independent": [3.622776450483157, 18.0, 0.0019460429143682433], "welch": [3.622776450483157, 13.92828657129649, 0.002791485737022275], "paired": [4.425503317028653, 9.0, 0.0016579156978540983], "wilcoxon": [0.0, 0.001953125], "d_pooled": 1.620154882113148, "d_avg": 1.620154882113148, "d_z": 1.3994670274440772, "describe_a": [0.5599976376350957, 0.060845632017716235, 0.558488615350094, 0.5164712945730726, 0.6035239806971188]}, 
  {"name": "unequal n and var", "a": [21, 12, 0.6, 0.1, 0], "b": [22, 20, 0.45, 0.4, 0], "independent": [2.5945707767360293, 30.0, 0.014512528812012484], "welch": [3.1059822106347945, 27.8297452394626, 0.004332597426163734], "d_pooled": 0.9474032943080154, "d_avg": 1.0312324456007795, "describe_a": [0.6068416323971507, 0.06903493485095101, 0.6197974502666841, 0.5629789274260109, 0.6507043373682906]}, 
  {"name": "tiny n=3 vs 5", "a": [31, 3, 1.0, 1.0, 0], "b": [32, 5, 0.2, 2.0, 0], "independent": [0.029253295751433733, 6.0, 0.977611335341932], "welch": [0.03880709433045847, 4.116109674309873, 0.9708538194917012], "d_pooled": 0.021363586619240392, "d_avg": 0.024614833738044913, "describe_a": [0.9193981644166936, 0.12744912327223318, 0.9526017119421633, 0.6027969909666225, 1.2359993378667649]}, 
  {"name": "n=6 exact wilcoxon", "a": [41, 6, 0.55, 0.3, 0], "b": [42, 6, 0.35, 0.3, 0], "independent": [2.7317493832843303, 10.0, 0.021129867244924393], "welch": [2.7317493832843303, 9.378244379740327, 0.02233276344331867], "paired": [6.352596084489729, 5.0, 0.0014277210536462854], "wilcoxon": [0.0, 0.03125], "d_pooled": 1.5771762417978021, "d_avg": 1.5771762417978021, "d_z": 2.593436491500362, "describe_a": [0.6279094403972428, 0.1894055956153009, 0.6027770874569085, 0.42914045796281947, 0.8266784228316661]}, 
  {"name": "n=12 ties: permutation", "a": [51, 12, 0.7, 0.5, 0.125], "b": [52, 12, 0.4, 0.5, 0.125], "independent": [2.0565246922755316, 22.0, 0.05178357692534764], "welch": [2.0565246922755316, 21.987816199182884, 0.051790389522866985], "paired": [1.9883523913717707, 11.0, 0.07223014677153632], "wilcoxon": [16.5, 0.08447265625], "d_pooled": 0.8395726899182078, "d_avg": 0.8395726899182078, "d_z": 0.5739878942011639, "describe_a": [0.6354166666666666, 0.26359799224415864, 0.6875, 0.4679344927535112, 0.8028988405798221]}, 
  {"name": "n=13 ties and a zero: permutation", "a": [55, 13, 0.7, 0.5, 0.125], "b": [56, 13, 0.4, 0.5, 0.125], "independent": [4.236345030457486, 24.0, 0.0002895242824764991], "welch": [4.236345030457486, 17.458786678336175, 0.000527432548858051], "paired": [3.570846981722595, 12.0, 0.0038464019617698076], "wilcoxon": [4.0, 0.00341796875], "d_pooled": 1.6616312289703496, "d_avg": 1.6616312289703496, "d_z": 0.9903747607258954, "describe_a": [0.7307692307692307, 0.30123942688116423, 0.75, 0.5487320669777325, 0.912806394560729]}, 
  {"name": "n=40 ties and zeros: normal with tie correction", "a": [63, 40, 0.6, 0.5, 0.125], "b": [64, 40, 0.4, 0.5, 0.125], "independent": [3.5541904100019623, 78.0, 0.0006475552494166535], "welch": [3.5541904100019623, 76.96707406465279, 0.0006517864856774986], "paired": [3.168925513782514, 39.0, 0.0029730366746156286], "wilcoxon": [163.5, 0.007322923335690087], "d_pooled": 0.7947411361742236, "d_avg": 0.7947411361742235, "d_z": 0.5010511179486024, "describe_a": [0.56875, 0.2450634402427048, 0.625, 0.4903749095303198, 0.6471250904696801]}, 
  {"name": "n=50 exact", "a": [71, 50, 0.52, 0.25, 0], "b": [72, 50, 0.45, 0.25, 0], "independent": [3.278071742365446, 98.0, 0.0014469422501607126], "welch": [3.278071742365446, 88.5478010990546, 0.0014943734357294655], "paired": [3.069932604999844, 49.0, 0.0034864766527289972], "wilcoxon": [361.0, 0.0069413795797625966], "d_pooled": 0.6556143484730892, "d_avg": 0.6556143484730892, "d_z": 0.43415403255621454, "describe_a": [0.5144420665965612, 0.12806788499512664, 0.5284689317194134, 0.47804557639095746, 0.550838556802165]}, 
  {"name": "n=51 normal", "a": [81, 51, 0.52, 0.25, 0], "b": [82, 51, 0.45, 0.25, 0], "independent": [2.841212783708463, 100.0, 0.005446936513276224], "welch": [2.841212783708463, 99.59702394486274, 0.005450969816812006], "paired": [2.698851618627993, 50.0, 0.009465277006302253], "wilcoxon": [404.0, 0.015193736827439198], "d_pooled": 0.5626439713725704, "d_avg": 0.5626439713725704, "d_z": 0.37791481713115366, "describe_a": [0.523961030789441, 0.116715764733749, 0.5158779257120928, 0.49113419297576094, 0.5567878686031211]}, 
  {"name": "n=240 like the study", "a": [91, 240, 0.62, 0.3, 0], "b": [92, 240, 0.5, 0.25, 0], "independent": [10.198016339886198, 478.0, 3.1523704688826126e-22], "welch": [10.198016339886198, 465.07139048503694, 3.5640772937744287e-22], "paired": [10.323133363219434, 239.0, 6.725437104737855e-21], "wilcoxon": [5065.0, 2.6381449594799118e-18], "d_pooled": 0.930947265193657, "d_avg": 0.930947265193657, "d_z": 0.6663553932737837, "describe_a": [0.627526339585323, 0.14483177491641583, 0.6248167462948788, 0.6091096698547308, 0.6459430093159152]}, 
  {"name": "n=200 strong effect, tiny p", "a": [101, 200, 0.9, 0.2, 0], "b": [102, 200, 0.4, 0.2, 0], "independent": [51.65810711162616, 398.0, 1.4616380937187926e-178], "welch": [51.65810711162616, 397.0708771427953, 2.522590545410894e-178], "paired": [50.28211737009189, 199.0, 4.4549615760192195e-115], "wilcoxon": [0.0, 1.4361464127613523e-34], "d_pooled": 5.1658107111626155, "d_avg": 5.1658107111626155, "d_z": 3.5554826164809867, "describe_a": [0.9002237227308675, 0.09930529032291871, 0.9051070097391992, 0.8863767534794555, 0.9140706919822794]}];

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 48271) % 2147483647) / 2147483647;
}

function gen([seed, n, mu, sigma, grid]: Gen): number[] {
  const u = lcg(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let v = mu + sigma * (u() + u() + u() - 1.5);
    if (grid) v = Math.floor(v / grid + 0.5) * grid;
    out.push(v);
  }
  return out;
}

function close(actual: number, expected: number, what: string, rel = 1e-6): void {
  const err = expected === 0 ? Math.abs(actual) : Math.abs(actual - expected) / Math.abs(expected);
  assert.ok(err <= rel, `${what}: got ${actual}, SciPy ${expected} (relative error ${err.toExponential(2)})`);
}

for (const r of REF) {
  test(`SciPy reference: ${r.name}`, () => {
    const a = gen(r.a);
    const b = gen(r.b);
    const checks: [string, ReturnType<typeof ttestIndependent>, [number, number, number]][] = [
      ['ttest_ind', ttestIndependent(a, b), r.independent],
      ['ttest_ind(equal_var=False)', ttestWelch(a, b), r.welch],
    ];
    if (r.paired) checks.push(['ttest_rel', ttestPaired(a, b), r.paired]);
    for (const [what, got, [t, df, p]] of checks) {
      close(got.statistic, t, `${what} statistic`);
      close(got.df!, df, `${what} df`);
      close(got.p, p, `${what} p`);
    }
    close(ttestIndependent(a, b).cohens_d, r.d_pooled, 'd (pooled)', 1e-9);
    close(ttestWelch(a, b).cohens_d, r.d_avg, 'd (average variance)', 1e-9);
    if (r.wilcoxon) {
      const w = wilcoxonSignedRank(a, b);
      close(w.statistic, r.wilcoxon[0], 'wilcoxon statistic');
      close(w.p, r.wilcoxon[1], `wilcoxon p (${w.method})`);
      close(ttestPaired(a, b).cohens_d, r.d_z!, 'd_z', 1e-9);
      close(w.cohens_d, r.d_z!, 'wilcoxon d_z', 1e-9);
    }
    const d = describe(a);
    const [m, s, med, lo, hi] = r.describe_a;
    close(d.mean, m, 'mean', 1e-12);
    close(d.sd, s, 'sd', 1e-10);
    close(d.median, med, 'median', 1e-15);
    close(d.ci95[0], lo, 'ci95 low');
    close(d.ci95[1], hi, 'ci95 high');
  });
}

test('Wilcoxon picks the method SciPy picks under method=auto', () => {
  const method = (name: string) => {
    const r = REF.find((x) => x.name === name)!;
    return wilcoxonSignedRank(gen(r.a), gen(r.b)).method;
  };
  assert.is(method('n=6 exact wilcoxon'), 'exact');
  assert.is(method('n=50 exact'), 'exact');
  assert.is(method('n=51 normal'), 'normal');
  assert.is(method('n=12 ties: permutation'), 'permutation');
  assert.is(method('n=13 ties and a zero: permutation'), 'permutation');
  assert.is(method('n=40 ties and zeros: normal with tie correction'), 'normal');
});

test('Wilcoxon drops zero differences and reports W+ and W-', () => {
  // d = [0, 1, -2, 3]: ranks of |d| without the zero are 1, 2, 3 -> W+ = 1 + 3, W- = 2
  const w = wilcoxonSignedRank([5, 6, 3, 8], [5, 5, 5, 5]);
  assert.is(w.n_nonzero, 3);
  assert.is(w.w_plus, 4);
  assert.is(w.w_minus, 2);
  assert.is(w.statistic, 2);
  assert.is(w.rank_biserial, (4 - 2) / 6);
  close(w.p, 0.75, "p (scipy.stats.wilcoxon([5,6,3,8],[5,5,5,5]): permutation over 2^4 sign flips)");
});

test('signed-rank null distribution: counts of subsets of 1..n by sum', () => {
  assert.equal(signedRankCounts(3), [1, 1, 1, 2, 1, 1, 1]); // {},{1},{2},{3}|{1,2},{1,3},{2,3},{1,2,3}
  const c = signedRankCounts(50);
  assert.is(c.reduce((s, x) => s + x, 0), 2 ** 50);
});

test('average ranks and tie groups', () => {
  const { ranks, tieSizes } = averageRanks([0.3, 0.1, 0.3, 0.2, 0.3]);
  assert.equal(ranks, [4, 1, 4, 2, 4]);
  assert.equal(tieSizes, [1, 1, 3]);
});

test('normal tail stays accurate far out (jStat erfc = 1 - erf would give 0)', () => {
  // scipy.special.erfc(6), erfc(12); 2*scipy.stats.norm.sf(10)
  close(erfc(6), 2.1519736712498913e-17, 'erfc(6)', 1e-12);
  close(erfc(12), 1.3562611692059047e-64, 'erfc(12)', 1e-12);
  close(zTwoSidedP(10), 1.523970604832094e-23, 'p(z=10)', 1e-12);
  close(erfc(0.5), 0.4795001221869535, 'erfc(0.5)', 1e-14);
});

test('degenerate samples: zero variance gives NaN or infinite t as SciPy does', () => {
  const same = ttestPaired([1, 2, 3], [1, 2, 3]);
  assert.ok(Number.isNaN(same.statistic) && Number.isNaN(same.p));
  const shifted = ttestPaired([2, 3, 4], [1, 2, 3]);
  assert.is(shifted.statistic, Infinity);
  assert.is(shifted.p, 0);
  assert.ok(Number.isNaN(wilcoxonSignedRank([1, 2], [1, 2]).p));
});

test.run();
