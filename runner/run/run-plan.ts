// One run of a plan, start to finish: schedule, close the executors, materialise
// results, record the run, write the reports and `<out>/summary.json`. The CLI
// adds signals and a renderer around this; tests call it directly.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { faultPoint } from '../../cache/faults.js';
import type { CacheStore } from '../../cache/store.js';
import type { RunEvent, RunSummary } from '../events.js';
import type { Executor } from '../execute/executor.js';
import type { Plan } from '../plan/build.js';
import { hitVerifier, Materializer, type MaterializedNode } from './materialize.js';
import { writeRunRecord } from './records.js';
import { runScheduler } from './scheduler.js';

export interface RunPlanOptions {
  plan: Plan;
  store: CacheStore;
  executors: Record<string, Executor>;
  outDir: string;
  only?: string[];
  force?: string[];
  /** every event, `run-finished` last (after results and reports are written) */
  emit(e: RunEvent): void;
  signal: AbortSignal;
  forceSignal?: AbortSignal;
}

export interface RunPlanResult {
  summary: RunSummary;
  materialized: MaterializedNode[];
}

export async function runPlan(opts: RunPlanOptions): Promise<RunPlanResult> {
  const { plan, store, outDir, emit } = opts;
  // results are copied out as nodes finish, not all after the last one
  const materializer = new Materializer(plan, store, outDir, (message, key) => emit({ type: 'warning', time: Date.now(), key, message }));
  let result;
  try {
    result = await runScheduler({
      ...opts,
      emit: (e) => (e.type === 'run-finished' ? undefined : emit(e)),
      verifyHit: hitVerifier(plan, store, outDir),
      onNodeDone: (key, entry) => materializer.add(key, entry),
    });
  } finally {
    await Promise.all(Object.values(opts.executors).map((e) => e.close()));
  }
  const { summary } = result;
  faultPoint('run:scheduled');
  await mkdir(outDir, { recursive: true });
  const materialized = await materializer.finish(result.entries);
  await writeRunRecord(store.root, plan, result.selected.map((n) => n.key)).catch(() => undefined);
  faultPoint('run:recorded');
  try {
    const { writeReports } = await import('./reports.js');
    await writeReports({ plan, summary, selected: result.selected, materialized, outDir });
  } catch (e) {
    emit({ type: 'warning', time: Date.now(), message: `could not write the report: ${(e as Error).message}` });
  }
  summary.durationMs = Date.now() - Date.parse(summary.startedAt);
  await writeFile(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  emit({ type: 'run-finished', time: Date.now(), summary });
  return { summary, materialized };
}
