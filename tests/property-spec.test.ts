// Property-based tests (fast-check) of the spec loader and the DAG builder:
// random texts, random bytes, random YAML values and random mutations of a valid
// spec never crash the loader, and every problem comes back as a located line
// inside the file; random valid DAGs plan into a topological order with exactly
// their edges, and a scheduled run of one (with random durations and failures)
// respects every edge.

import fc from 'fast-check';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { removeScratch, scratchDir } from './helpers/faults.js';
import { stringify } from 'yaml';
import { CacheStore, ENTRY_FORMAT } from '../cache/store.js';
import type { RunEvent } from '../runner/events.js';
import type { Executor } from '../runner/execute/executor.js';
import type { NodeTask, TaskResult } from '../runner/execute/task.js';
import type { Plan } from '../runner/plan/build.js';
import { runScheduler } from '../runner/run/scheduler.js';
import type { Diagnostic } from '../runner/spec/diagnostics.js';
import { runSpec } from './helpers/run.js';
import { EMIT_NODE, planText, writeSpec } from './helpers/specs.js';

const T = JSON.stringify(EMIT_NODE);
const VALID = `pipeline: prop
params: { seed: 1 }
nodes:
  a:
    type: ${T}
    params: { value: "\${params.seed}", label: first }
  b:
    type: ${T}
    inputs: { x: a.data }
    timeout: 10m
  c:
    type: command
    inputs: { y: b.data }
    params: { run: "true", outs: [] }
sweep:
  b.value: [1, 2]
`;

/** Plan a text; whatever happens must be a plan or located diagnostics, never a throw. */
async function mustNotCrash(text: string | Buffer): Promise<void> {
  const buf = typeof text === 'string' ? Buffer.from(text) : text;
  let result;
  try {
    ({ result } = await planText(buf, {}, 'p.yaml', dir));
  } catch (e) {
    throw new Error(`the loader threw on ${JSON.stringify(buf.toString('latin1').slice(0, 400))}: ${(e as Error).stack}`);
  }
  if (result.ok) return;
  assert.ok(result.diagnostics.length > 0, 'a refusal says why');
  const lines = buf.toString('latin1').split('\n').length;
  for (const d of result.diagnostics as Diagnostic[]) {
    assert.is(d.file, 'p.yaml');
    assert.ok(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines + 1, `line ${d.line} within the file (${lines} lines): ${d.message}`);
    assert.ok(Number.isInteger(d.col) && d.col >= 1, `column ${d.col}: ${d.message}`);
    assert.ok(d.message.length > 0 && !d.message.includes('\n'), `one line: ${JSON.stringify(d.message)}`);
  }
}

let dir: string;
test.before(() => {
  dir = scratchDir('softlab-prop-');
});

// a library warning printed to stderr would be an unlocated, confusing line for the user
const warnings: string[] = [];
process.on('warning', (w) => warnings.push(w.message));
test.after.each(() => {
  assert.equal(warnings.splice(0), [], 'no process warnings while loading specs');
});

/** fragments that look like spec pieces, so random texts reach deep into the checks */
const FRAGMENTS = [
  'pipeline: p\n', 'nodes:\n', '  a:\n', '    type: command\n', `    type: ${T}\n`, '    inputs: { x: a.data }\n', '    inputs: { x: b.outs }\n',
  '    params: { run: "true" }\n', '    params: { value: 500 }\n', '    timeout: 5m\n', 'sweep:\n', '  a.value: [1, 2]\n', 'params: { seed: 1 }\n',
  '  b:\n', '    type: crowd-collect\n', '&x ', '*x', '[', ']', '{', '}', ': ', '- ', '"', "'", '#', '\t', '\r\n', '${params.seed}', '${', '---\n', '\uFEFF', '\u00e9', '!!binary ', '<<: *x\n',
];

test('random texts built from spec fragments never crash the loader; every problem is located', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }), async (parts) => mustNotCrash(parts.join(''))),
    { numRuns: 400 },
  );
});

test('random bytes and random unicode never crash the loader', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => mustNotCrash(Buffer.from(bytes))), { numRuns: 300 });
  await fc.assert(fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), async (s) => mustNotCrash(s)), { numRuns: 300 });
});

