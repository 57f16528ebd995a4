// The train/test split: whole children are held out (no child in both), the
// number of test children is test_fraction of them, and which children are chosen
// is balanced so each posed expression has about test_fraction of its images in
// test. Seeded: the same seed and data give the same split.

import { CAFE_EXPRESSIONS, type Expression } from '../../artifacts/classes.js';
import type { Split } from '../../artifacts/dataset.js';
import type { Random } from '../../runner/random.js';

export function assignSplit(images: readonly { child: string; expression: Expression }[], testFraction: number, rng: Random): Split[] {
  const kids = [...new Set(images.map((im) => im.child))].sort();
  const K = CAFE_EXPRESSIONS.length;
  const nTest = testFraction > 0 && kids.length > 1 ? Math.min(kids.length - 1, Math.max(1, Math.round(testFraction * kids.length))) : 0;
  const index = new Map(kids.map((c, i) => [c, i]));
  const perChild = kids.map(() => new Array<number>(K).fill(0));
  const total = new Array<number>(K).fill(0);
  for (const im of images) {
    const e = CAFE_EXPRESSIONS.indexOf(im.expression);
    perChild[index.get(im.child)!][e]++;
    total[e]++;
  }
  const target = total.map((n) => n * testFraction);
  const order = rng.shuffle(kids.map((_, i) => i));
  const inTest = new Array<boolean>(kids.length).fill(false);
  const got = new Array<number>(K).fill(0);
  for (const c of order.slice(0, nTest)) {
    inTest[c] = true;
    for (let e = 0; e < K; e++) got[e] += perChild[c][e];
  }
  // swap a test child for a train child while that brings per-expression counts closer to target
  const cost = (g: number[]): number => g.reduce((s, v, e) => s + (v - target[e]) ** 2, 0);
  for (let pass = 0; pass < 50; pass++) {
    let improved = false;
    for (const a of order) {
      if (!inTest[a]) continue;
      for (const b of order) {
        if (inTest[b]) continue;
        const next = got.map((v, e) => v - perChild[a][e] + perChild[b][e]);
        if (cost(next) < cost(got) - 1e-9) {
          inTest[a] = false;
          inTest[b] = true;
          for (let e = 0; e < K; e++) got[e] = next[e];
          improved = true;
          break;
        }
      }
    }
    if (!improved) break;
  }
  return images.map((im) => (inTest[index.get(im.child)!] ? 'test' : 'train'));
}
