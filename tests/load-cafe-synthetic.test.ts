// The built-in synthetic CAFE: determinism, CAFE's composition and validity
// figures (the calibration table in ../shared/SCIENCE.md), clear poses vs blends,
// visible expressions (a linear classifier on raw pixels, held-out children), the
// split, and the report files.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CAFE_EXPRESSIONS, CAFE_WORDS } from '../artifacts/classes.js';
import { readDataset, type Dataset } from '../artifacts/dataset.js';
import def from '../nodes/load-cafe.js';
import { CAFE_CELLS } from '../nodes/load-cafe/synthetic/cafe-table.js';
import { folderInput } from '../runner/folder-io.js';
import { CancelledError } from '../runner/node-api.js';
import { fillParams, validateParams } from '../runner/spec/params.js';
import { makeTestContext } from './helpers/node-context.js';

interface Out {
  ds: Dataset;
  summary: Record<string, any>;
  digest: string;
  reportDir: string;
}

const runs: (() => Promise<void>)[] = [];
test.after(async () => {
  for (const c of runs) await c();
});

async function load(params: Record<string, unknown>): Promise<Out> {
  const run = await makeTestContext(def, { params });
  runs.push(run.cleanup);
  await def.run(run.ctx);
  const h = createHash('sha256');
  for (const f of ['meta.json', 'pixels.u8']) h.update(await readFile(path.join(run.outDirs.dataset, f)));
  const ds = await readDataset(await folderInput(run.outDirs.dataset, 'dataset', 'cafe.dataset'));
  return { ds, summary: run.summary!, digest: h.digest('hex'), reportDir: run.outDirs.report };
}

let full: Promise<Out> | undefined;
/** The default data set (154 children, 1192 images, 48 x 48), generated once for several tests. */
const fullDefault = (): Promise<Out> => (full ??= load({}));

const posedShare = (ds: Dataset, i: number): number => ds.counts[i][CAFE_EXPRESSIONS.indexOf(ds.images[i].expression)] / ds.raters;

test('same seed gives a byte-identical dataset; another seed a different one', async () => {
  const a = await load({ children: 10, size: 32, seed: 7 });
  const b = await load({ children: 10, size: 32, seed: 7 });
  const c = await load({ children: 10, size: 32, seed: 8 });
  assert.is(a.digest, b.digest);
  assert.is.not(a.digest, c.digest);
  assert.is(a.ds.pixels.length, a.ds.images.length * 32 * 32);
});

test('counts per image sum to the rater count', async () => {
  const { ds } = await load({ children: 10, size: 16, raters: 37 });
  assert.is(ds.raters, 37);
  for (const c of ds.counts) {
    assert.is(c.length, 7);
    assert.is(c.reduce((a, b) => a + b, 0), 37);
  }
});

test("default: CAFE's exact composition, children and calibration", async () => {
  const { ds, summary } = await fullDefault();
  assert.is(ds.images.length, 1192);
  assert.is(ds.synthetic, true);
  assert.equal(ds.classes, [...CAFE_EXPRESSIONS]);
  assert.is(summary.images, 1192);
  assert.is(summary.children, 154);
  const kids = new Map(ds.images.map((im) => [im.child, im]));
  assert.is(kids.size, 154);
  assert.is([...kids.values()].filter((im) => im.sex === 'F').length, 90);
  const eth: Record<string, number> = {};
  for (const im of kids.values()) eth[im.ethnicity!] = (eth[im.ethnicity!] ?? 0) + 1;
  assert.equal(eth, { AA: 27, AS: 16, EA: 77, LA: 23, SA: 11 });
  for (const cell of CAFE_CELLS) {
    const key = `${CAFE_WORDS[cell.expression]}/${cell.mouth}`;
    const got = summary.lab_accuracy[key];
    assert.ok(got, key);
    assert.is(got.n, cell.images, `${key} images`);
    assert.ok(Math.abs(got.mean - cell.mean) <= 0.05, `${key} mean ${got.mean} vs ${cell.mean}`);
    assert.ok(Math.abs(got.median - cell.median) <= 0.08, `${key} median ${got.median} vs ${cell.median}`);
  }
  assert.is(summary.lab_accuracy['surprise/closed'], undefined);
  // ids as CAFE writes them
  const ids = new Set(ds.images.map((im) => im.id));
  assert.ok([...ids].some((id) => /^disgustwithtongue_[FM]-[A-Z]{2}-\d\d$/.test(id)));
  assert.ok([...ids].some((id) => /^surprise_[FM]-[A-Z]{2}-\d\d$/.test(id)));
  assert.ok([...ids].some((id) => /^angryopen_[FM]-[A-Z]{2}-\d\d$/.test(id)));
  assert.is(ids.size, 1192);
  // overall validity as CAFE: mean 0.663, 66 % of images at 0.60 or more
  assert.ok(Math.abs(summary.lab_mean_accuracy - 0.663) < 0.03);
  assert.ok(Math.abs(summary.lab_share_at_least_0_6 - 0.66) < 0.05);
});

