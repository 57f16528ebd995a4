// The Slurm executor against a real (one-machine) Slurm cluster: same keys and
// outputs as a local run, executor and job id in the summary, logs and progress
// from the job, a job killed by scancel, Ctrl-C, a mixed local/Slurm run,
// max_jobs, and a cache directory the cluster cannot see.
//
// Needs Debian's slurm-wlm and munge (.ci/run installs them and starts the
// cluster with tests/helpers/slurm-cluster.sh; without it this file starts one).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheStore } from '../cache/store.js';
import type { RunEvent, RunSummary } from '../runner/events.js';
import { LocalPoolExecutor } from '../runner/execute/local-pool.js';
import { slurmExecutorForPlan, type SlurmExecutor } from '../runner/execute/slurm/index.js';
import type { RunSettings } from '../runner/execute/slurm/settings.js';
import { runPlan } from '../runner/run/run-plan.js';
import { cli, planFile, runSpec } from './helpers/run.js';
import { ensureCluster, listJobs, scancel, slurmInstalled, stopClusterIfStartedHere, waitFor } from './helpers/slurm-cluster.js';
import { EMIT_NODE, ROOT, tempDir, writeSpec } from './helpers/specs.js';

const T = JSON.stringify(EMIT_NODE);
const FAST: Partial<RunSettings> = { pollIntervalMs: 500, probeGraceMs: 1_000 };

/** a -> b -> c (command), and d beside them; `slurm:` poll quickly */
function pipeline(opts: { marker: string; sleepA?: number; top?: string; nodeB?: string }): string {
  const m = JSON.stringify(opts.marker);
  return `pipeline: slurm-chain
${opts.top ?? ''}
slurm: { poll_interval: 0.5s, probe_grace: 1s }
nodes:
  a:
    type: ${T}
    params: { value: 1, marker: ${m}, sleep_ms: ${opts.sleepA ?? 300} }
  b:
    type: ${T}
    inputs: { x: a.data }
    params: { value: 2, marker: ${m} }
${opts.nodeB ?? ''}
  c:
    type: command
    inputs: { x: b.data }
    params: { run: "cat $x/value.json > copy.json && echo done", outs: [copy.json] }
  d:
    type: ${T}
    params: { value: 4, marker: ${m}, label: beside }
`;
}

interface SlurmRun {
  summary: RunSummary;
  events: RunEvent[];
  executor: SlurmExecutor;
}

/** Run a spec in-process with every node on Slurm (the same path as `softlab run --executor slurm`). */
async function runOnSlurm(spec: string, cacheDir: string, opts: { signal?: AbortSignal; settings?: Partial<RunSettings>; onEvent?(e: RunEvent): void } = {}): Promise<SlurmRun> {
  const plan = await planFile(spec, { executor: 'slurm' });
  const executor = slurmExecutorForPlan(plan, cacheDir, {}, { ...FAST, ...opts.settings });
  const events: RunEvent[] = [];
  const { summary } = await runPlan({
    plan,
    store: new CacheStore(cacheDir),
    executors: { local: new LocalPoolExecutor(2), slurm: executor },
    outDir: path.join(path.dirname(cacheDir), 'out-slurm'),
    emit: (e) => {
      events.push(e);
      opts.onEvent?.(e);
    },
    signal: opts.signal ?? new AbortController().signal,
  });
  return { summary, events, executor };
}

function statusOf(s: RunSummary): Record<string, string> {
  return Object.fromEntries(s.nodes.map((n) => [n.name, n.status]));
}

/** port -> file -> digest of every non-report output of every node */
async function outputDigests(cacheDir: string, summary: RunSummary): Promise<Record<string, unknown>> {
  const store = new CacheStore(cacheDir);
  const out: Record<string, unknown> = {};
  for (const n of summary.nodes) {
    const e = await store.readEntry(n.key);
    assert.ok(e, `entry of ${n.name}`);
    out[n.name] = Object.fromEntries(Object.entries(e!.outputs).filter(([p]) => p !== '_report').map(([p, pe]) => [p, Object.fromEntries(Object.entries(pe.files).map(([f, r]) => [f, r.digest]))]));
  }
  return out;
}

function noStack(s: string): void {
  assert.not.match(s, /\n\s+at /, 'no stack trace');
}

