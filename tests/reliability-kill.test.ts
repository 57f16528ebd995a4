// Killed at any point: `softlab run` is SIGKILLed at named points of every phase
// of a node's life (lock, run, each step of the cache commit, materialising,
// recording) and from outside at moments spread across a run, then rerun. Every
// rerun succeeds; what finished before the kill comes from the cache; the
// results equal an uninterrupted run's; verify is clean; no temp file or lock
// is left. Two pipelines: a small one (load-cafe, the crowd branch, a command
// node) takes the full matrix of named points; pipelines/cafe-quick.yaml, the
// whole DAG with training (about 4x slower), takes kills spread across its run.

import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheStore } from '../cache/store.js';
import type { Plan } from '../runner/plan/build.js';
import { assertCacheClean, dataDigests, entriesByName, filesUnder, readSummary, removeScratch, reportedDone, runArgs, scratchDir, sleep, spawnCli, waitForOutput, writeSmallPipeline } from './helpers/faults.js';
import { planFile } from './helpers/run.js';
import { ROOT } from './helpers/specs.js';

/**
 * Named kill points (cache/faults.ts), `point[:n]` = the n-th time a thread gets
 * there. Together they cover every phase of a node's life and of the run.
 */
const NODE_POINTS = [
  'lock:owner-written', // a lock's owner written, not yet linked into place
  'lock:taken:3', // a lock held, the node not yet started
  'task:ran', // a node's run() finished, nothing committed
  'commit:object-synced:2', // an output file fsynced, not yet renamed into objects/
  'commit:object-renamed:3', // some objects stored, others not
  'commit:objects-stored', // every object stored, the entry not yet written
  'atomic:synced', // the entry's temp file written and fsynced, not yet renamed
  'commit:entry-written:2', // the entry in place, the lock not yet released
];
/** Points after scheduling: tried on a run whose nodes are all cached (they only materialise and record). */
const RUN_POINTS = [
  'run:scheduled', // every node done, nothing materialised
  'materialize:filled:2', // a result folder's fresh copy made, not yet swapped in
  'materialize:copied:3', // some result folders copied, the state file not written
  'atomic:synced', // the materialised-folders state file half written (its temp file in the results folder)
  'run:recorded', // run record written, reports not
];

/** A kill from outside: `delayMs` after the `afterDone`-th node was reported done (0: after the run started). */
interface Timed {
  afterDone: (nodes: number) => number;
  delayMs: number;
}
const SMALL_TIMED: Timed[] = [
  { afterDone: () => 1, delayMs: 0 }, // the first node's dependents starting and reading its outputs
];
const QUICK_TIMED: Timed[] = [
  { afterDone: () => 0, delayMs: 300 }, // workers starting, nothing done: its rerun is the reference run
  { afterDone: () => 1, delayMs: 2500 }, // both models training
  { afterDone: (n) => n - 1, delayMs: 0 }, // compare running, then materialising
];
/** Kill-and-rerun cases in flight at once (each run is mostly one busy thread). */
const PARALLEL = 2;

interface Harness {
  name: string;
  spec: string;
  plan: Plan;
  /** node name -> data digests of an uninterrupted run */
  reference?: Record<string, Record<string, Record<string, string>>>;
  /** a finished cache to start the cached-run cases from */
  warmCache?: string;
}

interface KillCase {
  label: string;
  point?: string;
  after?: { done: number; delayMs: number };
  /** start from a copy of the harness's finished cache */
  warm?: boolean;
}

let dir: string;
let small: Harness;
let quick: Harness;
let survived = 0;
let attempt = 0;
/** where each kill landed: how many nodes were whole in the cache */
const landed: string[] = [];

test.before(async () => {
  dir = scratchDir('softlab-kill-');
  const smallSpec = writeSmallPipeline(dir);
  small = { name: 'small', spec: smallSpec, plan: await planFile(smallSpec) };
  // two uninterrupted runs side by side (as the kill cases run): their results must agree
  const runs = await Promise.all(
    [1, 2].map(async (i) => {
      const cacheDir = path.join(dir, `baseline-cache-${i}`);
      const outDir = path.join(dir, `baseline-out-${i}`);
      const r = await spawnCli(runArgs(smallSpec, cacheDir, outDir)).done;
      assert.is(r.code, 0, r.stdout + r.stderr);
      return { digests: await digestsOf(cacheDir, outDir), cacheDir };
    }),
  );
  assert.equal(runs[0].digests, runs[1].digests, 'two uninterrupted runs give the same results');
  small.reference = runs[0].digests;
  small.warmCache = runs[0].cacheDir;
  const quickSpec = path.join(ROOT, 'pipelines', 'cafe-quick.yaml');
  quick = { name: 'cafe-quick', spec: quickSpec, plan: await planFile(quickSpec) };
});

test.after(() => {
  console.log(`  kill points survived: ${survived} (${NODE_POINTS.length + RUN_POINTS.length} named, ${SMALL_TIMED.length + QUICK_TIMED.length} timed)`);
  for (const l of landed) console.log(`    ${l}`);
});