test('random YAML values (any shape, under and beside the spec keys) never crash the loader', async () => {
  const value = fc.anything({ maxDepth: 4, withNullPrototype: false, withBigInt: false, withDate: false, withTypedArray: false, withSparseArray: false, withMap: false, withSet: false });
  await fc.assert(
    fc.asyncProperty(value, fc.constantFrom('nodes', 'params', 'sweep', 'pipeline', 'inputs', 'type', 'timeout'), async (v, where) => {
      await mustNotCrash(stringify(v) ?? "");
      const spec: Record<string, unknown> = { pipeline: 'p', nodes: { a: { type: 'command', params: { run: 'true' } } } };
      if (where === 'inputs' || where === 'type' || where === 'timeout') (spec.nodes as Record<string, Record<string, unknown>>).a[where] = v;
      else spec[where] = v;
      await mustNotCrash(stringify(spec));
    }),
    { numRuns: 300 },
  );
});

test('random edits of a valid spec (deleted, inserted, duplicated, swapped lines and characters) never crash the loader', async () => {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('delete-char' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...FRAGMENTS, ' ', '\n', ':', 'x') }),
    fc.record({ kind: fc.constant('dup-line' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), with: fc.nat() }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
      let text = VALID;
      for (const e of edits) {
        const lines = text.split('\n');
        if (e.kind === 'delete-char') {
          const i = e.at % text.length;
          text = text.slice(0, i) + text.slice(i + 1);
        } else if (e.kind === 'insert') {
          const i = e.at % (text.length + 1);
          text = text.slice(0, i) + e.text + text.slice(i);
        } else if (e.kind === 'dup-line') {
          const i = e.at % lines.length;
          lines.splice(i, 0, lines[i]);
          text = lines.join('\n');
        } else {
          const i = e.at % lines.length;
          const j = e.with % lines.length;
          [lines[i], lines[j]] = [lines[j], lines[i]];
          text = lines.join('\n');
        }
      }
      await mustNotCrash(text);
    }),
    { numRuns: 400 },
  );
});

// ---- random valid DAGs ----

interface RandomDag {
  /** for each node (by index), the indices of its upstream nodes (all smaller) */
  ups: number[][];
  /** the order the nodes are written in the spec */
  order: number[];
  fail: boolean[];
  delayMs: number[];
}

const dagArb: fc.Arbitrary<RandomDag> = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.record({
    ups: fc.tuple(...Array.from({ length: n }, (_, i) => fc.uniqueArray(fc.nat({ max: Math.max(0, i - 1) }), { maxLength: i === 0 ? 0 : Math.min(i, 3) }))),
    order: fc.shuffledSubarray(Array.from({ length: n }, (_, i) => i), { minLength: n, maxLength: n }),
    fail: fc.array(fc.boolean().map((b) => b && Math.random() < 0.3), { minLength: n, maxLength: n }),
    delayMs: fc.array(fc.nat({ max: 6 }), { minLength: n, maxLength: n }),
  }),
);

function dagSpec(d: RandomDag, marker = ''): string {
  let text = 'pipeline: dag\nnodes:\n';
  for (const i of d.order) {
    text += `  n${i}:\n    type: ${T}\n`;
    if (d.ups[i].length) text += `    inputs: { ${d.ups[i].map((u) => `in${u}: n${u}.data`).join(', ')} }\n`;
    text += `    params: { value: ${i}, fail: ${d.fail[i]}, sleep_ms: ${d.delayMs[i]}${marker ? `, marker: ${JSON.stringify(marker)}` : ''} }\n`;
  }
  return text;
}

/** An executor that "runs" a node by waiting its sleep_ms and failing if told to: the scheduler alone under test. */
function fakeExecutor(slots: number, running: { now: number; max: number }): Executor {
  return {
    name: 'local',
    capabilities: { sharesCacheFilesystem: true, slots },
    submit(task: NodeTask) {
      running.now++;
      running.max = Math.max(running.max, running.now);
      const p = task.params as { fail: boolean; sleep_ms: number };
      const result = new Promise<TaskResult & { executor: string }>((resolve) =>
        setTimeout(() => {
          running.now--;
          if (p.fail) resolve({ ok: false, failure: { kind: 'error', message: 'told to fail' }, logTail: [], executor: 'local' });
          else {
            const entry = { format: ENTRY_FORMAT, key: task.key, name: task.name, type: task.type, createdAt: '', durationMs: 1, softlabVersion: 't', outputs: {}, info: {}, logs: [] };
            resolve({ ok: true, entry, executor: 'local' });
          }
        }, p.sleep_ms),
      );
      return { result, cancel: () => undefined };
    },
    close: async () => undefined,
  };
}

