// Sweep scheduling benchmark: a 20-variant sweep of trivial nodes behind one shared
// expensive node. The run should take the expensive node's time plus the variants'
// own work spread over the pool (ideal = T_shared + sum(variant work) / slots),
// within 10%. Each configuration runs cold (fresh cache and results folder) several
// times, in-process through runPlan (the CLI minus process start and renderer);
// medians are printed. The `test-emit` fixture node sleeps for its work, so the
// figures measure the runner, not the CPU (timings are still noisy on a shared box).
// `nominal` counts only the sleeps; `ideal` uses the nodes' measured durations,
// which include the runner's per-node cost (dispatch, staging, commit).
//
//   node --import tsx bench/sweep.ts [--runs 5] [--shared-ms 3000] [--jobs 2]
//
// `--default` also times pipelines/sweep-filter-threshold.yaml through the CLI, cold
// (fresh cache: minutes) and then cached.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CacheStore } from '../cache/store.js';
import type { RunEvent } from '../runner/events.js';
import { LocalPoolExecutor } from '../runner/execute/local-pool.js';
import { buildPlan } from '../runner/plan/build.js';
import { runPlan } from '../runner/run/run-plan.js';
import { formatDiagnostic } from '../runner/spec/diagnostics.js';
import { loadSpecFile } from '../runner/spec/load.js';
import { median, option } from './stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EMIT = path.join(ROOT, 'tests', 'fixtures', 'nodes', 'emit.mjs');

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => option(name, dflt, args);
const runs = Number(opt('runs', '5'));
const sharedMs = Number(opt('shared-ms', '3000'));
const jobs = Number(opt('jobs', '2'));
const VARIANTS = 20;


/** A shared expensive root, then per variant a chain of `depth` nodes of `workMs` each. */
function spec(workMs: number, depth: number): string {
  const lines = ['pipeline: bench-sweep', 'nodes:', '  shared:', `    type: ${EMIT}`, `    params: { value: 1, sleep_ms: ${sharedMs} }`];
  for (let d = 0; d < depth; d++) {
    lines.push(`  v${d}:`, `    type: ${EMIT}`, `    inputs: { x: ${d === 0 ? 'shared' : `v${d - 1}`}.data }`, `    params: { value: 1, label: step${d}, sleep_ms: ${workMs} }`);
  }
  lines.push('sweep:', `  v0.value: { from: 1, to: ${VARIANTS}, step: 1 }`);
  return lines.join('\n') + '\n';
}

interface Measure {
  /** runPlan start to its return: scheduling, materialising, reports */
  totalMs: number;
  /** first node start to last node end */
  nodesMs: number;
  sharedMs: number;
  /** sum of the variant nodes' own durations */
  variantWorkMs: number;
  /** median duration of one variant node (its work plus the runner's per-node cost) */
  variantNodeMs: number;
}

async function once(text: string): Promise<Measure> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'softlab-bench-sweep-'));
  try {
    const file = path.join(dir, 'spec.yaml');
    writeFileSync(file, text);
    const loaded = await loadSpecFile(file);
    if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join('\n'));
    const planned = await buildPlan(loaded.source);
    if (!planned.ok) throw new Error(planned.diagnostics.map(formatDiagnostic).join('\n'));
    const events: RunEvent[] = [];
    const t0 = performance.now();
    const { summary } = await runPlan({
      plan: planned.plan,
      store: new CacheStore(path.join(dir, 'cache')),
      executors: { local: new LocalPoolExecutor(jobs) },
      outDir: path.join(dir, 'out'),
      emit: (e) => events.push(e),
      signal: new AbortController().signal,
    });
    const totalMs = performance.now() - t0;
    if (summary.status !== 'ok') throw new Error(`run ${summary.status}`);
    const starts = events.filter((e) => e.type === 'node-started').map((e) => e.time);
    const ends = events.filter((e) => e.type === 'node-finished').map((e) => e.time);
    const shared = summary.nodes.find((n) => n.name === 'shared')!;
    return {
      totalMs,
      nodesMs: Math.max(...ends) - Math.min(...starts),
      sharedMs: shared.durationMs,
      variantWorkMs: summary.nodes.filter((n) => n.name !== 'shared').reduce((s, n) => s + n.durationMs, 0),
      variantNodeMs: median(summary.nodes.filter((n) => n.name !== 'shared').map((n) => n.durationMs)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function bench(label: string, workMs: number, depth: number): Promise<void> {
  await once(spec(workMs, depth)); // warm-up: worker threads compile the modules once per process
  const ms: Measure[] = [];
  for (let i = 0; i < runs; i++) ms.push(await once(spec(workMs, depth)));
  const m = (f: (x: Measure) => number): number => median(ms.map(f));
  // ideal: the shared node, then the variants' own work spread over the pool
  const ideal = m((x) => x.sharedMs) + m((x) => x.variantWorkMs) / jobs;
  const total = m((x) => x.totalMs);
  const nodes = m((x) => x.nodesMs);
  const nominal = sharedMs + (VARIANTS * depth * workMs) / jobs;
  process.stdout.write(
    `${label.padEnd(34)} nominal ${fmt(nominal)}  ideal ${fmt(ideal)}  nodes ${fmt(nodes)}  total ${fmt(total)}  ` +
      `total/ideal ${(total / ideal).toFixed(3)}  ${total <= ideal * 1.1 ? 'within 10%' : 'OVER 10%'}  total/nominal ${(total / nominal).toFixed(2)}  ` +
      `shared node ${fmt(m((x) => x.sharedMs))}, one variant node ${Math.round(m((x) => x.variantNodeMs))} ms  (median of ${runs}; per run ${ms.map((x) => fmt(x.totalMs)).join(' ')})\n`,
  );
}

function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

function timeCli(argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'runner', 'cli', 'main.js'), ...argv], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' } });
  if (r.status !== 0) throw new Error(`softlab ${argv.join(' ')} failed (${r.status}): ${r.stderr?.toString().slice(-800)}`);
  return performance.now() - t0;
}

process.stdout.write(`sweep bench: ${VARIANTS} variants behind one shared ${sharedMs} ms node, ${jobs} pool slots, ${os.availableParallelism()} CPUs\n`);
await bench('trivial variant nodes (0 ms)', 0, 1);
await bench('one 200 ms node per variant', 200, 1);
await bench('two 100 ms nodes per variant', 100, 2);

if (args.includes('--default')) {
  // the compiled CLI (npm run build first), a fresh cache: the whole default sweep
  const dir = mkdtempSync(path.join(os.tmpdir(), 'softlab-bench-default-sweep-'));
  const argv = ['run', 'pipelines/sweep-filter-threshold.yaml', '--no-tui', '--cache-dir', path.join(dir, 'cache'), '--out', path.join(dir, 'out')];
  const cold = timeCli(argv);
  const cached = [0, 1, 2].map(() => timeCli(argv));
  process.stdout.write(`default sweep (pipelines/sweep-filter-threshold.yaml, CLI): cold ${fmt(cold)}, cached ${fmt(median(cached))} (median of 3: ${cached.map(fmt).join(' ')}); results in ${dir}\n`);
}
