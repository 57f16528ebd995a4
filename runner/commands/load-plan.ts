// Spec file -> plan, printing located diagnostics (one line each) on failure.

import { buildPlan, type Plan, type PlanOptions } from '../plan/build.js';
import { formatDiagnostic } from '../spec/diagnostics.js';
import { loadSpecFile } from '../spec/load.js';

export async function loadPlanOrReport(specFile: string, opts: PlanOptions): Promise<Plan | undefined> {
  const loaded = loadSpecFile(specFile);
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
