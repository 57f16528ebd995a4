// After a run: the run report (`<out>/report.md`, `<out>/report.html`) built from
// the materialised node folders, and for a sweep the sweep report.

import type { RunNodeInfo, RunSummary } from '../events.js';
import type { Plan, PlanNode } from '../plan/build.js';
import type { MaterializedNode } from './materialize.js';

export interface ReportsInput {
  plan: Plan;
  summary: RunSummary;
  selected: PlanNode[];
  materialized: MaterializedNode[];
  outDir: string;
}

export async function writeReports(input: ReportsInput): Promise<void> {
  const { plan, summary, selected, materialized, outDir } = input;
  const keys = new Set(selected.map((n) => n.key));
  const nodes: RunNodeInfo[] = selected.map((n) => ({
    key: n.key,
    name: n.name,
    type: n.type,
    deps: n.deps.filter((d) => keys.has(d)),
    variants: n.variants,
    cached: summary.nodes.find((s) => s.key === n.key)?.status === 'cached',
  }));
  const { writeRunReport } = await import('../report/run-report.js');
  await writeRunReport(
    { summary, nodes, pipelineParams: plan.pipelineParams, description: plan.description, reportDirs: materialized },
    outDir,
  );
}
