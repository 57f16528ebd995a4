// The live view's content as text: rows, scrolling, the sweep grid, failures, the end.
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultPipelineTimeline, sweepStart, T0 } from '../bench/ui-events.js';
import type { RunEvent, RunNodeInfo } from '../runner/events.js';
import { buildFrame, etaText, frameText, type FrameOptions } from '../runner/ui/frame.js';
import { RunState } from '../runner/ui/state.js';
import { pickWindow } from '../runner/ui/window.js';
import { formatDuration, progressBar, truncate, clean } from '../runner/ui/format.js';

const timeline = defaultPipelineTimeline({ trainMs: 8000 });
const failing = defaultPipelineTimeline({ trainMs: 8000, failSoft: true });

function at(events: RunEvent[], ms: number): RunState {
  const s = new RunState();
  for (const e of events) if (e.time <= T0 + ms) s.apply(e);
  return s;
}
const text = (s: RunState, o: Partial<FrameOptions> = {}) =>
  frameText(buildFrame(s, { now: T0 + 2500, columns: 100, rows: 30, backend: 'wasm', ...o }));
const lineOf = (frame: string, needle: string) => frame.split('\n').find((l) => l.includes(needle)) ?? '';

test('format: durations, bars, truncation, escape codes', () => {
  assert.equal([400, 1234, 12_300, 70_000, 3_725_000].map(formatDuration), ['0.4s', '1.2s', '12s', '1m10s', '1h02m']);
  assert.is(progressBar(1, 2, 10), '█████░░░░░');
  assert.is(progressBar(0, 0, 4), '░░░░');
  assert.is([...progressBar(1, 3, 7)].length, 7);
  assert.is(truncate('abcdef', 4), 'abc…');
  assert.is(clean('\u001B[31mred\u001B[0m\r done'), 'red done');
  assert.is(etaText(undefined), '?');
  assert.is(etaText({ ms: 500, lowerBound: true }), '?');
  assert.is(etaText({ ms: 70_000, lowerBound: true }), '≥1m10s');
});

test('header names the pipeline, backend, workers and cache; footer counts and times', () => {
  const f = text(at(timeline, 2500));
  const [header] = f.split('\n');
  for (const part of ['cafe-soft-labels', 'backend wasm', '2 workers', 'cache .softlab/cache']) assert.ok(header.includes(part), part);
  const footer = f.split('\n').at(-1)!;
  assert.match(footer, /elapsed 2\.5s · ETA ≥?\d/);
  assert.match(footer, /2 running · 6 executed · 0 cached · 0 failed · 0 skipped · 2 to go/);
});

test('rows: indented by depth, status glyph, type, elapsed, progress bar with label and ETA', () => {
  const f = text(at(timeline, 2500));
  assert.match(lineOf(f, 'crowd-labels'), /^ {6}✔ crowd-labels +aggregate +0\.1s$/);
  assert.match(lineOf(f, ' compare'), /^ {6}◌ compare +compare +waiting on onehot, soft/);
  // the training label does not fit beside the row at 100 columns: it goes under it
  const lines = f.split('\n');
  const i = lines.findIndex((l) => l.includes('▶ onehot'));
  assert.match(lines[i], /^ {4}▶ onehot +train-onehot +0\.7s$/);
  assert.match(lines[i + 1], /^ {8}█+[▏▎▍▌▋▊▉]?░+ +8% epoch 1\/12 · loss [\d.]+ · acc [\d.]+ · \d+ img\/s · ETA \d+\.\ds$/);
  // wide enough, it stays on the row
  const wide = text(at(timeline, 2500), { columns: 160 });
  assert.match(lineOf(wide, '▶ onehot'), /train-onehot +0\.7s +█.*epoch 1\/12.*ETA 7\.3s$/);
});

test('queued, cached and skipped rows', () => {
  const s = new RunState();
  s.apply({ ...timeline[0], ...(timeline[0].type === 'run-started' ? { nodes: timeline[0].nodes.map((n) => ({ ...n, cached: n.name === 'cafe' })) } : {}) } as RunEvent);
  s.apply({ type: 'node-cached', time: T0 + 1, key: 'k-cafe' });
  s.apply({ type: 'node-queued', time: T0 + 2, key: 'k-crowd' });
  s.apply({ type: 'node-skipped', time: T0 + 3, key: 'k-samples', reason: 'not needed' });
  const f = text(s, { now: T0 + 100 });
  assert.match(lineOf(f, 'load-cafe'), /^◆ cafe +load-cafe +cached$/);
  assert.match(lineOf(f, 'crowd '), /○ crowd +crowd-collect +queued$/);
  assert.match(lineOf(f, 'samples'), /⊘ samples +render-samples +skipped: not needed$/);
});