test('fewer children: the composition scales proportionally', async () => {
  const { ds } = await load({ children: 24, size: 16 });
  const total = Math.round((1192 * 24) / 154);
  assert.is(ds.images.length, total);
  for (const cell of CAFE_CELLS) {
    const n = ds.images.filter((im) => im.expression === cell.expression && im.mouth === cell.mouth).length;
    assert.ok(Math.abs(n - (cell.images * total) / 1192) < 1, `${cell.expression}/${cell.mouth}: ${n}`);
  }
  assert.is(ds.images.filter((im) => im.expression === 'surprise' && im.mouth === 'closed').length, 0);
  assert.is(new Set(ds.images.map((im) => im.child)).size, 24);
});

test('lab agreement is high for clear poses and spread for blends', async () => {
  const { ds, summary } = await fullDefault();
  const blends = ds.extra!.blends as number[][];
  const entropy = (c: number[]): number => -c.reduce((s, v) => (v > 0 ? s + (v / ds.raters) * Math.log2(v / ds.raters) : s), 0);
  const clear: number[] = [], mixed: number[] = [], hClear: number[] = [], hMixed: number[] = [];
  ds.images.forEach((im, i) => {
    const w = blends[i][CAFE_EXPRESSIONS.indexOf(im.expression)];
    if (w >= 0.85) {
      clear.push(posedShare(ds, i));
      hClear.push(entropy(ds.counts[i]));
    } else if (w < 0.6) {
      mixed.push(posedShare(ds, i));
      hMixed.push(entropy(ds.counts[i]));
    }
  });
  const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
  assert.ok(clear.length > 100 && mixed.length > 100);
  assert.ok(mean(clear) > 0.85, `clear ${mean(clear)}`);
  assert.ok(mean(mixed) < 0.6, `blends ${mean(mixed)}`);
  assert.ok(mean(hMixed) > mean(hClear) + 0.8, `entropy ${mean(hMixed)} vs ${mean(hClear)}`);
  assert.ok(Math.abs(summary.latent.ambiguous_share - 0.35) < 0.03);
});

test('ambiguous_share moves the share of ambiguous blends', async () => {
  const low = await load({ children: 40, size: 16, ambiguous_share: 0.1 });
  const high = await load({ children: 40, size: 16, ambiguous_share: 0.6 });
  assert.ok(Math.abs(low.summary.latent.ambiguous_share - 0.1) < 0.06, String(low.summary.latent.ambiguous_share));
  assert.ok(Math.abs(high.summary.latent.ambiguous_share - 0.6) < 0.08, String(high.summary.latent.ambiguous_share));
  assert.ok(low.summary.lab_mean_accuracy > high.summary.lab_mean_accuracy + 0.1);
});

test('the expressions are visible: softmax regression on raw pixels beats chance on held-out children', async () => {
  const { ds } = await fullDefault();
  const D = ds.width * ds.height * ds.channels;
  const K = 7;
  const idx = (s: string): number[] => ds.images.map((im, i) => (im.split === s ? i : -1)).filter((i) => i >= 0);
  const train = idx('train');
  const testSet = idx('test');
  const label = ds.images.map((im) => CAFE_EXPRESSIONS.indexOf(im.expression));
  const mu = new Float64Array(D);
  const sd = new Float64Array(D);
  for (const i of train) for (let d = 0; d < D; d++) mu[d] += ds.pixels[i * D + d] / train.length;
  for (const i of train) for (let d = 0; d < D; d++) sd[d] += (ds.pixels[i * D + d] - mu[d]) ** 2 / train.length;
  for (let d = 0; d < D; d++) sd[d] = Math.sqrt(sd[d]) + 1;
  const z = (i: number): Float64Array => Float64Array.from({ length: D }, (_, d) => (ds.pixels[i * D + d] - mu[d]) / sd[d]);
  const Ztrain = train.map(z);
  const W = Array.from({ length: K }, () => new Float64Array(D));
  const b = new Float64Array(K);
  const logits = (x: Float64Array): number[] => W.map((w, k) => w.reduce((s, v, d) => s + v * x[d], b[k]));
  for (let epoch = 0; epoch < 8; epoch++) {
    for (let j = 0; j < train.length; j++) {
      const jj = (j * 7919 + epoch * 104729) % train.length; // a fixed pseudo-random order
      const x = Ztrain[jj];
      const l = logits(x);
      const m = Math.max(...l);
      const e = l.map((v) => Math.exp(v - m));
      const s = e.reduce((a, c) => a + c, 0);
      for (let k = 0; k < K; k++) {
        const g = e[k] / s - (k === label[train[jj]] ? 1 : 0);
        const w = W[k];
        for (let d = 0; d < D; d++) w[d] -= 0.002 * (g * x[d] + 1e-3 * w[d]);
        b[k] -= 0.002 * g;
      }
    }
  }
  let correct = 0;
  for (const i of testSet) {
    const l = logits(z(i));
    if (l.indexOf(Math.max(...l)) === label[i]) correct++;
  }
  const acc = correct / testSet.length;
  const majority = Math.max(...CAFE_EXPRESSIONS.map((_, k) => testSet.filter((i) => label[i] === k).length)) / testSet.length;
  assert.ok(acc > 0.35 && acc > majority + 0.12, `accuracy ${acc} (chance 0.14, majority ${majority.toFixed(2)})`);
});

