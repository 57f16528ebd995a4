// The UI's view model: statuses from events, order and depth, ETAs.
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultPipelineNodes, defaultPipelineTimeline, runStarted, summaryOf, sweepStart, T0 } from '../bench/ui-events.js';
import type { RunEvent, RunNodeInfo } from '../runner/events.js';
import { RunState, topoOrder } from '../runner/ui/state.js';

const status = (s: RunState, key: string) => s.nodes.get(key)!.status;

function stateWith(...events: RunEvent[]): RunState {
  const s = new RunState({ logLimit: 3 });
  s.apply(runStarted(defaultPipelineNodes()));
  for (const e of events) s.apply(e);
  return s;
}

test('nodes start waiting on inputs, or queued when they have none', () => {
  const s = stateWith();
  assert.is(status(s, 'k-cafe'), 'queued');
  assert.is(status(s, 'k-crowd'), 'waiting');
  assert.equal(s.pendingDeps(s.nodes.get('k-agreement')!).map((n) => n.info.name), ['crowd-labels', 'lab-labels']);
  assert.equal(s.counts(), { waiting: 9, queued: 1, running: 0, cached: 0, done: 0, failed: 0, skipped: 0, total: 10 });
});

test('events move a node through queued, running, done; cached, failed, skipped', () => {
  const s = stateWith(
    { type: 'node-cached', time: T0 + 1, key: 'k-cafe' },
    { type: 'node-queued', time: T0 + 2, key: 'k-crowd' },
  );
  assert.is(status(s, 'k-cafe'), 'cached');
  assert.is(status(s, 'k-crowd'), 'queued');
  assert.equal(s.pendingDeps(s.nodes.get('k-crowd')!), [], 'a cached input is ready');
  s.apply({ type: 'node-started', time: T0 + 10, key: 'k-crowd', worker: 'w1' });
  assert.is(status(s, 'k-crowd'), 'running');
  assert.is(s.elapsed(s.nodes.get('k-crowd')!, T0 + 1010), 1000);
  s.apply({ type: 'node-progress', time: T0 + 20, key: 'k-crowd', done: 5, total: 207, label: '5/207 images' });
  assert.equal(s.nodes.get('k-crowd')!.progress?.label, '5/207 images');
  s.apply({ type: 'node-finished', time: T0 + 1210, key: 'k-crowd', durationMs: 1200, info: { workers: 40 } });
  assert.is(status(s, 'k-crowd'), 'done');
  assert.is(s.elapsed(s.nodes.get('k-crowd')!, T0 + 99999), 1200, 'a finished node keeps its duration');
  s.apply({ type: 'node-started', time: T0 + 1300, key: 'k-filter' });
  s.apply({ type: 'node-failed', time: T0 + 1400, key: 'k-filter', durationMs: 100, failure: { kind: 'input', message: 'responses.csv:4: no worker id' }, logTail: ['reading responses.csv'] });
  s.apply({ type: 'node-skipped', time: T0 + 1401, key: 'k-crowd-labels', reason: 'input filtered failed' });
  assert.is(status(s, 'k-filter'), 'failed');
  assert.equal(s.nodes.get('k-filter')!.failureLog, ['reading responses.csv']);
  assert.is(status(s, 'k-crowd-labels'), 'skipped');
  assert.is(s.nodes.get('k-crowd-labels')!.skipReason, 'input filtered failed');
  const c = s.counts();
  assert.equal([c.cached, c.done, c.failed, c.skipped], [1, 1, 1, 1]);
});

test('log lines are a ring buffer; a failure without a tail from the runner keeps ours', () => {
  const s = stateWith({ type: 'node-started', time: T0, key: 'k-cafe' });
  for (let i = 1; i <= 5; i++) s.apply({ type: 'node-log', time: T0 + i, key: 'k-cafe', level: 'info', message: `line ${i}` });
  assert.equal(s.nodes.get('k-cafe')!.logs.map((l) => l.message), ['line 3', 'line 4', 'line 5']);
  s.apply({ type: 'node-failed', time: T0 + 9, key: 'k-cafe', durationMs: 9, failure: { kind: 'error', message: 'boom' }, logTail: [] });
  assert.equal(s.nodes.get('k-cafe')!.failureLog, ['line 3', 'line 4', 'line 5']);
});