test('a failure: the row, and a panel with the error and the last log lines', () => {
  const f = text(at(failing, 6000), { now: T0 + 6000 });
  assert.match(lineOf(f, '✖ soft '), /train-soft +4\.0s +out-of-memory: the worker ran out of memory/);
  const lines = f.split('\n');
  const p = lines.indexOf('✖ soft (train-soft) failed after 4.0s:');
  assert.ok(p > 0, f);
  // too long to share the heading's line at 100 columns: whole, on its own
  assert.is(lines[p + 1], '  out-of-memory: the worker ran out of memory (heap limit 2048 MB)');
  assert.match(lines[p + 2], /^ {2}│ epoch \d+: loss/);
  assert.is(lines[p + 3], '  │ allocating 512 MB tensor for batch 64');
  // the rest of the view is intact around it
  assert.match(lines[0], /^softlab cafe-soft-labels/);
  assert.match(lines.at(-1)!, /1 failed/);
});

test('final frame: outcome, counts, where the results and report are', () => {
  const f = text(at(timeline, 1e9), { now: T0 + 1e9 });
  const lines = f.split('\n');
  assert.match(lines.at(-3)!, /^finished in 11s {2}10 executed · 0 cached · 0 failed · 0 skipped$/);
  assert.is(lines.at(-2), 'results runs/2025-01-15-120304');
  assert.is(lines.at(-1), 'report  runs/2025-01-15-120304/report.html');
  assert.not.match(f, /q: cancel|ETA/);
  const failed = text(at(failing, 1e9), { now: T0 + 1e9 });
  assert.match(failed, /^FAILED in .* 7 executed · 0 cached · 1 failed · 2 skipped$/m);
});

test('cancelling is shown in the footer', () => {
  const f = text(at(timeline, 2500), { cancelRequests: 1 });
  assert.match(f.split('\n').at(-1)!, /^cancelling… Ctrl-C again to force/);
});

test('a long pipeline in a short terminal keeps running and failed rows visible', () => {
  const nodes: RunNodeInfo[] = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, name: `step-${i}`, type: 'command', deps: i ? [`k${i - 1}`] : [], variants: ['default'], cached: false }));
  const s = new RunState();
  s.apply({ ...(timeline[0] as Extract<RunEvent, { type: 'run-started' }>), nodes });
  for (let i = 0; i < 30; i++) s.apply({ type: 'node-finished', time: T0, key: `k${i}`, durationMs: 10 });
  s.apply({ type: 'node-failed', time: T0, key: 'k3', durationMs: 5, failure: { kind: 'error', message: 'bad' }, logTail: [] });
  s.apply({ type: 'node-started', time: T0, key: 'k30' });
  s.apply({ type: 'node-progress', time: T0 + 100, key: 'k30', done: 1, total: 4 });
  const frame = buildFrame(s, { now: T0 + 1000, columns: 100, rows: 16 });
  const f = frameText(frame);
  assert.ok(frame.length <= 15, `${frame.length} lines for 16 rows`);
  assert.match(f, /^ {6}✖ step-3 /m);
  assert.match(f, /^ {16}▶ step-30 /m, 'deep rows stop indenting');
  assert.match(f, /⋮ \d+ more/);
});

test('pickWindow: fits the budget, shows the seeds that fit, keeps order', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 30 }), fc.array(fc.nat(59), { maxLength: 8 }), (n, budget, seedsRaw) => {
      const seeds = seedsRaw.filter((x) => x < n);
      const items = pickWindow(n, seeds, budget);
      assert.ok(items.length <= Math.max(budget, 0), 'lines within budget');
      const rows = items.flatMap((it) => (it.kind === 'row' ? [it.index] : []));
      const hidden = items.reduce((a, it) => a + (it.kind === 'gap' ? it.count : 0), 0);
      assert.is(rows.length + hidden, n, 'every row shown or counted in a gap');
      assert.equal(rows, [...rows].sort((a, b) => a - b));
      if (n <= budget) assert.is(rows.length, n);
      // a handful of seeds always fits (each needs at most a row and a gap line)
      if (seeds.length > 0 && 2 * new Set(seeds).size + 1 <= budget) for (const s of seeds) assert.ok(rows.includes(s), `seed ${s}`);
    }),
    { numRuns: 300 },
  );
  assert.equal(pickWindow(10, [9], 4), [{ kind: 'gap', count: 7 }, { kind: 'row', index: 7 }, { kind: 'row', index: 8 }, { kind: 'row', index: 9 }]);
});

