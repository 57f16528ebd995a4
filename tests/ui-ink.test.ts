// The Ink view through Ink's test renderer, and the live renderer around it.
import { EventEmitter } from 'node:events';
import { createElement as h } from 'react';
import { cleanup, render } from 'ink-testing-library';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultPipelineNodes, defaultPipelineTimeline, runStarted, summaryOf, sweepStart, T0 } from '../bench/ui-events.js';
import type { RunEvent } from '../runner/events.js';
import { buildFrame, type FrameOptions } from '../runner/ui/frame.js';
import { clean } from '../runner/ui/format.js';
import { LiveApp } from '../runner/ui/ink/app.js';
import { InkRenderer } from '../runner/ui/ink/ink-renderer.js';
import { LiveRenderer, type InkLoader } from '../runner/ui/live.js';
import type { RendererOptions } from '../runner/ui/renderer.js';
import { RunState } from '../runner/ui/state.js';

const timeline = defaultPipelineTimeline({ trainMs: 8000 });
const failing = defaultPipelineTimeline({ trainMs: 8000, failSoft: true });
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stateAt(events: RunEvent[], ms: number): RunState {
  const s = new RunState();
  for (const e of events) if (e.time <= T0 + ms) s.apply(e);
  return s;
}

/** Render the view of `state` with Ink's test renderer; the frame as plain text. */
function show(state: RunState, o: Partial<FrameOptions> = {}, onCancel = () => {}) {
  const lines = buildFrame(state, { now: T0 + 2500, columns: 100, rows: 30, backend: 'wasm', ...o });
  const app = render(h(LiveApp, { lines, listening: !state.finished, onCancel }));
  const frame = clean(app.lastFrame() ?? '');
  return { app, frame, row: (needle: string) => frame.split('\n').find((l) => l.includes(needle)) ?? '' };
}

test.after.each(() => cleanup());

test('waiting and queued rows', () => {
  const s = new RunState();
  s.apply(runStarted(defaultPipelineNodes()));
  s.apply({ type: 'node-queued', time: T0, key: 'k-cafe' });
  const { frame, row } = show(s, { now: T0 });
  assert.match(row('load-cafe'), /^○ cafe +load-cafe +queued$/);
  assert.match(row('crowd-collect'), /^ {2}◌ crowd +crowd-collect +waiting on cafe$/);
  assert.match(frame.split('\n')[0], /^softlab cafe-soft-labels {2}backend wasm · 2 workers · piscina · cache \.softlab\/cache {3}q: cancel$/);
});

test('running rows with a progress bar, the label and an ETA', () => {
  // the test renderer's terminal is 100 columns: the label goes on a second line
  const { frame, row } = show(stateAt(timeline, 6000), { now: T0 + 6000 });
  const lines = frame.split('\n');
  const i = lines.indexOf(row('train-onehot'));
  assert.match(lines[i], /^ {4}▶ onehot +train-onehot +4\.2s$/);
  assert.match(lines[i + 1], /^ {8}█+[▏▎▍▌▋▊▉]?░* +51% epoch 7\/12 · loss [\d.]+ · acc [\d.]+ · \d+ img\/s · ETA 3\.8s$/);
  assert.match(frame, /elapsed 6\.0s · ETA ≥3\.8s {3}2 running · 6 executed/);
});

test('done rows with duration and info; cached and skipped rows', () => {
  const s = stateAt(timeline, 1e9);
  const { row } = show(s, { now: T0 + 1e9 });
  assert.match(row('train-onehot'), /✔ onehot +train-onehot +8\.0s +backend wasm · acc 0\.791$/);
  const c = new RunState();
  c.apply(runStarted(defaultPipelineNodes(['cafe'])));
  c.apply({ type: 'node-cached', time: T0, key: 'k-cafe' });
  c.apply({ type: 'node-skipped', time: T0, key: 'k-samples', reason: 'upstream failed' });
  const v = show(c, { now: T0 });
  assert.match(v.row('load-cafe'), /^◆ cafe +load-cafe +cached$/);
  assert.match(v.row('render-samples'), /⊘ samples +render-samples +skipped: upstream failed$/);
});

