// The run report (and, later, the sweep report): see run-report.ts.
export { writeRunReport, DAG_FILE } from './run-report.js';
export type { ReportDir, RunReportFiles, RunReportInput } from './types.js';
