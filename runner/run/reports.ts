// After a run: the run report (`<out>/report.md`, `<out>/report.html`) built from
// the materialised node folders, and for a sweep also each variant's own run
// report (`<out>/<variant>/report.html`) and the sweep report (`<out>/sweep.*`).

import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { digestJson } from '../../cache/hash.js';
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
  const status = new Map(summary.nodes.map((s) => [s.key, s.status]));
  const nodes: RunNodeInfo[] = selected.map((n) => ({
    key: n.key,
    name: n.name,
    type: n.type,
    deps: n.deps.filter((d) => keys.has(d)),
    variants: n.variants,
    cached: status.get(n.key) === 'cached',
  }));
  // a rerun that took everything from the cache, over results the report already
  // shows, leaves the report alone: it keeps describing the run that produced those
  // results (what ran, how long it took), and a no-op rerun costs no report rebuild
  const reportKey = digestJson({ nodes: summary.nodes.map((n) => [n.name, n.key]), params: plan.pipelineParams, dirs: materialized.map((m) => m.dir) });
  const reportStatePath = path.join(outDir, RUN_REPORT_STATE);
  const noOp = summary.nodes.every((n) => n.status === 'cached') && (await readState(reportStatePath)).key === reportKey && (await exists(path.join(outDir, 'report.html')));
  const { writeRunReport } = await import('../report/run-report.js');
  if (!plan.sweep) {
    if (!noOp) await writeRunReport({ summary, nodes, pipelineParams: plan.pipelineParams, description: plan.description, reportDirs: materialized }, outDir);
    await writeFile(reportStatePath, JSON.stringify({ key: reportKey }));
    return;
  }

  // each variant's own report: its nodes only, as if it had been run alone. It is
  // rewritten only when the variant's results changed (a cached rerun of a large
  // sweep would otherwise spend most of its time re-inlining the same pictures),
  // so its header tells the run that produced those results.
  const variantReports = new Map<string, string>();
  const statePath = path.join(outDir, VARIANT_REPORTS_STATE);
  const oldState = await readState(statePath);
  const newState: Record<string, string> = {};
  for (const v of plan.variants) {
    const mine = new Set([...v.nodes.values()].filter((k) => keys.has(k)));
    if (!mine.size) continue;
    const vSummary = variantSummary(summary, v.id, mine);
    const vNodes = nodes.filter((n) => mine.has(n.key)).map((n) => ({ ...n, deps: n.deps.filter((d) => mine.has(d)), variants: [v.id] }));
    const vDir = path.join(outDir, v.id);
    const params = Object.entries(v.params).map(([k, x]) => `\`${k}\` = ${JSON.stringify(x)}`).join(', ');
    const description = [plan.description?.trim(), `Variant \`${v.id}\` of a sweep (${params}): [sweep report](../sweep.html) · [all variants](../report.html).`].filter(Boolean).join('\n\n');
    const results = vSummary.nodes.map((n) => [n.key, n.status === 'cached' ? 'executed' : n.status, n.failure?.message ?? '']);
    const digest = digestJson({ results, description, params: v.pipelineParams, synthetic: vSummary.nodes.some((n) => n.summary?.synthetic === true) });
    newState[v.id] = digest;
    variantReports.set(v.id, `${v.id}/report.html`);
    if (oldState[v.id] === digest && (await exists(path.join(vDir, 'report.html')))) continue;
    await writeRunReport(
      { summary: vSummary, nodes: vNodes, pipelineParams: v.pipelineParams, description, reportDirs: materialized.filter((m) => m.variant === v.id) },
      vDir,
    );
  }
  if (JSON.stringify(oldState) !== JSON.stringify(newState)) await writeFile(statePath, JSON.stringify(newState, null, 1));

  const failed = summary.variants.filter((v) => v.status !== 'ok');
  const { markdownLink, writeSweepReport } = await import('../report/sweep-report.js');
  const links = [...variantReports].map(([id, rel]) => markdownLink(id, rel)).join(' · ');
  const sweepLine =
    `**Sweep** of ${plan.variants.length} variants${failed.length ? ` (${failed.length} ${failed.length === 1 ? 'has' : 'have'} not finished: ${failed.slice(0, MAX_LISTED_VARIANTS).map((v) => `\`${v.id}\``).join(', ')}${failed.length > MAX_LISTED_VARIANTS ? ', ...' : ''})` : ''}: ` +
    `the [sweep report](sweep.html) tables and plots the headline figures of every variant. ` +
    (variantReports.size <= MAX_LISTED_VARIANTS ? `Each variant's own report: ${links}.` : `Each variant's folder holds its own report.html (the sweep report links them).`);
  if (!noOp) {
    await writeRunReport(
      { summary, nodes, pipelineParams: plan.pipelineParams, description: [plan.description?.trim(), sweepLine].filter(Boolean).join('\n\n'), reportDirs: materialized },
      outDir,
    );
  }
  await writeFile(reportStatePath, JSON.stringify({ key: reportKey }));

  const variantStatus = new Map(summary.variants.map((v) => [v.id, v.status]));
  await writeSweepReport(
    {
      pipeline: plan.pipeline,
      description: plan.description,
      nodeNames: plan.nodeNames,
      preferredNodes: downstreamFirst(plan),
      axes: plan.sweepAxes,
      variants: plan.variants.map((v) => ({
        id: v.id,
        params: v.params,
        status: variantStatus.get(v.id) ?? 'failed',
        nodes: new Map([...v.nodes].filter(([, k]) => keys.has(k))),
        ...(variantReports.has(v.id) ? { report: variantReports.get(v.id) } : {}),
      })),
      nodes: summary.nodes,
      metrics: plan.report?.metrics,
    },
    outDir,
  );
}

/** Beyond this many variants the run report does not list a link to each. */
const MAX_LISTED_VARIANTS = 30;

/** Which results each variant's report shows (variant id -> digest), so unchanged ones are not rewritten. */
const VARIANT_REPORTS_STATE = '.softlab-variant-reports.json';
const RUN_REPORT_STATE = '.softlab-report.json';

async function readState(file: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Node names, those with the longest path from a source first (results sit downstream); ties in spec order. */
function downstreamFirst(plan: Plan): string[] {
  const depth = new Map<string, number>();
  const v = plan.variants[0];
  const nameOf = new Map([...(v?.nodes ?? [])].map(([name, key]) => [key, name]));
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const node = plan.byKey.get(v.nodes.get(name)!);
    const d = node ? Math.max(0, ...node.deps.map((k) => 1 + depthOf(nameOf.get(k) ?? ''))) : 0;
    depth.set(name, d);
    return d;
  };
  const names = plan.nodeNames.filter((n) => v?.nodes.has(n));
  return names.map((n, i) => ({ n, i, d: depthOf(n) })).sort((a, b) => b.d - a.d || a.i - b.i).map((x) => x.n);
}

/** The run summary seen from one variant: its nodes, its status, counts of its nodes. */
function variantSummary(summary: RunSummary, id: string, keys: Set<string>): RunSummary {
  const nodes = summary.nodes.filter((n) => keys.has(n.key));
  const count = (s: string): number => nodes.filter((n) => n.status === s).length;
  const v = summary.variants.find((x) => x.id === id);
  return {
    ...summary,
    status: v?.status ?? summary.status,
    nodes,
    counts: { executed: count('executed'), cached: count('cached'), failed: count('failed'), skipped: count('skipped') },
    variants: v ? [v] : [],
    outDir: path.join(summary.outDir, id),
  };
}
