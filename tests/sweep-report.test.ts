// The sweep report's parts without a run: flattening summaries, which figures are
// headlines (noise, constants, echoes of the swept params, the cap; or the spec's
// list with `*` patterns), the chart layout (x axis, one line per value of the other
// axes or per pattern match), failures, and rewriting only when results change.

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunSummaryNode } from '../runner/events.js';
import { planCharts, sweepLayout } from '../runner/report/sweep-charts.js';
import { isNoise, MAX_AUTO_METRICS, numericLeaves, selectMetrics, type VariantSummaries } from '../runner/report/sweep-metrics.js';
import { markdownToHtml } from '../runner/report/markdown.js';
import { buildSweep, formatMetric, markdownLink, writeSweepReport, type SweepReportInput } from '../runner/report/sweep-report.js';
import { tempDir } from './helpers/specs.js';

test('summaries flatten to dotted numeric leaves; keys holding dots read like nesting', () => {
  const leaves = numericLeaves({ n: 3, 'crowd.l1_mean': 0.5, sets: { f: { overall: 0.9, per_class: { happy: 1 } } }, name: 'x', list: [1, 2], bad: Number.NaN, ok: true });
  assert.equal([...leaves], [['n', 3], ['crowd.l1_mean', 0.5], ['sets.f.overall', 0.9], ['sets.f.per_class.happy', 1]]);
});

test('timings and throughput are noise; results are not', () => {
  for (const p of ['train_seconds', 'images_per_second', 'render_ms', 'durationMs', 'timing.load', 'seed']) assert.ok(isNoise(p), p);
  for (const p of ['test_l1_mean', 'kept', 'sets.filtered.overall', 'epochs', 'crowd_vs_lab.p']) assert.not.ok(isNoise(p), p);
});

function variants(rows: { id: string; params: Record<string, unknown>; nodes: Record<string, [string, Record<string, unknown>]> }[]): VariantSummaries[] {
  return rows.map((r) => ({
    id: r.id,
    params: r.params,
    keys: new Map(Object.entries(r.nodes).map(([n, [k]]) => [n, k])),
    leaves: new Map(Object.entries(r.nodes).map(([n, [, s]]) => [n, numericLeaves(s)])),
  }));
}

const threeThresholds = variants(
  [0.5, 0.7, 0.9].map((t, i) => ({
    id: `filter.min_accuracy=${t}`,
    params: { 'filter.min_accuracy': t },
    nodes: {
      // shared by every variant: never a headline, even though its figures are numbers
      crowd: ['k-crowd', { workers: 100, responses: 5000 }],
      filter: [`k-f${i}`, { kept: 60 - 20 * i, workers: 100, rule: { min_accuracy: t }, seconds: 0.1 * (i + 1) }],
      agreement: [`k-a${i}`, { sets: { filtered: { overall: 0.8 + 0.05 * i, per_class: { happy: 1, sad: 0.5 + 0.2 * i } } } }],
    },
  })),
);

test('by default: figures of variant-specific nodes that vary, minus noise and echoes of the swept param', () => {
  const s = selectMetrics(['agreement', 'filter', 'crowd'], threeThresholds);
  // workers (constant), rule.min_accuracy (the swept value), seconds (noise), per_class.happy (constant), crowd (shared) are left out
  assert.equal(s.metrics.map((m) => m.id), ['agreement.sets.filtered.overall', 'agreement.sets.filtered.per_class.sad', 'filter.kept']);
  assert.equal(s.groups.map((g) => g.metrics.length), [1, 1, 1]);
  assert.equal(s.notes, []);
});

test('by default at most MAX_AUTO_METRICS figures; a note names the rest', () => {
  const many = variants(
    [1, 2].map((v) => ({ id: `n.v=${v}`, params: { 'n.v': v }, nodes: { n: [`k${v}`, Object.fromEntries(Array.from({ length: MAX_AUTO_METRICS + 3 }, (_, i) => [`m${i}`, v * (i + 2)]))] } })),
  );
  const s = selectMetrics(['n'], many);
  assert.is(s.metrics.length, MAX_AUTO_METRICS);
  assert.is(s.notes.length, 1);
  assert.match(s.notes[0], /^3 more figures vary between variants and are not shown: `n\.m\d+`, `n\.m\d+`, `n\.m\d+`\. Name the ones to show under `report: \{ metrics: \[\.\.\.\] \}`/);
});