test('a failure shows the error and the last log lines inside the view', () => {
  const { frame, row } = show(stateAt(failing, 6000), { now: T0 + 6000 });
  const lines = frame.split('\n');
  assert.match(row('train-soft'), /✖ soft +train-soft +4\.0s +out-of-memory: /);
  const p = lines.indexOf('✖ soft (train-soft) failed after 4.0s:');
  assert.ok(p > 0, frame);
  assert.is(lines[p + 1], '  out-of-memory: the worker ran out of memory (heap limit 2048 MB)');
  assert.match(lines[p + 2], /^ {2}│ epoch 7: loss 0\.80 acc 0\.50$/);
  assert.is(lines[p + 3], '  │ allocating 512 MB tensor for batch 64');
  assert.match(lines.at(-1)!, /1 running · 6 executed · 0 cached · 1 failed · 0 skipped · 2 to go/);
  assert.match(lines[0], /^softlab /);
});

test('sweep grid', () => {
  const s = new RunState();
  s.apply(sweepStart(20));
  s.apply({ type: 'node-started', time: T0, key: 'k-soft-v07' });
  s.apply({ type: 'node-progress', time: T0 + 1000, key: 'k-soft-v07', done: 6, total: 12, label: 'epoch 6/12' });
  const { frame } = show(s, { now: T0 + 2000, rows: 30 });
  assert.match(frame, /^all variants: ○ cafe {2}◌ lab-labels {2}◌ onehot$/m);
  assert.match(frame, /^variant +soft +compare$/m);
  assert.match(frame, /^v07 lr=0\.0035 +▶ 50% +◌ wait$/m);
  assert.ok(frame.split('\n').length < 30);
});

test('final frame with where the results and report are; keys no longer taken', async () => {
  let cancels = 0;
  const { app, frame } = show(stateAt(timeline, 1e9), { now: T0 + 1e9 }, () => cancels++);
  assert.match(frame, /^finished in 11s {2}10 executed · 0 cached · 0 failed · 0 skipped\nresults runs\/2025-01-15-120304\nreport  runs\/2025-01-15-120304\/report\.html$/m);
  await delay(20);
  app.stdin.write('q');
  await delay(20);
  assert.is(cancels, 0);
});

test('q and Ctrl-C call onCancel, every time', async () => {
  let cancels = 0;
  const { app } = show(stateAt(timeline, 2500), {}, () => cancels++);
  await delay(20); // input is wired in an effect
  app.stdin.write('q');
  await delay(20);
  assert.is(cancels, 1);
  app.stdin.write('\u0003');
  await delay(20);
  app.stdin.write('\u0003');
  await delay(20);
  assert.is(cancels, 3);
  app.stdin.write('x');
  await delay(20);
  assert.is(cancels, 3);
});

// ---------------------------------------------------------------- the renderer on a (fake) terminal

function fakeTerminal(columns = 100, rows = 30) {
  const chunks: string[] = [];
  const out = Object.assign(new EventEmitter(), {
    columns,
    rows,
    isTTY: true,
    write(chunk: string, cb?: unknown) {
      chunks.push(chunk);
      if (typeof cb === 'function') (cb as () => void)();
      return true;
    },
  });
  const stdin = Object.assign(new EventEmitter(), { isTTY: false, setEncoding() {}, ref() {}, unref() {}, resume() {}, pause() {}, read: () => null });
  return { out, stdin, text: () => clean(chunks.join('')) };
}

function options(term: ReturnType<typeof fakeTerminal>, clock: { t: number }, extra: Partial<RendererOptions> = {}): RendererOptions {
  return {
    stdout: term.out as unknown as NodeJS.WriteStream,
    stderr: term.out as unknown as NodeJS.WriteStream,
    stdin: term.stdin as unknown as NodeJS.ReadStream,
    onCancel: () => {},
    backend: 'wasm',
    now: () => clock.t,
    ...extra,
  };
}

