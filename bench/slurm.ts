// Slurm executor benchmark: a 50-variant sweep of short nodes on the
// one-machine cluster (tests/helpers/slurm-cluster.sh) against the local pool
// with as many slots as the cluster has CPUs. Reports, as medians of --runs:
// time from first submission to last completion, the Slurm calls made
// (submissions and squeue polls), and the overhead per node against the pool.
//
//   node --import tsx bench/slurm.ts [--variants 50] [--sleep-ms 200] [--runs 3] [--poll 5s,1s]
//
// Jobs run softlab's worker from the TypeScript sources here (node --import tsx),
// which starts slower than the compiled CLI; the script also reports that gap.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CacheStore } from '../cache/store.js';
import type { RunEvent } from '../runner/events.js';
import { LocalPoolExecutor } from '../runner/execute/local-pool.js';
import { slurmExecutorForPlan } from '../runner/execute/slurm/index.js';
import { durationMs } from '../runner/spec/schema.js';
import { runPlan } from '../runner/run/run-plan.js';
import { ensureCluster, stopClusterIfStartedHere } from '../tests/helpers/slurm-cluster.js';
import { planFile } from '../tests/helpers/run.js';
import { median, option } from './stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EMIT = path.join(ROOT, 'tests', 'fixtures', 'nodes', 'emit.mjs');
const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => option(name, dflt, args);
const variants = Number(opt('variants', '50'));
const sleepMs = Number(opt('sleep-ms', '200'));
const runs = Number(opt('runs', '3'));
const polls = opt('poll', '5s,1s').split(',');


function writeSweep(dir: string): string {
  const values = Array.from({ length: variants }, (_, i) => i % 101);
  const file = path.join(dir, 'spec.yaml');
  writeFileSync(file, `pipeline: slurm-bench\nsweep: { n.value: [${values.join(', ')}] }\nnodes:\n  n:\n    type: ${JSON.stringify(EMIT)}\n    params: { sleep_ms: ${sleepMs}, label: "${path.basename(dir)}" }\n`);
  return file;
}

interface Measure {
  wallMs: number;
  calls?: { sbatch: number; squeue: number; scancel: number };
}

async function once(kind: 'local' | 'slurm', slots: number, pollMs: number): Promise<Measure> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'softlab-bench-slurm-'));
  try {
    const spec = writeSweep(dir);
    const cacheDir = path.join(dir, 'cache');
    const plan = await planFile(spec, { executor: kind });
    const slurm = kind === 'slurm' ? slurmExecutorForPlan(plan, cacheDir, {}, { pollIntervalMs: pollMs, maxJobs: 100 }) : undefined;
    if (slurm) {
      // the shared-filesystem probe is a once-a-day cost, not a per-run one: keep it out of the timing
      const p = await slurm.checkCluster();
      if (!p.ok) throw new Error(p.message);
      slurm.commands.calls.sbatch = 0;
      slurm.commands.calls.squeue = 0;
    }
    let first = Infinity;
    let last = 0;
    const started = Date.now();
    const { summary } = await runPlan({
      plan,
      store: new CacheStore(cacheDir),
      executors: { local: new LocalPoolExecutor(slots), ...(slurm ? { slurm } : {}) },
      outDir: path.join(dir, 'out'),
      emit: (e: RunEvent) => {
        if (e.type === 'node-started') first = Math.min(first, e.time);
        if (e.type === 'node-finished') last = Math.max(last, e.time);
      },
      signal: new AbortController().signal,
    });
    if (summary.status !== 'ok' || summary.counts.executed !== variants) throw new Error(`${kind} run: ${summary.status} ${JSON.stringify(summary.counts)}`);
    void started;
    return { wallMs: last - first, calls: slurm ? { ...slurm.commands.calls } : undefined };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function startupMs(cmd: string[]): number {
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    spawnSync(cmd[0], cmd.slice(1), { cwd: ROOT, stdio: 'ignore' });
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return median(xs);
}

async function main(): Promise<void> {
  const cluster = ensureCluster();
  const cpus = Number(spawnSync('sinfo', ['-h', '-o', '%c'], { encoding: 'utf8' }).stdout.trim().split('\n')[0]) || os.availableParallelism();
  process.stdout.write(`Slurm bench: ${variants} variants of a ${sleepMs} ms node, ${runs} runs each; cluster ${cluster.conf} with ${cpus} CPUs, local pool with ${cpus} slots; ${os.availableParallelism()} cores shared (timings are noisy)\n`);
  const local: number[] = [];
  for (let i = 0; i < runs; i++) local.push((await once('local', cpus, 0)).wallMs);
  const localMs = median(local);
  process.stdout.write(`local pool: first start to last completion ${(localMs / 1000).toFixed(2)} s (runs: ${local.map((x) => (x / 1000).toFixed(2)).join(', ')})\n`);
  for (const poll of polls) {
    const pollMs = durationMs(poll);
    const ms: Measure[] = [];
    for (let i = 0; i < runs; i++) ms.push(await once('slurm', cpus, pollMs));
    const wall = median(ms.map((m) => m.wallMs));
    const sbatch = median(ms.map((m) => m.calls!.sbatch));
    const squeue = median(ms.map((m) => m.calls!.squeue));
    // extra slot-time each node costs on Slurm: the whole sweep's extra time spread over its nodes, times the slots
    const perNode = ((wall - localMs) * cpus) / variants;
    process.stdout.write(
      `slurm, poll ${poll}: first submission to last completion ${(wall / 1000).toFixed(2)} s (runs: ${ms.map((m) => (m.wallMs / 1000).toFixed(2)).join(', ')}); ` +
        `calls: ${sbatch} sbatch, ${squeue} squeue, ${median(ms.map((m) => m.calls!.scancel))} scancel; overhead per node vs local pool: ${(perNode / 1000).toFixed(2)} s of a slot\n`,
    );
  }
  const fromSources = startupMs([process.execPath, '--import', 'tsx', 'runner/cli/main.ts', '--version']);
  const compiled = startupMs([process.execPath, 'dist/runner/cli/main.js', '--version']);
  process.stdout.write(`worker start-up (softlab --version): from sources ${fromSources.toFixed(0)} ms, compiled ${compiled.toFixed(0)} ms\n`);
  stopClusterIfStartedHere();
}

await main();