test('named metrics: shown even when constant; a `*` pattern groups its matches, named by what `*` matched; no match is a note', () => {
  const s = selectMetrics(['agreement', 'filter', 'crowd'], threeThresholds, ['filter.workers', 'agreement.sets.filtered.per_class.*', 'agreement.sets.*.overall', 'filter.nope', 'crowd.workers']);
  assert.equal(s.groups.map((g) => [g.title, g.labels]), [
    ['filter.workers', ['filter.workers']],
    ['agreement.sets.filtered.per_class.*', ['happy', 'sad']],
    ['agreement.sets.*.overall', ['filtered']],
    ['crowd.workers', ['crowd.workers']],
  ]);
  assert.equal(s.metrics.map((m) => m.id), ['filter.workers', 'agreement.sets.filtered.per_class.happy', 'agreement.sets.filtered.per_class.sad', 'agreement.sets.filtered.overall', 'crowd.workers']);
  assert.equal(s.notes, ['`filter.nope` matched no numeric figure (filter has: kept, workers, rule.min_accuracy, seconds).']);
});

test('layout: x is the first numeric axis that varies; the other axes make the lines', () => {
  const vs = [
    { params: { 'opt.name': 'adam', 'lr.value': 0.1 } },
    { params: { 'opt.name': 'adam', 'lr.value': 0.01 } },
    { params: { 'opt.name': 'sgd', 'lr.value': 0.1 } },
    { params: { 'opt.name': 'sgd', 'lr.value': 0.01 } },
  ];
  assert.equal(sweepLayout([['opt.name'], ['lr.value']], vs), { x: 'lr.value', xTargets: ['lr.value'], xNumeric: true, seriesTargets: ['opt.name'] });
  assert.equal(sweepLayout([['opt.name']], vs.slice(1, 3)), { x: 'opt.name', xTargets: ['opt.name'], xNumeric: false, seriesTargets: [] });
  const zip = [{ params: { 'a.x': 1, 'a.y': 'p' } }, { params: { 'a.x': 2, 'a.y': 'q' } }];
  assert.equal(sweepLayout([['a.x', 'a.y']], zip), { x: 'a.x', xTargets: ['a.x', 'a.y'], xNumeric: true, seriesTargets: [] });
});

test('charts: a pattern is one chart with a line per match on one axis, and one chart per match when another axis takes the colour', () => {
  const sel = selectMetrics(['agreement'], threeThresholds, ['agreement.sets.filtered.per_class.*']);
  const rows = threeThresholds.map((v) => ({ id: v.id, params: v.params, metrics: Object.fromEntries(sel.metrics.map((m) => [m.id, v.leaves.get(m.node)?.get(m.path) ?? null])) }));
  const one = planCharts(sel.groups, rows, sweepLayout([['filter.min_accuracy']], rows));
  assert.equal(one.map((c) => c.id), ['agreement.sets.filtered.per_class.all']);
  const values = (one[0].spec.data as { values: { x: number; y: number; series: string }[] }).values;
  assert.equal(values.filter((p) => p.series === 'sad').map((p) => [p.x, p.y]), [[0.5, 0.5], [0.7, 0.7], [0.9, 0.9]]);

  const grid = rows.flatMap((r) => ['a', 'b'].map((s) => ({ ...r, id: `${r.id},seed=${s}`, params: { ...r.params, seed: s } })));
  const split = planCharts(sel.groups, grid, sweepLayout([['filter.min_accuracy'], ['seed']], grid));
  assert.equal(split.map((c) => c.id), ['agreement.sets.filtered.per_class.happy', 'agreement.sets.filtered.per_class.sad']);
  const series = (split[1].spec.data as { values: { series: string }[] }).values.map((p) => p.series);
  assert.equal([...new Set(series)], ['seed=a', 'seed=b']);
});

test('a missing value breaks the line and is marked; numbers print briefly', () => {
  const rows = [
    { id: 'v=1', params: { v: 1 }, metrics: { 'n.m': 1 } },
    { id: 'v=2', params: { v: 2 }, metrics: { 'n.m': null } },
    { id: 'v=3', params: { v: 3 }, metrics: { 'n.m': 3 } },
  ];
  const [c] = planCharts([{ title: 'n.m', metrics: [{ id: 'n.m', node: 'n', path: 'm' }], labels: ['n.m'], explicit: true }], rows, sweepLayout([['v']], rows));
  assert.equal(c.missing, ['v=2']);
  assert.equal((c.spec.data as { values: { y: number | null }[] }).values.map((p) => p.y), [1, null, 3]);
  assert.is((c.spec.layer as unknown[]).length, 2, 'a rule layer marks the missing variant');
  assert.equal([formatMetric(3), formatMetric(0.123456), formatMetric(0.00001234), formatMetric(null), formatMetric(12345678.9)], ['3', '0.1235', '1.23e-5', '—', '1.23e+7']);
});