test('InkRenderer: redraws at most every interval, then leaves the final frame', async () => {
  const term = fakeTerminal();
  const clock = { t: T0 };
  const r = new InkRenderer(options(term, clock));
  const events = defaultPipelineTimeline({ trainMs: 600, progressEveryMs: 10 });
  const start = performance.now();
  // feed the stream at ~5x speed: ~200 events in ~250 ms
  for (const e of events) {
    if (e.time - clock.t > 5) await delay((e.time - clock.t) / 5);
    clock.t = e.time;
    r.onEvent(e);
  }
  await r.close();
  const elapsed = performance.now() - start;
  // the first frame is drawn at start; then one per 100 ms at most, plus the final one
  assert.ok(r.draws <= Math.ceil(elapsed / 100) + 1, `${r.draws} draws in ${elapsed.toFixed(0)} ms`);
  assert.ok(r.draws >= 2);
  const text = term.text();
  assert.match(text, /finished in \S+ {2}10 executed · 0 cached · 0 failed · 0 skipped\nresults runs\/2025-01-15-120304\nreport  runs\/2025-01-15-120304\/report\.html\n/);
});

test('InkRenderer: a frame that costs more is redrawn less often (CPU budget)', () => {
  const term = fakeTerminal();
  const r = new InkRenderer(options(term, { t: T0 }, { cpuBudget: 0.015 }));
  const costs = (r as unknown as { recentCosts: number[] }).recentCosts;
  costs.splice(0, costs.length, 6, 9, 12);
  assert.is(r.interval, 600, '9 ms a frame at 1.5% of a core: 1.7 frames a second');
  costs.splice(0, costs.length, 0.5);
  assert.is(r.interval, 100, 'never faster than 10 a second');
  costs.splice(0, costs.length, 500);
  assert.is(r.interval, 2000, 'never slower than one every 2 s');
  void r.close();
});

test('LiveRenderer: a run of cache hits never loads Ink and prints the final frame', async () => {
  const term = fakeTerminal();
  let loads = 0;
  const loader: InkLoader = async () => {
    loads++;
    throw new Error('must not load');
  };
  const r = new LiveRenderer(options(term, { t: T0 + 50 }), loader);
  const start = runStarted(defaultPipelineNodes(defaultPipelineNodes().map((n) => n.name)));
  const events: RunEvent[] = [start, ...defaultPipelineNodes().map((n, i): RunEvent => ({ type: 'node-cached', time: T0 + i, key: n.key }))];
  for (const e of events) r.onEvent(e);
  r.onEvent({ type: 'run-finished', time: T0 + 50, summary: summaryOf(events, 'ok', T0 + 50) });
  await r.close();
  assert.is(loads, 0);
  assert.is(r.inkRequested, false);
  const text = term.text();
  assert.match(text, /^softlab cafe-soft-labels/);
  assert.match(text, /◆ cafe +load-cafe +cached/);
  assert.match(text, /finished in 0\.1s {2}0 executed · 10 cached · 0 failed · 0 skipped\nresults runs\/2025-01-15-120304\nreport  runs\/2025-01-15-120304\/report\.html\n$/);
});

test('LiveRenderer: loads Ink once there is work, with the events so far in its state', async () => {
  const term = fakeTerminal();
  let seen: RunState | undefined;
  const notified: string[] = [];
  const loader: InkLoader = async (_o, state) => {
    seen = state;
    await delay(20);
    return { notify: (e) => notified.push(e.type), close: async () => {} };
  };
  const r = new LiveRenderer(options(term, { t: T0 }), loader);
  r.onEvent(runStarted(defaultPipelineNodes()));
  assert.is(r.inkRequested, true);
  r.onEvent({ type: 'node-started', time: T0 + 1, key: 'k-cafe' });
  await delay(40);
  r.onEvent({ type: 'node-progress', time: T0 + 2, key: 'k-cafe', done: 1, total: 2 });
  assert.is(seen?.nodes.get('k-cafe')?.status, 'running');
  assert.equal(notified, ['run-started', 'node-progress']);
  await r.close();
});

test('LiveRenderer: if Ink cannot load, plain lines instead', async () => {
  const term = fakeTerminal();
  const r = new LiveRenderer(options(term, { t: T0 }), async () => {
    throw new Error('no yoga');
  });
  for (const e of defaultPipelineTimeline({ trainMs: 200 })) r.onEvent(e);
  await r.close();
  const text = term.text();
  assert.match(text, /the terminal UI could not start \(no yoga\); showing plain lines/);
  assert.match(text, /^\d\d:\d\d:\d\d run {6}cafe-soft-labels: 10 nodes/m);
  assert.match(text, /^\d\d:\d\d:\d\d finished ok in /m);
});

test.run();