function sweepState(n: number): RunState {
  const s = new RunState();
  s.apply(sweepStart(n));
  s.apply({ type: 'node-cached', time: T0, key: 'k-cafe' });
  s.apply({ type: 'node-cached', time: T0, key: 'k-lab' });
  s.apply({ type: 'node-started', time: T0, key: 'k-onehot' });
  s.apply({ type: 'node-progress', time: T0 + 9000, key: 'k-onehot', done: 7, total: 12, label: 'epoch 7/12' });
  for (const v of ['v01', 'v02']) {
    s.apply({ type: 'node-started', time: T0, key: `k-soft-${v}` });
    s.apply({ type: 'node-finished', time: T0 + 5000, key: `k-soft-${v}`, durationMs: 62_000 });
  }
  s.apply({ type: 'node-started', time: T0 + 5000, key: 'k-soft-v03' });
  s.apply({ type: 'node-progress', time: T0 + 9000, key: 'k-soft-v03', done: 3, total: 12, label: 'epoch 3/12 · loss 0.82' });
  s.apply({ type: 'node-started', time: T0 + 5000, key: 'k-soft-v04' });
  s.apply({ type: 'node-failed', time: T0 + 6000, key: 'k-soft-v04', durationMs: 1000, failure: { kind: 'error', message: 'NaN loss' }, logTail: ['epoch 1: loss NaN'] });
  s.apply({ type: 'node-skipped', time: T0 + 6000, key: 'k-compare-v04', reason: 'input soft failed' });
  return s;
}

test('sweep: shared nodes once, then a grid of variants by node; twenty fit one screen', () => {
  const frame = buildFrame(sweepState(20), { now: T0 + 10_000, columns: 100, rows: 32, backend: 'wasm' });
  const f = frameText(frame);
  assert.ok(frame.length <= 31, `${frame.length} lines`);
  assert.match(f, /^all variants: ◆ cafe {2}◆ lab-labels {2}▶ onehot 58%$/m);
  assert.match(f, /^variant +soft +compare$/m);
  assert.match(f, /^v01 lr=0\.0005 +✔ 1m02s +◌ wait$/m);
  assert.match(f, /^v03 lr=0\.0015 +▶ 25% +◌ wait$/m);
  assert.match(f, /^v04 lr=0\.002 +✖ failed +⊘ skip$/m);
  for (let i = 1; i <= 20; i++) assert.match(f, new RegExp(`^v${String(i).padStart(2, '0')} `, 'm'));
  assert.match(f, /^▶ soft\[v03\] +█+.* 25% epoch 3\/12 · loss 0\.82 · ETA/m);
  assert.match(f, /^✖ soft\[v04\] \(train-soft\) failed after 1\.0s: NaN loss$/m);
  assert.match(f, /^ {2}│ epoch 1: loss NaN$/m);
});

test('sweep in a short terminal: rows with running or failed cells stay', () => {
  const s = sweepState(20);
  s.apply({ type: 'node-started', time: T0 + 9000, key: 'k-soft-v18' });
  const frame = buildFrame(s, { now: T0 + 10_000, columns: 80, rows: 18 });
  const f = frameText(frame);
  assert.ok(frame.length <= 17, `${frame.length} lines`);
  for (const v of ['v03', 'v04', 'v18']) assert.match(f, new RegExp(`^${v} `, 'm'));
  assert.match(f, /⋮ \d+ more variants/);
});

test('no line is wider than the terminal', () => {
  for (const columns of [40, 80, 100, 200]) {
    for (const s of [at(timeline, 2500), at(failing, 1e9), sweepState(20)]) {
      for (const line of buildFrame(s, { now: T0 + 3000, columns, rows: 24, backend: 'wasm' })) {
        const width = line.reduce((w, seg) => w + [...seg.text].length, 0);
        assert.ok(width <= columns, `${width} > ${columns}`);
      }
    }
  }
});

test.run();