function input(over: Partial<SweepReportInput> = {}): SweepReportInput {
  const ids = ['b.value=1', 'b.value=2', 'b.value=3'];
  const node = (name: string, key: string, variants: string[], status: RunSummaryNode['status'], summary?: Record<string, unknown>, failure?: RunSummaryNode['failure']): RunSummaryNode => ({
    name,
    type: 'test-emit',
    key,
    status,
    durationMs: 1,
    variants,
    ...(summary ? { summary } : {}),
    ...(failure ? { failure } : {}),
  });
  return {
    pipeline: 'p',
    nodeNames: ['a', 'b'],
    axes: [['b.value']],
    variants: ids.map((id, i) => ({ id, params: { 'b.value': i + 1 }, status: i === 2 ? 'failed' : 'ok', nodes: new Map([['a', 'ka'], ['b', `kb${i}`]]) })),
    nodes: [
      node('a', 'ka', ids, 'cached', { value: 7 }),
      node('b', 'kb0', [ids[0]], 'executed', { score: 0.25 }),
      node('b', 'kb1', [ids[1]], 'executed', { score: 0.5 }),
      node('b', 'kb2', [ids[2]], 'failed', undefined, { kind: 'input', message: 'data.csv:3: bad row\nfix it' }),
    ],
    ...over,
  };
}

test('rows: status, what failed, metrics (null where missing); a shared failure is marked shared', () => {
  const { doc } = buildSweep(input());
  assert.equal(doc.metrics.map((m) => m.id), ['b.score']);
  assert.equal(doc.variants.map((v) => [v.status, v.metrics['b.score']]), [['ok', 0.25], ['ok', 0.5], ['failed', null]]);
  assert.equal(doc.variants[2].failed, [{ node: 'b', kind: 'input', message: 'data.csv:3: bad row fix it', shared: false }]);

  const shared = input();
  shared.nodes[0] = { ...shared.nodes[0], status: 'failed', failure: { kind: 'error', message: 'boom' }, summary: undefined };
  const { doc: d2 } = buildSweep(shared);
  assert.equal(d2.variants[0].failed, [{ node: 'a', kind: 'error', message: 'boom', shared: true }]);
});

test('writeSweepReport writes json, md, html and charts; same results: nothing rewritten; new results: stale charts removed', async () => {
  const out = tempDir();
  const first = await writeSweepReport(input({ metrics: ['b.score', 'a.value'] }), out);
  assert.ok(first.written);
  for (const f of ['sweep.json', 'sweep.md', 'sweep.html', 'sweep-charts/b.score.svg', 'sweep-charts/a.value.svg']) assert.ok(existsSync(path.join(out, f)), f);
  const md = readFileSync(path.join(out, 'sweep.md'), 'utf8');
  assert.match(md, '| variant | `b.value` | status | `b.score` | `a.value` |');
  assert.match(md, '| b.value=3 | 3 | **failed** | — | 7 |');
  assert.match(md, '- b.value=3: node `b` failed (input): data.csv:3: bad row fix it');
  const mtime = statSync(path.join(out, 'sweep.html')).mtimeMs;

  const again = await writeSweepReport(input({ metrics: ['b.score', 'a.value'] }), out);
  assert.not.ok(again.written);
  assert.is(statSync(path.join(out, 'sweep.html')).mtimeMs, mtime);

  const changed = await writeSweepReport(input({ metrics: ['b.score'] }), out);
  assert.ok(changed.written);
  assert.not.ok(existsSync(path.join(out, 'sweep-charts/a.value.svg')), 'the chart of a metric no longer shown is removed');
});

test('links to a variant folder survive brackets, parentheses, spaces and pipes in its id', () => {
  const id = 'c.label=a (b] c|d';
  const html = markdownToHtml(`| v |\n|---|\n| ${markdownLink(id, `${id}/report.html`)} |`);
  assert.match(html, '<a href="c.label=a%20%28b%5D%20c%7Cd/report.html">c.label=a (b] c|d</a>');
});

test.run();