async function digestsOf(cacheDir: string, outDir: string): Promise<Record<string, Record<string, Record<string, string>>>> {
  const entries = await entriesByName(cacheDir, readSummary(outDir));
  return Object.fromEntries(Object.entries(entries).map(([name, e]) => [name, dataDigests(e)]));
}

/** Kill one run (at a named point, or from outside), rerun it, and check everything the issue promises. */
async function killAndRerun(h: Harness, c: KillCase): Promise<void> {
  const label = `${h.name}: ${c.label}`;
  attempt++;
  const cacheDir = path.join(dir, `cache-${attempt}`);
  const outDir = path.join(dir, `out-${attempt}`);
  if (c.warm) cpSync(h.warmCache!, cacheDir, { recursive: true });
  const run = spawnCli(runArgs(h.spec, cacheDir, outDir), { env: c.point ? { SOFTLAB_FAULT_KILL_AT: c.point } : {} });
  if (c.after) {
    const { done, delayMs } = c.after;
    await waitForOutput(run, (o) => (done === 0 ? /^\S+ run\s/m.test(o) : reportedDone(o).length >= done), 60_000);
    await sleep(delayMs);
    run.child.kill('SIGKILL');
  }
  const killed = await run.done;
  assert.is(killed.signal, 'SIGKILL', `${label}: the run should have been killed (exit ${killed.code}):\n${killed.stdout}${killed.stderr}`);

  // what was whole in the cache at the moment of the kill
  const store = new CacheStore(cacheDir);
  const finished = new Set<string>();
  for (const n of h.plan.nodes) if ((await store.lookup(n.key)).hit) finished.add(n.name);
  for (const name of reportedDone(killed.stdout)) assert.ok(finished.has(name), `${label}: "${name}" was reported done but has no whole entry`);
  landed.push(`${label}: killed with ${finished.size}/${h.plan.nodes.length} nodes done`);

  const rerun = await spawnCli(runArgs(h.spec, cacheDir, outDir)).done;
  assert.is(rerun.code, 0, `${label}: rerun failed:\n${rerun.stdout}${rerun.stderr}`);
  assert.not.match(rerun.stdout + rerun.stderr, /internal error|\n\s+at /, `${label}: no crash`);
  const summary = readSummary(outDir);
  for (const n of summary.nodes) {
    if (finished.has(n.name)) assert.is(n.status, 'cached', `${label}: "${n.name}" finished before the kill, so it must come from the cache`);
    else assert.is(n.status, 'executed', `${label}: "${n.name}"`);
  }
  const digests = await digestsOf(cacheDir, outDir);
  if (!h.reference) {
    // the first case of a harness without a baseline run: killed before anything finished, so its rerun ran everything
    assert.is(finished.size, 0, `${label}: the reference case must start from nothing`);
    h.reference = digests;
  }
  for (const [name, d] of Object.entries(digests)) assert.equal(d, h.reference[name], `${label}: "${name}" differs from an uninterrupted run`);
  await assertCacheClean(cacheDir, label);
  const leftovers = filesUnder(outDir).filter((f) => f.split(path.sep).some((seg) => /\.(tmp|old\d+)$/.test(seg)));
  assert.equal(leftovers, [], `${label}: temp files in the results folder`);
  assert.ok(existsSync(path.join(outDir, 'report.md')), `${label}: report written`);
  survived++;
}

/** Run the cases PARALLEL at a time; fail with every case's problem at once. */
async function runCases(h: Harness, cases: KillCase[]): Promise<void> {
  const problems: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cases.length) {
      const c = cases[next++];
      try {
        await killAndRerun(h, c);
      } catch (e) {
        problems.push(`${c.label}: ${(e as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  assert.equal(problems, [], problems.join('\n\n'));
}

function timedCases(h: Harness, timed: Timed[]): KillCase[] {
  const n = h.plan.nodes.length;
  return timed.map((t) => {
    const done = t.afterDone(n);
    return { label: `kill ${t.delayMs} ms after ${done === 0 ? 'the start' : `${done} nodes done`}`, after: { done, delayMs: t.delayMs } };
  });
}

test(`SIGKILL at ${NODE_POINTS.length} named points of a node's life, each followed by a rerun`, async () => {
  await runCases(
    small,
    NODE_POINTS.map((point) => ({ label: point, point })),
  );
});

test(`SIGKILL at ${RUN_POINTS.length} named points after scheduling (a cached run), each followed by a rerun`, async () => {
  await runCases(
    small,
    RUN_POINTS.map((point) => ({ label: `${point} (cached run)`, point, warm: true })),
  );
});

test(`SIGKILL from outside at ${SMALL_TIMED.length} moments spread across a run, each followed by a rerun`, async () => {
  await runCases(small, timedCases(small, SMALL_TIMED));
});

test(`cafe-quick (training included): SIGKILL from outside at ${QUICK_TIMED.length} moments spread across its run`, async () => {
  const [first, ...rest] = timedCases(quick, QUICK_TIMED);
  await runCases(quick, [first]); // its rerun is the reference for the others
  await runCases(quick, rest);
});

test.after(removeScratch);

test.run();
