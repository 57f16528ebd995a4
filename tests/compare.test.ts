// The `compare` node end to end: CSV files made elsewhere, a dataset reference with
// predictions artifacts (test split, gallery), a label-set reference, the baseline
// param, and the one-line errors for files that do not fit.
// Run alone with: node --import tsx node_modules/uvu/bin.js tests '^compare'

import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeLabels, type LabelSet } from '../artifacts/labels.js';
import type { CompareMetrics } from '../nodes/compare/evaluate.js';
import compare from '../nodes/compare.js';
import { fileInput, folderInput, folderOutput } from '../runner/folder-io.js';
import { UserInputError, type InputHandle } from '../runner/node-api.js';
import { datasetInput, makeDataset, makePredictions, predictionsInput, tempDir, writeCsvFixtures } from './fixtures/compare/build.js';
import { makeTestContext } from './helpers/node-context.js';

let root = '';
let csv = '';
const csvInput = (name: string) => fileInput(path.join(csv, name), `data/${name}`);

test.before(async () => {
  root = await tempDir('compare-test');
  csv = await writeCsvFixtures(root);
});
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function runCompare(inputs: Record<string, InputHandle>, params: Record<string, unknown> = {}) {
  const run = await makeTestContext(compare, { inputs, params, name: 'compare' });
  await compare.run(run.ctx);
  const metrics = JSON.parse(await readFile(path.join(run.outDirs.metrics, 'metrics.json'), 'utf8')) as CompareMetrics;
  const md = await readFile(path.join(run.outDirs.report, 'report.md'), 'utf8');
  return { run, metrics, md };
}

async function expectUserError(inputs: Record<string, InputHandle>, pattern: RegExp, params: Record<string, unknown> = {}) {
  const run = await makeTestContext(compare, { inputs, params });
  try {
    await compare.run(run.ctx);
    assert.unreachable('expected a UserInputError');
  } catch (e) {
    assert.instance(e, UserInputError);
    const msg = (e as Error).message;
    assert.not.match(msg, /\n/, 'one line');
    assert.match(msg, pattern);
  } finally {
    await run.cleanup();
  }
}

