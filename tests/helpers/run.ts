// Run a spec in-process (the same path as `softlab run`, minus signals and
// renderer) or through the CLI as a child process.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { CacheStore } from '../../cache/store.js';
import type { RunEvent, RunSummary } from '../../runner/events.js';
import { LocalPoolExecutor } from '../../runner/execute/local-pool.js';
import { buildPlan, type Plan, type PlanOptions } from '../../runner/plan/build.js';
import { runPlan } from '../../runner/run/run-plan.js';
import { formatDiagnostic } from '../../runner/spec/diagnostics.js';
import { loadSpecFile } from '../../runner/spec/load.js';
import { ROOT } from './specs.js';

export async function planFile(specFile: string, opts: PlanOptions = {}): Promise<Plan> {
  const loaded = await loadSpecFile(specFile);
  if (!loaded.ok) throw new Error(loaded.diagnostics.map(formatDiagnostic).join('\n'));
  const r = await buildPlan(loaded.source, opts);
  if (!r.ok) throw new Error(r.diagnostics.map(formatDiagnostic).join('\n'));
  return r.plan;
}

export interface InProcessRun {
  summary: RunSummary;
  events: RunEvent[];
  plan: Plan;
}

export async function runSpec(
  specFile: string,
  opts: PlanOptions & { cacheDir: string; outDir: string; jobs?: number; only?: string[]; force?: string[]; signal?: AbortSignal } ,
): Promise<InProcessRun> {
  const plan = await planFile(specFile, opts);
  const events: RunEvent[] = [];
  const { summary } = await runPlan({
    plan,
    store: new CacheStore(opts.cacheDir),
    executors: { local: new LocalPoolExecutor(opts.jobs ?? 2) },
    outDir: opts.outDir,
    only: opts.only,
    force: opts.force,
    emit: (e) => events.push(e),
    signal: opts.signal ?? new AbortController().signal,
  });
  return { summary, events, plan };
}

export const CLI = path.join(ROOT, 'runner', 'cli', 'main.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `softlab ARGS` from the TypeScript sources in `cwd`. */
export function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, CI: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid && opts.onSpawn) opts.onSpawn(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
