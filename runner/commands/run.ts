// `softlab run`: plan, schedule, materialise results, write the summary and the
// report. Ctrl-C once cancels cleanly (exit 130); twice stops running nodes now.

import os from 'node:os';
import path from 'node:path';
import { releaseAllLocksSync } from '../../cache/lock.js';
import { CacheStore } from '../../cache/store.js';
import { parseJobs, parseSpecFlags, resolveCacheDir } from '../cli/args.js';
import { EXIT, UsageError } from '../cli/exit.js';
import type { RunSummary } from '../events.js';
import type { Executor } from '../execute/executor.js';
import { LocalPoolExecutor } from '../execute/local-pool.js';
import type { Plan } from '../plan/build.js';
import { runPlan } from '../run/run-plan.js';
import { forcedKeys, selectNodes } from '../run/scheduler.js';
import { loadPlanOrReport } from './load-plan.js';

export interface RunFlags {
  set: string[];
  sweep: string[];
  jobs?: string;
  force: string[];
  only: string[];
  dryRun?: boolean;
  tui: boolean;
  json?: boolean;
  out?: string;
  cacheDir?: string;
  executor?: string;
  slurmPartition?: string;
  slurmAccount?: string;
  slurmQos?: string;
  slurmTime?: string;
  slurmArg: string[];
}

export async function runCommand(spec: string, flags: RunFlags): Promise<number> {
  if (flags.executor && flags.executor !== 'local' && flags.executor !== 'slurm') throw new UsageError(`--executor ${flags.executor}: expected local or slurm`);
  const plan = await loadPlanOrReport(spec, {
    ...(await parseSpecFlags(flags.set, flags.sweep)),
    executor: flags.executor as 'local' | 'slurm' | undefined,
  }, path.join(resolveCacheDir(flags.cacheDir), 'specs'));
  if (!plan) return EXIT.usage;
  for (const name of [...flags.only, ...flags.force]) {
    if (!plan.nodeNames.includes(name)) throw new UsageError(`no node "${name}" in ${spec} (nodes: ${plan.nodeNames.join(', ')})`);
  }
  const store = new CacheStore(resolveCacheDir(flags.cacheDir));
  const outDir = path.resolve(flags.out ?? path.join('results', plan.pipeline));
  const jobs = parseJobs(flags.jobs, os.availableParallelism());
  if (flags.dryRun) return dryRun(plan, store, flags);

  await store.cleanupDeadProcesses();
  const { chooseRendererKind, createRenderer } = await import('../ui/renderer.js');
  const kind = chooseRendererKind({ isTTY: !!process.stdout.isTTY, env: process.env, noTui: !flags.tui, json: !!flags.json });

  const cancel = new AbortController();
  const forceCancel = new AbortController();
  let hardExitTimer: NodeJS.Timeout | undefined;
  const onCancel = (): void => {
    if (!cancel.signal.aborted) {
      cancel.abort();
      return;
    }
    // second Ctrl-C: stop running nodes now; exit even if a worker does not answer
    forceCancel.abort();
    hardExitTimer ??= setTimeout(() => {
      releaseAllLocksSync();
      process.exit(EXIT.interrupted);
    }, 2_000);
  };
  process.on('SIGINT', onCancel);
  process.on('SIGTERM', onCancel);

  const executors: Record<string, Executor> = { local: new LocalPoolExecutor(jobs) };
  if (plan.nodes.some((n) => n.executor === 'slurm')) {
    // before the live view starts: a cluster that cannot see the cache refuses the run in one line
    const refused = await addSlurmExecutor(executors, plan, store, flags, cancel.signal);
    if (refused !== undefined) {
      process.off('SIGINT', onCancel);
      process.off('SIGTERM', onCancel);
      if (refused === 'interrupted') return EXIT.interrupted;
      throw new UsageError(refused);
    }
  }
  const renderer = await createRenderer(kind, { stdout: process.stdout, stderr: process.stderr, onCancel });

  let summary: RunSummary;
  try {
    ({ summary } = await runPlan({
      plan,
      store,
      executors,
      only: flags.only,
      force: flags.force,
      outDir,
      emit: (e) => renderer.onEvent(e),
      signal: cancel.signal,
      forceSignal: forceCancel.signal,
    }));
  } finally {
    process.off('SIGINT', onCancel);
    process.off('SIGTERM', onCancel);
    if (hardExitTimer) clearTimeout(hardExitTimer);
  }
  await renderer.close();
  return summary.status === 'ok' ? EXIT.ok : summary.status === 'interrupted' ? EXIT.interrupted : EXIT.failed;
}