test('CSV files from elsewhere: classes matched by name, 7 columns summed into study5, common images only', async () => {
  const { run, metrics, md } = await runCompare({
    reference: await csvInput('human.csv'),
    a: await csvInput('model-a.csv'),
    b: await csvInput('model-b.csv'),
  });
  try {
    // img6 is missing from b and img9 from the reference: 5 images remain
    assert.is(metrics.n, 5);
    assert.equal(metrics.classes, ['happy', 'neutral', 'sad', 'fear+surprise', 'anger+disgust']);
    assert.is(metrics.reference.split, null);
    // per-image L1 worked out by hand: a = [0.4, 0, 0.6, 1, 1], b = [0.7, 0, 0, 1, 0]
    const close = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-12, `${x} vs ${y}`);
    close(metrics.models.a.l1.mean, 0.6);
    close(metrics.models.b.l1.mean, 0.34);
    close(metrics.models.a.l1.median, 0.6);
    close(metrics.models.b.intersection, 1 - 0.34 / 2);
    // plurality labels: happy, f+s, a+d, neutral (tie with sad -> lower index), happy
    close(metrics.models.a.accuracy, 0.8); // img3: a ties a+d/neutral -> neutral, wrong
    close(metrics.models.b.accuracy, 0.8); // img4: b says sad, humans neutral
    assert.is(metrics.models.a.images, 7);
    assert.is(metrics.models.b.images, 5);
    // scipy.stats on a = [0.4,0,0.6,1,1], b = [0.7,0,0,1,0]:
    // ttest_ind t=0.9101820546182063 p=0.38932594993517766; ttest_rel t=1.1026456085839622 p=0.3320602718646678;
    // ttest_ind(equal_var=False) df=7.890784982935155 p=0.38968227099583874; wilcoxon statistic=1.0 p=0.5
    const t = metrics.tests.a_vs_b;
    assert.ok(t, 'tests.a_vs_b');
    const rel = (x: number, y: number) => assert.ok(Math.abs(x - y) / Math.abs(y) < 1e-6, `${x} vs ${y}`);
    rel(t.independent.statistic, 0.9101820546182063);
    rel(t.independent.p, 0.38932594993517766);
    assert.is(t.independent.df, 8);
    rel(t.welch.df!, 7.890784982935155);
    rel(t.welch.p, 0.38968227099583874);
    rel(t.paired.statistic, 1.1026456085839622);
    rel(t.paired.p, 0.3320602718646678);
    assert.is(t.wilcoxon.statistic, 1);
    rel(t.wilcoxon.p, 0.5);
    close(t.mean_diff, 0.26);
    // the report: the study-style table and the tests, charts, no gallery without pixels
    assert.match(md, /\| a \| 0\.6000 ± /);
    assert.match(md, /two-sample t, pooled variance \(the study's test\) \| t = 0\.9102 \| 8 \| 0\.3893/);
    assert.match(md, /paired t \(same images\) \| t = 1\.1026 \| 4 \| 0\.3321/);
    assert.match(md, /b: 7 columns summed into the 5 classes of merge study5/);
    assert.match(md, /that every model scored \(a 7, b 5\)/);
    assert.not.match(md, /Gallery/);
    for (const f of ['l1.svg', 'confusion.svg', 'calibration.svg', 'metrics.json', 'summary.json']) assert.ok(existsSync(path.join(run.outDirs.report, f)), f);
    const svg = await readFile(path.join(run.outDirs.report, 'l1.svg'), 'utf8');
    assert.match(svg, /^<svg/);
    assert.is(run.summary?.n, 5);
    assert.is(run.summary?.['a_vs_b.p'], t.independent.p);
    assert.is(run.summary?.['b.l1_mean'], metrics.models.b.l1.mean);
  } finally {
    await run.cleanup();
  }
});

test('dataset reference: test split only, predictions artifacts, gallery marked SYNTHETIC', async () => {
  const ds = makeDataset({ images: 42, size: 12 });
  const dir = await tempDir('compare-ds');
  try {
    const { run, metrics, md } = await runCompare(
      {
        reference: await datasetInput(ds, dir),
        onehot: await predictionsInput(makePredictions(ds, 'onehot'), dir, 'onehot'),
        soft: await predictionsInput(makePredictions(ds, 'soft'), dir, 'soft'),
      },
      { gallery: 3 },
    );
    try {
      const testIds = ds.images.filter((i) => i.split === 'test').map((i) => i.id);
      assert.is(metrics.n, testIds.length);
      assert.is(metrics.reference.split, 'test');
      assert.is(metrics.reference.synthetic, true);
      assert.ok(metrics.tests.onehot_vs_soft);
      for (const m of ['onehot', 'soft']) {
        const r = metrics.models[m];
        assert.is(r.n, testIds.length);
        assert.is(r.confusion.flat().reduce((s, x) => s + x, 0), testIds.length);
        assert.ok(r.l1.ci95[0] < r.l1.mean && r.l1.mean < r.l1.ci95[1]);
        for (const k of ['accuracy', 'f1_macro', 'kl', 'js', 'ece'] as const) assert.type(r[k], 'number', `${m}.${k}`);
      }
      // the soft fixture model sits near the humans, the one-hot one far
      assert.ok(metrics.models.soft.l1.mean < metrics.models.onehot.l1.mean);
      assert.ok(metrics.tests.onehot_vs_soft.paired.statistic > 0);
      assert.match(md, /\*\*SYNTHETIC data\*\*/);
      assert.match(md, /### Gallery \(SYNTHETIC faces\)/);
      const gallery = md.match(/\(gallery\/[^)]+\.png\)/g) ?? [];
      assert.is(gallery.length, 3);
      for (const g of gallery) {
        const png = await readFile(path.join(run.outDirs.report, g.slice(1, -1)));
        assert.is(png.subarray(1, 4).toString(), 'PNG');
        assert.is(png.readUInt32BE(16), 12 * 13); // width: 12 px scaled up 13x towards 160
        assert.ok(existsSync(path.join(run.outDirs.report, g.slice(1, -5) + '.svg')));
      }
      assert.ok(run.progress.length >= 6, 'progress per chart and gallery image');
    } finally {
      await run.cleanup();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('label-set reference with 7 classes under merge study5; baseline compares each model with it', async () => {
  const dir = await tempDir('compare-labels');
  try {
    const labels: LabelSet = {
      classes: ['anger', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'],
      merge: 'none',
      method: 'soft',
      origin: 'crowd',
      items: [
        { imageId: 'img1', probs: [0.1, 0.05, 0, 0.8, 0.05, 0, 0], label: 3, n: 20 },
        { imageId: 'img2', probs: [0, 0, 0.3, 0, 0, 0, 0.7], label: 6, n: 20 },
        { imageId: 'img3', probs: [0.4, 0.4, 0, 0, 0.2, 0, 0], label: 0, n: 20 },
      ],
    };
    await writeLabels(folderOutput(path.join(dir, 'labels')), labels);
    const { run, metrics } = await runCompare(
      {
        reference: await folderInput(path.join(dir, 'labels'), 'labels', 'aggregate.labels'),
        a: await csvInput('model-a.csv'),
        b: await csvInput('model-b.csv'),
        c: await csvInput('model-a.csv'),
      },
      { baseline: 'b' },
    );
    try {
      assert.is(metrics.n, 3);
      assert.equal(Object.keys(metrics.tests), ['a_vs_b', 'c_vs_b']);
      // img1..3 as in human.csv: a = [0.4, 0, 0.6]
      assert.ok(Math.abs(metrics.models.a.l1.mean - 1 / 3) < 1e-12);
    } finally {
      await run.cleanup();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('clear one-line errors: class sets, image ids, malformed rows, baseline, merge', async () => {
  const ref = await csvInput('human.csv');
  const a = await csvInput('model-a.csv');
  await expectUserError({ reference: ref, a: await csvInput('model-four-classes.csv') }, /^data\/model-four-classes\.csv:1: no column for class "anger\+disgust"/);
  await expectUserError({ reference: ref, a: await csvInput('model-other-ids.csv') }, /no image ids in common: .*human\.csv has 6 \(e\.g\. "img1", "img2"\), model a .* has 2 \(e\.g\. "x1", "x2"\)/);
  await expectUserError({ reference: ref, a: await csvInput('model-bad-row.csv') }, /^data\/model-bad-row\.csv:3: column "neutral" is "zero"/);
  await expectUserError({ reference: ref, a }, /baseline "nope" is not one of the model inputs \(a\)/, { baseline: 'nope' });
  await expectUserError({ reference: ref, a }, /model-a\.csv:1: column "anger\+disgust" is not a class of merge none .*need `merge: study5`/, { merge: 'none' });
  await expectUserError({ reference: ref }, /at least one model/);
  await expectUserError({ reference: a, a: ref }, /model-a\.csv:1: .*/, { merge: 'none' });
});

test('mapping rules: duplicate and partial class columns are refused', async () => {
  const { mapClassColumns } = await import('../nodes/compare/inputs.js');
  const { classMerge } = await import('../artifacts/classes.js');
  const s5 = classMerge('study5');
  assert.equal(mapClassColumns(['Happy', 'neutral', 'SAD', 'Fear + Surprise', 'anger', 'disgust'], s5, 'f'), [0, 1, 2, 3, 4, 4]);
  assert.throws(() => mapClassColumns(['happy', 'neutral', 'sad', 'fear+surprise', 'anger'], s5, 'f'), /class "anger\+disgust" needs a column "anger\+disgust" or one for each of anger, disgust/);
  assert.throws(() => mapClassColumns(['happy', 'joy', 'neutral', 'sad', 'fear+surprise', 'anger+disgust'], s5, 'f'), /columns "happy", "joy" all mean class "happy"/);
  assert.throws(() => mapClassColumns(['happy', 'neutral', 'sad', 'fear+surprise', 'anger+disgust', 'anger'], s5, 'f'), /all mean class "anger\+disgust"/);
});

test.run();