test('events for unknown nodes are ignored; warnings are kept, newest last', () => {
  const s = stateWith({ type: 'node-started', time: T0, key: 'nope' });
  for (let i = 0; i < 7; i++) s.apply({ type: 'warning', time: T0, message: `w${i}` });
  assert.is(s.nodes.size, 10);
  assert.equal(s.warnings.map((w) => w.message), ['w2', 'w3', 'w4', 'w5', 'w6']);
});

test('run-finished settles nodes whose last event never came', () => {
  const events = defaultPipelineTimeline({ trainMs: 500 });
  const s = new RunState();
  const finished = events.at(-1)!;
  // drop the trainings' end events: the summary must still mark them
  for (const e of events) if (!(e.type === 'node-finished' && (e.key === 'k-soft' || e.key === 'k-onehot'))) s.apply(e);
  assert.ok(finished.type === 'run-finished');
  assert.is(s.finished, true);
  assert.is(status(s, 'k-soft'), 'done');
  const interrupted = new RunState();
  interrupted.apply(runStarted(defaultPipelineNodes()));
  interrupted.apply({ type: 'node-started', time: T0 + 1, key: 'k-cafe' });
  interrupted.apply({ type: 'run-finished', time: T0 + 5, summary: summaryOf([runStarted(defaultPipelineNodes())], 'interrupted', T0 + 5) });
  assert.is(status(interrupted, 'k-cafe'), 'skipped');
  assert.is(interrupted.nodes.get('k-cafe')!.skipReason, 'interrupted');
});

test('display order is topological and depth-first; depth is the longest chain above', () => {
  const s = stateWith();
  const names = s.ordered().map((n) => n.info.name);
  assert.equal(names, ['cafe', 'crowd', 'filtered', 'crowd-labels', 'lab-labels', 'agreement', 'onehot', 'soft', 'compare', 'samples']);
  const depth = Object.fromEntries(s.ordered().map((n) => [n.info.name, n.depth]));
  assert.equal([depth.cafe, depth.crowd, depth['lab-labels'], depth.agreement, depth.compare], [0, 1, 1, 4, 3]);
});

test('topoOrder: every dependency comes first, whatever the DAG', () => {
  const dag = fc.integer({ min: 1, max: 25 }).chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 3 * n }),
      fc.array(fc.nat(n - 1), { minLength: n, maxLength: n }),
    ),
  );
  fc.assert(
    fc.property(dag, ([n, edges, perm]) => {
      // edges go from lower to higher id (acyclic); list the nodes in a shuffled order
      const deps = Array.from({ length: n }, () => new Set<number>());
      for (const [a, b] of edges) if (a !== b) deps[Math.max(a, b)].add(Math.min(a, b));
      const listed = [...new Set([...perm, ...Array.from({ length: n }, (_, i) => i)])];
      const nodes: RunNodeInfo[] = listed.map((i) => ({ key: `n${i}`, name: `n${i}`, type: 't', deps: [...deps[i]].map((d) => `n${d}`), variants: ['default'], cached: false }));
      const { order, depth } = topoOrder(nodes);
      assert.is(order.length, n);
      assert.is(new Set(order).size, n);
      const pos = new Map(order.map((k, i) => [k, i]));
      for (const node of nodes) {
        for (const d of node.deps) {
          assert.ok(pos.get(d)! < pos.get(node.key)!, `${d} before ${node.key}`);
          assert.ok(depth.get(d)! < depth.get(node.key)!);
        }
      }
    }),
    { numRuns: 200 },
  );
});

