// Spec file -> plan, printing located diagnostics (one line each) on failure.

import { buildPlan, type Plan, type PlanOptions } from '../plan/build.js';
import { formatDiagnostic } from '../spec/diagnostics.js';
import { loadSpecFile } from '../spec/load.js';
import { SpecMemo } from '../spec/memo.js';

/** `memoDir`: where parsed specs are remembered (the cache's `specs/`), for commands that have a cache. */
export async function loadPlanOrReport(specFile: string, opts: PlanOptions, memoDir?: string): Promise<Plan | undefined> {
  const loaded = await loadSpecFile(specFile, { memo: memoDir ? new SpecMemo(memoDir) : undefined });
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
    return undefined;
  }
  const r = await buildPlan(loaded.source, opts);
  if (!r.ok) {
    for (const d of r.diagnostics) process.stderr.write(formatDiagnostic(d) + '\n');
    return undefined;
  }
  return r.plan;
}
