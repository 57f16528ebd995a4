// What the run report is built from: the run summary, the DAG, the pipeline's params
// and each node's materialised report folder (`<out>/<node>/` or `<out>/<variant>/<node>/`).

import type { RunNodeInfo, RunSummary } from '../events.js';

/** One node's report folder as the runner materialised it. */
export interface ReportDir {
  variant: string;
  name: string;
  type: string;
  key: string;
  /** absolute folder holding `summary.json`, the `report.md` fragment and its SVG/PNG files */
  dir: string;
}

export interface RunReportInput {
  summary: RunSummary;
  /** the DAG: `deps` are keys of other entries */
  nodes: RunNodeInfo[];
  pipelineParams: Record<string, unknown>;
  description?: string;
  reportDirs: ReportDir[];
}

export interface RunReportFiles {
  markdown: string;
  html: string;
}