/** Create the Slurm executor; when this run will submit jobs, check that the cluster sees the cache. Returns why not, if it refuses. */
async function addSlurmExecutor(executors: Record<string, Executor>, plan: Plan, store: CacheStore, flags: RunFlags, signal: AbortSignal): Promise<string | undefined> {
  const slurm = await import('../execute/slurm/index.js');
  const executor = slurm.slurmExecutorForPlan(plan, store.root, {
    partition: flags.slurmPartition,
    account: flags.slurmAccount,
    qos: flags.slurmQos,
    time: flags.slurmTime,
    args: flags.slurmArg,
  });
  executors.slurm = executor;
  if (!(await slurm.runSubmitsToSlurm(plan, store, flags.only, flags.force))) return undefined;
  const probe = await executor.checkCluster(signal, (line) => process.stderr.write(`softlab: ${line}\n`));
  if (probe.ok) return undefined;
  await executor.close();
  return probe.aborted ? 'interrupted' : probe.message;
}

/** `--dry-run`: the variants, unique executions, what the cache holds, and what sharing saves. */
async function dryRun(plan: Plan, store: CacheStore, flags: RunFlags): Promise<number> {
  const selected = selectNodes(plan, flags.only);
  const forced = forcedKeys(selected, plan, flags.force);
  const cached = new Set<string>();
  await Promise.all(
    selected.map(async (n) => {
      if (!forced.has(n.key) && (await store.lookup(n.key)).hit) cached.add(n.key);
    }),
  );
  const selectedKeys = new Set(selected.map((n) => n.key));
  const variantKeys = plan.variants.map((v) => [...new Set(v.nodes.values())].filter((k) => selectedKeys.has(k)));
  const perVariant = variantKeys.map((ks) => ks.length);
  const separately = perVariant.reduce((a, b) => a + b, 0);
  const toRun = selected.filter((n) => !cached.has(n.key));
  // per variant: its nodes, those it shares with no other variant, and those this run executes
  const variantFacts = plan.variants.map((v, i) => ({
    id: v.id,
    params: v.params,
    nodes: variantKeys[i].length,
    own: variantKeys[i].filter((k) => plan.byKey.get(k)!.variants.length === 1).length,
    toExecute: variantKeys[i].filter((k) => !cached.has(k)).length,
  }));
  const info = {
    pipeline: plan.pipeline,
    variants: variantFacts,
    uniqueNodes: selected.length,
    cached: cached.size,
    toExecute: toRun.length,
    executionsIfRunSeparately: separately,
    executionsSavedBySharing: separately - selected.length,
    nodes: selected.map((n) => ({ name: n.name, type: n.type, key: n.key, cached: cached.has(n.key), forced: forced.has(n.key), variants: n.variants })),
  };
  if (flags.json) {
    process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    return EXIT.ok;
  }
  const out: string[] = [];
  out.push(`${plan.pipeline}: dry run (nothing is executed)`);
  if (plan.sweep) {
    out.push(`variants (${plan.variants.length}):`);
    const w = Math.max(...variantFacts.map((v) => v.id.length));
    for (const v of variantFacts) {
      out.push(`  ${v.id.padEnd(w)}  ${v.nodes} nodes, ${v.own} its own, ${v.toExecute ? `${v.toExecute} to execute` : 'all cached'}`);
    }
  }
  out.push(`unique nodes: ${selected.length}, cached: ${cached.size}, to execute: ${toRun.length}`);
  if (plan.sweep) {
    const alone = perVariant.every((n) => n === perVariant[0]) ? `${perVariant.length} variants × ${perVariant[0]} nodes` : perVariant.join(' + ');
    out.push(`sharing saves ${separately - selected.length} of ${separately} executions: run alone, the variants would execute ${alone}`);
  }
  const w = Math.max(...selected.map((n) => n.name.length));
  for (const n of selected) {
    const state = cached.has(n.key) ? 'cached' : forced.has(n.key) ? 'forced' : 'run';
    const served = plan.sweep ? `  ${n.variants.length === plan.variants.length ? 'all variants' : n.variants.join('; ')}` : '';
    out.push(`  ${state.padEnd(6)} ${n.name.padEnd(w)}  ${n.type.padEnd(14)} ${n.key.slice(0, 12)}${served}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  return EXIT.ok;
}