/** Check a run's events against its plan: every edge respected, failures' downstream skipped, one end per node. */
function checkSchedule(plan: Plan, events: RunEvent[], failing: Set<string>): void {
  const at = (type: RunEvent['type'], key: string): number => events.findIndex((e) => e.type === type && 'key' in e && e.key === key);
  const ends = new Map<string, string[]>();
  for (const e of events) if ((e.type === 'node-finished' || e.type === 'node-failed' || e.type === 'node-skipped' || e.type === 'node-cached') && 'key' in e) ends.set(e.key, [...(ends.get(e.key) ?? []), e.type]);
  const failedUpstream = (k: string): boolean => plan.byKey.get(k)!.deps.some((d) => failing.has(plan.byKey.get(d)!.name) || failedUpstream(d));
  for (const n of plan.nodes) {
    assert.is(ends.get(n.key)?.length, 1, `${n.name} ends exactly once: ${ends.get(n.key)}`);
    const started = at('node-started', n.key);
    if (failedUpstream(n.key)) {
      assert.is(started, -1, `${n.name} must not start: something upstream failed`);
      assert.equal(ends.get(n.key), ['node-skipped']);
      continue;
    }
    assert.equal(ends.get(n.key), [failing.has(n.name) ? 'node-failed' : 'node-finished'], n.name);
    for (const d of n.deps) {
      const upEnd = at('node-finished', d);
      assert.ok(upEnd >= 0 && upEnd < started, `${plan.byKey.get(d)!.name} finishes before ${n.name} starts`);
    }
  }
}

test('random valid DAGs: the plan is a topological order holding exactly the spec\'s edges', async () => {
  await fc.assert(
    fc.asyncProperty(dagArb, async (d) => {
      const { result, messages } = await planText(dagSpec(d), {}, 'dag.yaml', dir);
      assert.ok(result.ok, messages.join('\n'));
      if (!result.ok) return;
      const plan = result.plan;
      assert.is(plan.nodes.length, d.ups.length);
      const pos = new Map(plan.nodes.map((n, i) => [n.key, i]));
      for (const n of plan.nodes) {
        const i = Number(n.name.slice(1));
        assert.equal(n.deps.map((k) => plan.byKey.get(k)!.name).sort(), d.ups[i].map((u) => `n${u}`).sort(), `edges of ${n.name}`);
        for (const dep of n.deps) assert.ok(pos.get(dep)! < pos.get(n.key)!, `${n.name} after its input`);
      }
    }),
    { numRuns: 200 },
  );
});

test('random valid DAGs scheduled with random durations and failures: every edge respected, slots never exceeded', async () => {
  await fc.assert(
    fc.asyncProperty(dagArb, fc.integer({ min: 1, max: 4 }), async (d, slots) => {
      const { result } = await planText(dagSpec(d), {}, 'dag.yaml', dir);
      if (!result.ok) throw new Error('valid DAG refused');
      const events: RunEvent[] = [];
      const running = { now: 0, max: 0 };
      const cacheDir = scratchDir('softlab-prop-cache-');
      await runScheduler({
        plan: result.plan,
        store: new CacheStore(cacheDir),
        executors: { local: fakeExecutor(slots, running) },
        outDir: path.join(cacheDir, 'out'),
        emit: (e) => events.push(e),
        signal: new AbortController().signal,
      });
      assert.ok(running.max <= slots, `${running.max} nodes ran at once on ${slots} slots`);
      checkSchedule(result.plan, events, new Set(d.fail.flatMap((f, i) => (f ? [`n${i}`] : []))));
    }),
    { numRuns: 150 },
  );
});

test('a few random DAGs on the real worker pool: every edge respected, each node executed once, then all cached', async () => {
  await fc.assert(
    fc.asyncProperty(dagArb, async (d0) => {
      const d = { ...d0, fail: d0.fail.map(() => false) };
      const root = scratchDir('softlab-prop-run-');
      const spec = writeSpec(root, dagSpec(d, path.join(root, 'marker')));
      const opts = { cacheDir: path.join(root, 'cache'), outDir: path.join(root, 'out'), jobs: 2 };
      const r = await runSpec(spec, opts);
      assert.is(r.summary.status, 'ok');
      checkSchedule(r.plan, r.events, new Set());
      const again = await runSpec(spec, opts);
      assert.is(again.summary.counts.cached, d.ups.length);
    }),
    { numRuns: 3 },
  );
});

test.after(removeScratch);

test.run();