test('node ETA: rate from the first progress sample, less the time since the last', () => {
  const s = stateWith(
    { type: 'node-started', time: T0, key: 'k-cafe' },
    // 3 s of set-up, then 10 units a second
    { type: 'node-progress', time: T0 + 3000, key: 'k-cafe', done: 0, total: 100 },
    { type: 'node-progress', time: T0 + 5000, key: 'k-cafe', done: 20, total: 100 },
  );
  const n = s.nodes.get('k-cafe')!;
  assert.is(s.nodeEta(n, T0 + 5000), 8000);
  assert.is(s.nodeEta(n, T0 + 6000), 7000);
  assert.is(s.nodeEta(n, T0 + 99000), 0);
  const one = stateWith({ type: 'node-started', time: T0, key: 'k-cafe' }, { type: 'node-progress', time: T0 + 1000, key: 'k-cafe', done: 25, total: 100 });
  assert.is(one.nodeEta(one.nodes.get('k-cafe')!, T0 + 1000), 3000, 'one sample: rate since start');
  const none = stateWith({ type: 'node-started', time: T0, key: 'k-cafe' }, { type: 'node-progress', time: T0 + 1000, key: 'k-cafe', done: 0, total: 100 });
  assert.is(none.nodeEta(none.nodes.get('k-cafe')!, T0 + 1000), undefined);
});

test('run ETA: longest remaining chain vs work over workers; unknown nodes make it a lower bound', () => {
  // two sweep variants of a 10 s training, 4 workers: one done, one half-way
  const s = new RunState();
  s.apply(sweepStart(3));
  s.apply({ type: 'node-cached', time: T0, key: 'k-cafe' });
  s.apply({ type: 'node-cached', time: T0, key: 'k-lab' });
  s.apply({ type: 'node-started', time: T0, key: 'k-onehot' });
  s.apply({ type: 'node-finished', time: T0 + 10_000, key: 'k-onehot', durationMs: 10_000 });
  s.apply({ type: 'node-started', time: T0, key: 'k-soft-v01' });
  s.apply({ type: 'node-finished', time: T0 + 10_000, key: 'k-soft-v01', durationMs: 10_000 });
  s.apply({ type: 'node-started', time: T0 + 10_000, key: 'k-soft-v02' });
  s.apply({ type: 'node-progress', time: T0 + 10_000, key: 'k-soft-v02', done: 0, total: 10 });
  s.apply({ type: 'node-progress', time: T0 + 15_000, key: 'k-soft-v02', done: 5, total: 10 });
  s.apply({ type: 'node-started', time: T0 + 10_000, key: 'k-compare-v01' });
  s.apply({ type: 'node-finished', time: T0 + 11_000, key: 'k-compare-v01', durationMs: 1000 });
  // left: soft-v02 5 s, soft-v03 10 s (mean of done 10 s and v02's projected 10 s), compare x2 1 s each
  const eta = s.eta(T0 + 15_000)!;
  assert.equal(eta, { ms: 11_000, lowerBound: false }, 'chain soft-v03 -> compare-v03');
  // with one worker the work bound wins: 5 + 10 + 1 + 1
  s.header!.jobs = 1;
  assert.equal(s.eta(T0 + 15_000), { ms: 17_000, lowerBound: false });
  const fresh = stateWith({ type: 'node-cached', time: T0, key: 'k-cafe' });
  assert.is(fresh.eta(T0), undefined, 'nothing known yet');
  const partly = stateWith({ type: 'node-started', time: T0, key: 'k-cafe' }, { type: 'node-progress', time: T0 + 1000, key: 'k-cafe', done: 50, total: 100 });
  assert.equal(partly.eta(T0 + 1000), { ms: 1000, lowerBound: true });
  const done = new RunState();
  for (const e of defaultPipelineTimeline({ trainMs: 300 })) done.apply(e);
  assert.equal(done.eta(T0 + 1e6), { ms: 0, lowerBound: false });
});

test('sweeps: names repeated across variants are qualified; shared nodes are known', () => {
  const s = new RunState();
  s.apply(sweepStart(3));
  const soft = s.nodes.get('k-soft-v02')!;
  const onehot = s.nodes.get('k-onehot')!;
  assert.is(s.displayName(soft), 'soft[v02]');
  assert.is(s.displayName(onehot), 'onehot');
  assert.is(s.isShared(onehot), true);
  assert.is(s.isShared(soft), false);
});

test.run();