test('split: whole children held out, about test_fraction, every expression in test', async () => {
  const { ds, summary } = await fullDefault();
  const testKids = new Set(ds.images.filter((im) => im.split === 'test').map((im) => im.child));
  const trainKids = new Set(ds.images.filter((im) => im.split === 'train').map((im) => im.child));
  assert.is([...testKids].filter((c) => trainKids.has(c)).length, 0);
  assert.is(testKids.size, Math.round(0.2 * 154));
  assert.is(summary.split.test_children, testKids.size);
  for (const e of CAFE_EXPRESSIONS) {
    const of = ds.images.filter((im) => im.expression === e);
    const share = of.filter((im) => im.split === 'test').length / of.length;
    assert.ok(Math.abs(share - 0.2) < 0.04, `${e}: ${share}`);
  }
});

test('224 x 224 RGB works', async () => {
  const { ds } = await load({ children: 2, size: 224, channels: 3 });
  assert.is(ds.channels, 3);
  assert.is(ds.pixels.length, ds.images.length * 224 * 224 * 3);
  // colour: some pixel has unequal channels
  let coloured = false;
  for (let i = 0; i < 224 * 224 * 3 && !coloured; i += 3) coloured = ds.pixels[i] !== ds.pixels[i + 2];
  assert.ok(coloured);
});

test('report: summary, contact sheet, mean faces, chart, children table, SYNTHETIC banner', async () => {
  const { reportDir, summary } = await fullDefault();
  assert.is(summary.synthetic, true);
  assert.is(summary.skipped, 0);
  assert.equal(Object.values(summary.per_expression), [205, 191, 140, 215, 230, 108, 103]);
  const md = await readFile(path.join(reportDir, 'report.md'), 'utf8');
  assert.match(md, 'SYNTHETIC DATA');
  assert.not.match(md, /^# /m);
  for (const f of ['contact-sheet.png', 'mean-faces.png', 'agreement.svg', 'children.csv']) assert.match(md, `(${f})`);
  const sharp = (await import('sharp')).default;
  const meta = await sharp(path.join(reportDir, 'contact-sheet.png')).metadata();
  assert.ok((meta.width ?? 0) > 7 * 96);
  assert.match(await readFile(path.join(reportDir, 'agreement.svg'), 'utf8'), '<svg');
  const csv = (await readFile(path.join(reportDir, 'children.csv'), 'utf8')).trim().split('\n');
  assert.is(csv.length, 155);
});

test('cancellation stops the generator', async () => {
  const ac = new AbortController();
  ac.abort();
  const run = await makeTestContext(def, { params: { children: 10, size: 16 }, signal: ac.signal });
  runs.push(run.cleanup);
  try {
    await def.run(run.ctx);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, CancelledError);
  }
});

test('params: defaults, and checks on source-specific params', () => {
  const p = fillParams(def, {}) as Record<string, unknown>;
  assert.equal([p.source, p.size, p.channels, p.children, p.test_fraction, p.raters, p.strict], ['synthetic', 48, 1, 154, 0.2, 100, true]);
  for (const [k, s] of Object.entries(def.params.properties)) {
    assert.ok(typeof s.description === 'string' && s.description.length > 10, `${k} description`);
    assert.ok('default' in s, `${k} default`);
  }
  const dir = validateParams(def, { source: 'directory', images: 'cafe/' });
  assert.equal(dir.problems.map((x) => x.path.join('.')), ['ratings']);
  const syn = validateParams(def, { ratings: 'x.csv' });
  assert.match(syn.problems[0].message, 'not used with source: synthetic');
  assert.equal(def.fileDeps!(fillParams(def, { source: 'directory', images: 'cafe', ratings: 'v.xlsx' }) as never), ['cafe', 'v.xlsx']);
  assert.equal(def.fileDeps!(fillParams(def, { source: 'manifest', manifest: 'set/m.csv' }) as never), ['set/m.csv', 'set']);
  assert.equal(def.fileDeps!(fillParams(def, {}) as never), []);
});

test.run();
