// Sweeps end to end: shared nodes execute once and the summary lists each unique
// execution once with the variants it serves; adding a point executes only the new
// variant's own nodes; a failing variant leaves the others done and the summary,
// the sweep report and the run report say which failed; the sweep report renders
// (sweep.json, sweep.md, self-contained sweep.html, one SVG per chart, per-variant
// reports); and a real 5-point filter-threshold sweep executes load-cafe and
// crowd-collect once and the filter branch five times.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunSummary } from '../runner/events.js';
import type { SweepDocument } from '../runner/report/sweep-report.js';
import { cli, runSpec } from './helpers/run.js';
import { EMIT_NODE, tempDir, writeSpec } from './helpers/specs.js';

const E = EMIT_NODE;

function chain(marker: string, sweep: string): string {
  return `pipeline: chain
description: a shared root, a swept middle, a leaf per variant
nodes:
  a:
    type: ${E}
    params: { value: 1, marker: ${JSON.stringify(marker)} }
  b:
    type: ${E}
    inputs: { x: a.data }
    params: { value: 2, marker: ${JSON.stringify(marker)} }
  c:
    type: ${E}
    inputs: { x: b.data }
    params: { value: 3, marker: ${JSON.stringify(marker)} }
${sweep}`;
}

/** executions recorded by the fixture's marker file, as `name value` lines */
function executions(marker: string): string[] {
  return existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n').filter(Boolean).sort() : [];
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

test('shared nodes execute once; the summary lists each execution once with its variants; adding a point executes only its own nodes', async () => {
  const d = tempDir();
  const marker = path.join(d, 'marker.txt');
  const spec = writeSpec(d, chain(marker, 'sweep:\n  b.value: [10, 20, 30]\nreport:\n  metrics: [b.value]\n'));
  const opts = { cacheDir: path.join(d, 'cache'), outDir: path.join(d, 'out') };
  const ids = ['b.value=10', 'b.value=20', 'b.value=30'];

  const first = await runSpec(spec, opts);
  assert.is(first.summary.status, 'ok');
  assert.equal(executions(marker), ['a 1', 'b 10', 'b 20', 'b 30', 'c 3', 'c 3', 'c 3']);
  const s = first.summary;
  assert.is(s.nodes.length, 7, 'one summary entry per unique execution');
  assert.equal(s.nodes.find((n) => n.name === 'a')!.variants, ids);
  assert.equal(s.nodes.filter((n) => n.name === 'c').map((n) => n.variants), ids.map((id) => [id]));
  assert.equal(s.variants.map((v) => [v.id, v.status]), ids.map((id) => [id, 'ok']));
  for (const id of ids) assert.ok(existsSync(path.join(opts.outDir, id, 'c', 'summary.json')), `${id}/c materialised`);

  // the dry run of a fourth point: what is cached, what it would execute, what sharing saves
  const dry = await cli(['run', spec, '--dry-run', '--sweep', 'b.value=10,20,30,40', '--cache-dir', opts.cacheDir]);
  assert.is(dry.code, 0, dry.stderr);
  const lines = dry.stdout.split('\n');
  assert.equal(lines.slice(1, 6), [
    'variants (4):',
    '  b.value=10  3 nodes, 2 its own, all cached',
    '  b.value=20  3 nodes, 2 its own, all cached',
    '  b.value=30  3 nodes, 2 its own, all cached',
    '  b.value=40  3 nodes, 2 its own, 2 to execute',
  ]);
  assert.is(lines[6], 'unique nodes: 9, cached: 7, to execute: 2');
  assert.is(lines[7], 'sharing saves 3 of 12 executions: run alone, the variants would execute 4 variants × 3 nodes');
  assert.match(lines[8], /^ {2}cached a +test-emit +[0-9a-f]{12} {2}all variants$/);

  // a fourth point: only its b and c run
  const second = await runSpec(spec, { ...opts, sweeps: [{ target: 'b.value', values: [10, 20, 30, 40], flag: '--sweep b.value=10,20,30,40' }] });
  assert.equal(executions(marker), ['a 1', 'b 10', 'b 20', 'b 30', 'b 40', 'c 3', 'c 3', 'c 3', 'c 3']);
  assert.equal(second.summary.counts, { executed: 2, cached: 7, failed: 0, skipped: 0 });
  const doc = readJson<SweepDocument>(path.join(opts.outDir, 'sweep.json'));
  assert.equal(doc.variants.map((v) => v.id), [...ids, 'b.value=40']);
  assert.equal(doc.variants.map((v) => v.metrics['b.value']), [10, 20, 30, 40]);
});

test('a failing variant leaves the others done; the summary, the sweep report and the run report say which failed', async () => {
  const d = tempDir();
  const marker = path.join(d, 'marker.txt');
  const spec = writeSpec(d, chain(marker, 'sweep:\n  zip:\n    b.value: [10, 20, 30]\n    b.fail: [false, true, false]\nreport:\n  metrics: [b.value]\n'));
  const outDir = path.join(d, 'out');
  const { summary } = await runSpec(spec, { cacheDir: path.join(d, 'cache'), outDir });
  const bad = 'b.value=20,b.fail=true';
  assert.is(summary.status, 'failed');
  assert.equal(summary.variants.map((v) => v.status), ['ok', 'failed', 'ok']);
  // the others ran to the end
  assert.equal(executions(marker), ['a 1', 'b 10', 'b 20', 'b 30', 'c 3', 'c 3']);
  const failedNode = summary.nodes.find((n) => n.status === 'failed')!;
  assert.equal([failedNode.name, failedNode.variants], ['b', [bad]]);
  assert.equal(summary.nodes.filter((n) => n.status === 'skipped').map((n) => [n.name, n.variants]), [['c', [bad]]]);
  assert.ok(existsSync(path.join(outDir, 'b.value=30,b.fail=false', 'c', 'summary.json')));
  assert.not.ok(existsSync(path.join(outDir, bad, 'c')));
  // summary.json on disk says the same
  assert.equal(readJson<RunSummary>(path.join(outDir, 'summary.json')).variants.find((v) => v.status !== 'ok')!.id, bad);

  const doc = readJson<SweepDocument>(path.join(outDir, 'sweep.json'));
  const row = doc.variants.find((v) => v.id === bad)!;
  assert.is(row.status, 'failed');
  assert.equal(row.failed.map((f) => [f.node, f.kind, f.shared]), [['b', 'error', false]]);
  assert.match(row.failed[0].message, 'node b was told to fail');
  assert.equal(row.skipped, ['c']);
  assert.is(row.metrics['b.value'], null);
  assert.equal(doc.variants.filter((v) => v.status === 'ok').map((v) => v.metrics['b.value']), [10, 30]);
  const md = readFileSync(path.join(outDir, 'sweep.md'), 'utf8');
  assert.match(md, '2 ok, **1 failed**');
  assert.match(md, `## Failed variants\n\n- [${bad}](${bad}/report.html): node \`b\` failed (error): node b was told to fail; not run: \`c\``);
  assert.match(readFileSync(path.join(outDir, 'report.md'), 'utf8'), `(1 has not finished: \`${bad}\`)`);
  // the failed variant's own report says so too
  assert.match(readFileSync(path.join(outDir, bad, 'report.md'), 'utf8'), /\*\*Failed\*\*/);
});

test('the sweep report renders: charts as SVG, a self-contained HTML page, links to every variant, unchanged results not rewritten', async () => {
  const d = tempDir();
  const spec = writeSpec(d, chain('', 'sweep:\n  b.value: [1, 2]\n  c.label: [u, v]\nreport:\n  metrics: [b.value, c.value]\n'));
  const outDir = path.join(d, 'out');
  const opts = { cacheDir: path.join(d, 'cache'), outDir };
  await runSpec(spec, opts);
  const doc = readJson<SweepDocument>(path.join(outDir, 'sweep.json'));
  assert.equal(doc.axes, [['b.value'], ['c.label']]);
  // named metrics are shown even when constant (c.value is 3 everywhere)
  assert.equal(doc.metrics.map((m) => m.id), ['b.value', 'c.value']);
  assert.equal(doc.variants.map((v) => v.metrics['c.value']), [3, 3, 3, 3]);
  assert.equal(doc.charts.map((c) => c.file), ['sweep-charts/b.value.svg', 'sweep-charts/c.value.svg']);
  const svg = readFileSync(path.join(outDir, doc.charts[0].file), 'utf8');
  assert.match(svg, /^<svg[\s\S]*<\/svg>\s*$/);
  assert.match(svg, 'c.label=u', 'one line per value of the second axis');

  const html = readFileSync(path.join(outDir, 'sweep.html'), 'utf8');
  assert.match(html, /<figure class="chart"[^>]*><svg/);
  assert.not.match(html, /<script|<img src="(?!data:)|<link /, 'no scripts, no external images or styles');
  for (const v of doc.variants) {
    assert.ok(v.report && existsSync(path.join(outDir, v.report)), `${v.id} has its own report`);
    assert.match(html, `href="${encodeURI(v.report!)}"`);
  }
  assert.match(readFileSync(path.join(outDir, 'report.html'), 'utf8'), 'href="sweep.html"');

  const before = statSync(path.join(outDir, 'sweep.html')).mtimeMs;
  const variantBefore = statSync(path.join(outDir, doc.variants[0].report!)).mtimeMs;
  await new Promise((r) => setTimeout(r, 20));
  await runSpec(spec, opts);
  assert.is(statSync(path.join(outDir, 'sweep.html')).mtimeMs, before, 'same results: sweep report not rewritten');
  assert.is(statSync(path.join(outDir, doc.variants[0].report!)).mtimeMs, variantBefore, 'same results: variant report not rewritten');
  assert.equal(readdirSync(path.join(outDir, 'sweep-charts')).sort(), ['b.value.svg', 'c.value.svg']);
});

test('a 5-point filter-threshold sweep executes load-cafe and crowd-collect once and the filter branch five times', async () => {
  const d = tempDir();
  const spec = writeSpec(
    d,
    `pipeline: threshold
nodes:
  cafe: { type: load-cafe, params: { source: synthetic, seed: 3, children: 12, size: 16 } }
  crowd: { type: crowd-collect, inputs: { dataset: cafe.dataset }, params: { images: 30, workers: 24, labels_per_image: 6, quiz_size: 8, seed: 3 } }
  filter: { type: filter, inputs: { responses: crowd.responses, dataset: cafe.dataset }, params: { min_quiz_answers: 4 } }
  lab: { type: aggregate, inputs: { dataset: cafe.dataset } }
  crowd_filtered: { type: aggregate, inputs: { responses: filter.responses } }
  agreement: { type: agreement, inputs: { reference: lab.labels, filtered: crowd_filtered.labels } }
sweep:
  filter.min_accuracy: [0.5, 0.625, 0.75, 0.875, 1]
report:
  metrics: [filter.kept, agreement.sets.filtered.per_class.*, agreement.sets.filtered.overall]
`,
  );
  const outDir = path.join(d, 'out');
  const { summary } = await runSpec(spec, { cacheDir: path.join(d, 'cache'), outDir });
  assert.is(summary.status, 'ok');
  const executed = (name: string) => summary.nodes.filter((n) => n.name === name && n.status === 'executed').length;
  assert.equal(
    ['cafe', 'crowd', 'lab', 'filter', 'crowd_filtered', 'agreement'].map((n) => [n, executed(n)]),
    [['cafe', 1], ['crowd', 1], ['lab', 1], ['filter', 5], ['crowd_filtered', 5], ['agreement', 5]],
  );
  const doc = readJson<SweepDocument>(path.join(outDir, 'sweep.json'));
  const kept = doc.variants.map((v) => v.metrics['filter.kept']!);
  assert.is(kept.length, 5);
  for (let i = 1; i < kept.length; i++) assert.ok(kept[i] <= kept[i - 1], `a stricter quiz keeps no more workers: ${kept}`);
  assert.ok(kept[0] > kept[4], `the threshold matters: ${kept}`);
  // the per-class pattern is one chart with a line per class; its metrics are named by the pattern's match
  const perClass = doc.charts.find((c) => c.title === 'agreement.sets.filtered.per_class.*')!;
  assert.equal(perClass.metrics.map((m) => m.split('.').pop()), ['happy', 'neutral', 'sad', 'fear+surprise', 'anger+disgust']);
  assert.equal(doc.charts.map((c) => c.file), ['sweep-charts/filter.kept.svg', 'sweep-charts/agreement.sets.filtered.per_class.all.svg', 'sweep-charts/agreement.sets.filtered.overall.svg']);
  assert.match(readFileSync(path.join(outDir, perClass.file), 'utf8'), 'fear+surprise');
});

test.run();