if (!slurmInstalled()) {
  if (process.env.CI) {
    test('Slurm is installed (.ci/run installs slurm-wlm and munge)', () => {
      assert.unreachable('slurmctld, munged or sbatch not found');
    });
  } else {
    process.stderr.write('tests/slurm.test.ts: Slurm is not installed here (apt-get install slurm-wlm munge): its tests were not run\n');
  }
} else {
  test.before(() => {
    ensureCluster();
  });
  test.after(() => stopClusterIfStartedHere());

  test('a Slurm run gives the same keys and outputs as a local run; the summary has executor and job id; logs and progress come through', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, pipeline({ marker: path.join(dir, 'marker'), sleepA: 600 }));
    const local = await runSpec(spec, { cacheDir: path.join(dir, 'cache-local'), outDir: path.join(dir, 'out-local') });
    assert.is(local.summary.status, 'ok');
    const t0 = Date.now();
    const s = await runOnSlurm(spec, path.join(dir, 'cache-slurm'));
    const wall = Date.now() - t0;
    assert.is(s.summary.status, 'ok', JSON.stringify(s.summary.nodes.map((n) => n.failure)));
    assert.equal(s.summary.nodes.map((n) => [n.name, n.key]), local.summary.nodes.map((n) => [n.name, n.key]), 'same keys');
    assert.equal(await outputDigests(path.join(dir, 'cache-slurm'), s.summary), await outputDigests(path.join(dir, 'cache-local'), local.summary), 'same output digests');

    // every node ran as a job of this run, named after it
    const jobs = new Map(listJobs(s.executor.jobName).map((j) => [j.jobId, j]));
    for (const n of s.summary.nodes) {
      assert.is(n.executor, 'slurm', n.name);
      assert.match(n.jobId ?? '', /^\d+$/, `${n.name} has a job id`);
      assert.is(jobs.get(n.jobId!)?.state, 'COMPLETED', `job of ${n.name}`);
    }
    assert.is(new Set(s.summary.nodes.map((n) => n.jobId)).size, 4, 'one job per node');
    // the worker's log line and its progress reached the run's events
    const aKey = s.summary.nodes.find((n) => n.name === 'a')!.key;
    assert.ok(s.events.some((e) => e.type === 'node-log' && e.key === aKey && e.message === 'emitting 1'), 'node log from the job');
    assert.ok(s.events.some((e) => e.type === 'node-progress' && e.key === aKey), 'progress from the job');
    assert.ok(s.events.some((e) => e.type === 'node-log' && e.key === aKey && /submitted as Slurm job \d+/.test(e.message)));
    // gentle with the controller: 4 jobs + the probe; status polls bounded by the poll interval, not by the job count
    const calls = s.executor.commands.calls;
    assert.is(calls.sbatch, 5);
    assert.ok(calls.squeue <= Math.ceil(wall / 500) + 2, `squeue calls ${calls.squeue} in ${wall} ms`);
    assert.is(calls.scancel, 0);
    // job files of successful nodes are cleaned up
    const runsDir = path.join(dir, 'cache-slurm', 'slurm', 'runs', s.executor.runId);
    assert.not.ok(existsSync(runsDir), 'run folder removed after an all-ok run');

    // a rerun is served from the cache without a single Slurm call
    const again = await runOnSlurm(spec, path.join(dir, 'cache-slurm'));
    assert.equal(again.summary.counts, { executed: 0, cached: 4, failed: 0, skipped: 0 });
    assert.equal(again.executor.commands.calls, { sbatch: 0, squeue: 0, scancel: 0 });
  });

  test('the quick pipeline on Slurm: the same keys and output digests as a local run, executor and job id per node', async () => {
    const spec = path.join(ROOT, 'pipelines', 'cafe-quick.yaml');
    const dir = tempDir();
    const local = await runSpec(spec, { cacheDir: path.join(dir, 'cache-local'), outDir: path.join(dir, 'out-local') });
    assert.is(local.summary.status, 'ok');
    const s = await runOnSlurm(spec, path.join(dir, 'cache-slurm'));
    assert.is(s.summary.status, 'ok', JSON.stringify(s.summary.nodes.map((n) => n.failure)));
    assert.ok(s.summary.nodes.length >= 5, 'a real pipeline');
    assert.equal(s.summary.nodes.map((n) => [n.name, n.key]), local.summary.nodes.map((n) => [n.name, n.key]), 'same keys');
    assert.equal(await outputDigests(path.join(dir, 'cache-slurm'), s.summary), await outputDigests(path.join(dir, 'cache-local'), local.summary), 'same output digests');
    const jobs = new Map(listJobs(s.executor.jobName).map((j) => [j.jobId, j.state]));
    for (const n of s.summary.nodes) {
      assert.is(n.executor, 'slurm', n.name);
      assert.is(jobs.get(n.jobId ?? ''), 'COMPLETED', `job of ${n.name}`);
    }
    for (const n of local.summary.nodes) assert.is(n.executor, 'local');
  });

  test('a job cancelled with scancel mid-run fails with Slurm\'s reason, its dependents are skipped, and a rerun completes', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, pipeline({ marker: path.join(dir, 'marker'), sleepA: 4_000 }));
    const cacheDir = path.join(dir, 'cache');
    let aKey = '';
    let aJob: string | undefined;
    const run = runOnSlurm(spec, cacheDir, {
      onEvent(e) {
        if (e.type === 'run-started') aKey = e.nodes.find((n) => n.name === 'a')!.key;
        if (e.type === 'node-log' && e.key === aKey) {
          const m = /submitted as Slurm job (\d+)/.exec(e.message);
          if (m) aJob = m[1];
        }
      },
    });
    const jobId = await waitFor('node a to be submitted', () => aJob);
    await waitFor('job of a to run', () => listJobs().find((j) => j.jobId === jobId && j.state === 'RUNNING'), 20_000);
    await new Promise((r) => setTimeout(r, 500));
    scancel(jobId);
    const s = await run;
    assert.is(s.summary.status, 'failed');
    assert.equal(statusOf(s.summary), { a: 'failed', d: 'executed', b: 'skipped', c: 'skipped' });
    const a = s.summary.nodes.find((n) => n.name === 'a')!;
    assert.is(a.jobId, jobId);
    assert.is(a.executor, 'slurm');
    assert.is(a.failure?.kind, 'worker-died');
    assert.match(a.failure!.message, new RegExp(`Slurm job ${jobId} on \\S+ was cancelled outside softlab .*CANCELLED`));
    const failed = s.events.find((e) => e.type === 'node-failed' && e.key === a.key);
    assert.ok(failed);
    // the rerun picks up from the cache: only a, b and c run
    const again = await runOnSlurm(spec, cacheDir);
    assert.is(again.summary.status, 'ok');
    assert.equal(again.summary.counts, { executed: 3, cached: 1, failed: 0, skipped: 0 });
  });

  test('a node\'s timeout stops its job; a failing node reports its own error from the job', async () => {
    const dir = tempDir();
    const spec = writeSpec(
      dir,
      `pipeline: limits
nodes:
  slow:
    type: ${T}
    timeout: 1.5s
    params: { sleep_ms: 20000 }
  broken:
    type: ${T}
    params: { fail: true, value: 7 }
`,
    );
    const s = await runOnSlurm(spec, path.join(dir, 'cache'));
    const slow = s.summary.nodes.find((n) => n.name === 'slow')!;
    const broken = s.summary.nodes.find((n) => n.name === 'broken')!;
    assert.is(slow.failure?.kind, 'timeout');
    assert.match(slow.failure!.message, /timed out after 1\.5 s/);
    assert.is(broken.failure?.kind, 'error');
    assert.match(broken.failure!.message, /node broken was told to fail/);
    const brokenFailed = s.events.find((e) => e.type === 'node-failed' && e.key === broken.key);
    assert.ok(brokenFailed?.type === 'node-failed' && brokenFailed.logTail.includes('emitting 7'), 'log tail from the job');
    assert.ok(slow.durationMs < 15_000, `stopped early (${slow.durationMs} ms)`);
    const jobs = new Map(listJobs(s.executor.jobName).map((j) => [j.jobId, j.state]));
    assert.is(jobs.get(slow.jobId!), 'CANCELLED');
    assert.is(jobs.get(broken.jobId!), 'FAILED', 'exec exits 1 for a failed node');
  });

  test('a mixed run: one node on Slurm (executor: slurm on the node), the rest local', async () => {
    const dir = tempDir();
    const spec = writeSpec(dir, pipeline({ marker: path.join(dir, 'marker'), top: 'executor: local', nodeB: '    executor: slurm' }));
    const r = await cli(['run', spec, '--json', '--cache-dir', path.join(dir, 'cache'), '--out', path.join(dir, 'out')]);
    assert.is(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as RunSummary;
    const by = Object.fromEntries(summary.nodes.map((n) => [n.name, n]));
    assert.is(by.b.executor, 'slurm');
    assert.match(by.b.jobId ?? '', /^\d+$/);
    for (const name of ['a', 'c', 'd']) {
      assert.is(by[name].executor, 'local', name);
      assert.is(by[name].jobId, undefined, name);
    }
    assert.is(JSON.parse(readFileSync(path.join(dir, 'copy.json'), 'utf8')).value, 2, 'the local node read the Slurm node\'s output');
    assert.ok(listJobs().some((j) => j.jobId === by.b.jobId && j.state === 'COMPLETED'));
  });

  test('Ctrl-C cancels the run\'s jobs with scancel (exit 130); a sweep stays within max_jobs', async () => {
    const dir = tempDir();
    const spec = writeSpec(
      dir,
      `pipeline: sweep
slurm: { max_jobs: 2, poll_interval: 0.5s }
sweep: { n.value: [1, 2, 3, 4, 5] }
nodes:
  n:
    type: ${T}
    params: { sleep_ms: 30000 }
`,
    );
    let pid = 0;
    const run = cli(['run', spec, '--executor', 'slurm', '--no-tui', '--cache-dir', path.join(dir, 'cache'), '--out', path.join(dir, 'out')], { onSpawn: (p) => (pid = p) });
    const running = await waitFor('two running jobs of the sweep', () => {
      const jobs = listJobs().filter((j) => j.name.startsWith('softlab-') && !j.name.endsWith('-probe') && (j.state === 'RUNNING' || j.state === 'PENDING'));
      const mine = jobs.filter((j) => j.state === 'RUNNING');
      return mine.length >= 2 ? jobs : undefined;
    }, 30_000);
    const name = running[0].name;
    await new Promise((r) => setTimeout(r, 1_500));
    const queued = listJobs(name).filter((j) => j.state === 'RUNNING' || j.state === 'PENDING');
    assert.is(queued.length, 2, 'max_jobs: 2 jobs of 5 variants in the queue');
    process.kill(pid, 'SIGINT');
    const r = await run;
    assert.is(r.code, 130, r.stderr);
    const after = listJobs(name);
    assert.is(after.length, 2, 'no job submitted after Ctrl-C');
    for (const j of after) assert.is(j.state, 'CANCELLED', `job ${j.jobId}`);
  });

  test('a cache directory the cluster cannot see is refused in one clear line; a bad partition too', async () => {
    const c = ensureCluster();
    const dir = tempDir();
    const spec = writeSpec(dir, pipeline({ marker: path.join(dir, 'marker') }));
    const hidden = path.join(c.nodeLocalDir, `cache-${path.basename(dir)}`);
    const r = await cli(['run', spec, '--executor', 'slurm', '--no-tui', '--cache-dir', hidden, '--out', path.join(dir, 'out')]);
    assert.is(r.code, 2, r.stderr);
    const line = r.stderr.trim().split('\n').pop()!;
    assert.match(line, `softlab: the Slurm cluster cannot see the cache directory ${hidden}`);
    assert.match(line, /--cache-dir or SOFTLAB_CACHE_DIR/);
    noStack(r.stderr);
    assert.not.ok(existsSync(path.join(hidden, 'entries')), 'nothing ran');
    assert.not.ok(existsSync(path.join(dir, 'marker')), 'no node ran');

    const bad = await cli(['run', spec, '--executor', 'slurm', '--no-tui', '--slurm-partition', 'nosuchpartition', '--cache-dir', path.join(dir, 'cache'), '--out', path.join(dir, 'out')]);
    assert.is(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /sbatch refused the job that checks the cache directory: .*invalid partition/i);
    noStack(bad.stderr);
  });
}

test.run();
