// The sweep report: `<out>/sweep.json` (one row per variant: swept params, status,
// what failed, headline metrics), `<out>/sweep.md` with a line chart per metric
// against the swept param (`<out>/sweep-charts/*.svg`), and a self-contained
// `<out>/sweep.html`. Which metrics: see sweep-metrics.ts; chart layout: see
// sweep-charts.ts. The report depends only on the results (not on timings), so a
// rerun whose results did not change rewrites nothing and never loads vega.

import { access, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { digestJson } from '../../cache/hash.js';
import type { NodeFailure, RunSummaryNode } from '../events.js';
import { markdownCell as esc, markdownPage, oneLine } from './html-page.js';
import { formatParam, planCharts, sweepLayout, type ChartPlan } from './sweep-charts.js';
import { numericLeaves, selectMetrics, type MetricRef, type VariantSummaries } from './sweep-metrics.js';

export const SWEEP_FILES = { json: 'sweep.json', markdown: 'sweep.md', html: 'sweep.html', charts: 'sweep-charts' } as const;

/** Bump when the Markdown or HTML this module writes changes, so reports of unchanged results are redone. */
const LAYOUT_VERSION = 1;

export type VariantStatus = 'ok' | 'failed' | 'interrupted';

export interface SweepVariantInput {
  id: string;
  /** the swept values: target -> value */
  params: Record<string, unknown>;
  status: VariantStatus;
  /** node name -> key */
  nodes: Map<string, string>;
  /** the variant's own run report, relative to the sweep report's folder (`/` separators) */
  report?: string;
}

export interface SweepReportInput {
  pipeline: string;
  description?: string;
  /** node names in spec order */
  nodeNames: string[];
  /** node names in the order automatic metric selection prefers them (default: nodeNames) */
  preferredNodes?: string[];
  /** the sweep's axes in spec order (a zip group is one axis with several targets) */
  axes: string[][];
  variants: SweepVariantInput[];
  /** the run's unique executions (status, failure, summary), by key */
  nodes: RunSummaryNode[];
  /** the spec's `report.metrics`, if any */
  metrics?: string[];
}

export interface SweepFailure {
  node: string;
  kind: NodeFailure['kind'];
  message: string;
  /** the node serves every variant: its failure is not this variant's own */
  shared: boolean;
}

export interface SweepRow {
  id: string;
  params: Record<string, unknown>;
  status: VariantStatus;
  failed: SweepFailure[];
  /** nodes not run because something upstream failed (or the run stopped) */
  skipped: string[];
  report?: string;
  metrics: Record<string, number | null>;
}

/** The content of sweep.json. */
export interface SweepDocument {
  format: 'softlab-sweep/1';
  pipeline: string;
  axes: string[][];
  metrics: MetricRef[];
  variants: SweepRow[];
  charts: { file: string; title: string; metrics: string[]; missing: string[] }[];
  notes: string[];
  synthetic: boolean;
  /** digest of everything above: equal digests mean an equal report */
  digest: string;
}

export interface SweepReportFiles {
  json: string;
  markdown: string;
  html: string;
  /** false when the report on disk already showed these results */
  written: boolean;
}

/** Build the sweep's rows, metric selection and chart plans (no I/O). */
export function buildSweep(input: SweepReportInput): { doc: SweepDocument; charts: ChartPlan[] } {
  const byKey = new Map(input.nodes.map((n) => [n.key, n]));
  const all = input.variants.length;
  const summaries: VariantSummaries[] = input.variants.map((v) => {
    const leaves = new Map<string, Map<string, number>>();
    for (const [name, key] of v.nodes) {
      const s = byKey.get(key)?.summary;
      if (s) leaves.set(name, numericLeaves(s));
    }
    return { id: v.id, params: v.params, keys: v.nodes, leaves };
  });
  const selection = selectMetrics(input.preferredNodes ?? input.nodeNames, summaries, input.metrics);
  const rows: SweepRow[] = input.variants.map((v, i) => {
    const failed: SweepFailure[] = [];
    const skipped: string[] = [];
    for (const name of input.nodeNames) {
      const key = v.nodes.get(name);
      const n = key ? byKey.get(key) : undefined;
      if (!n) continue;
      if (n.status === 'failed' && n.failure) failed.push({ node: name, kind: n.failure.kind, message: oneLine(n.failure.message), shared: n.variants.length >= all && all > 1 });
      else if (n.status === 'skipped') skipped.push(name);
    }
    const metrics: Record<string, number | null> = {};
    for (const m of selection.metrics) metrics[m.id] = summaries[i].leaves.get(m.node)?.get(m.path) ?? null;
    return { id: v.id, params: v.params, status: v.status, failed, skipped, ...(v.report ? { report: v.report } : {}), metrics };
  });
  const layout = sweepLayout(input.axes, input.variants);
  const charts = planCharts(selection.groups, rows, layout);
  const synthetic = input.nodes.some((n) => n.summary?.synthetic === true);
  const body = {
    format: 'softlab-sweep/1' as const,
    pipeline: input.pipeline,
    axes: input.axes,
    metrics: selection.metrics,
    variants: rows,
    charts: charts.map((c) => ({ file: `${SWEEP_FILES.charts}/${c.id}.svg`, title: c.title, metrics: c.metrics.map((m) => m.id), missing: c.missing })),
    notes: selection.notes,
    synthetic,
  };
  // the description and the chart specs shape the files too
  const digest = digestJson({ body, description: input.description ?? '', specs: charts.map((c) => c.spec), layout: LAYOUT_VERSION });
  return { doc: { ...body, digest }, charts };
}

export async function writeSweepReport(input: SweepReportInput, outDir: string): Promise<SweepReportFiles> {
  const out = path.resolve(outDir);
  const files = { json: path.join(out, SWEEP_FILES.json), markdown: path.join(out, SWEEP_FILES.markdown), html: path.join(out, SWEEP_FILES.html) };
  const { doc, charts } = buildSweep(input);
  if (await upToDate(out, doc)) return { ...files, written: false };

  const chartDir = path.join(out, SWEEP_FILES.charts);
  await mkdir(chartDir, { recursive: true });
  if (charts.length) {
    const { renderVegaLiteSvg } = await import('../../nodes/lib/vega-svg.js');
    for (const c of charts) await writeFile(path.join(chartDir, `${c.id}.svg`), await renderVegaLiteSvg(c.spec));
  }
  // charts of metrics no longer shown
  const keep = new Set(charts.map((c) => `${c.id}.svg`));
  for (const f of await readdir(chartDir)) if (f.endsWith('.svg') && !keep.has(f)) await rm(path.join(chartDir, f), { force: true });

  const markdown = sweepMarkdown(doc, input.description);
  await writeFile(files.markdown, markdown);
  await writeFile(files.html, await sweepHtml(doc.pipeline, markdown, out));
  // written last: a report interrupted before this point is redone by the next run
  await writeFile(files.json, JSON.stringify(doc, null, 2) + '\n');
  return { ...files, written: true };
}

async function upToDate(out: string, doc: SweepDocument): Promise<boolean> {
  try {
    const old = JSON.parse(await readFile(path.join(out, SWEEP_FILES.json), 'utf8')) as Partial<SweepDocument>;
    if (old.digest !== doc.digest) return false;
    const need = [SWEEP_FILES.markdown, SWEEP_FILES.html, ...doc.charts.map((c) => c.file)];
    const present = await Promise.all(
      need.map((f) =>
        access(path.join(out, f)).then(
          () => true,
          () => false,
        ),
      ),
    );
    return present.every(Boolean);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- Markdown

export function sweepMarkdown(doc: SweepDocument, description?: string): string {
  const rows = doc.variants;
  const targets = doc.axes.flat();
  const failed = rows.filter((r) => r.status !== 'ok');
  const lines: string[] = [`# ${doc.pipeline}: sweep`, ''];
  if (description?.trim()) lines.push(description.trim(), '');
  if (doc.synthetic) lines.push('> **SYNTHETIC data.** This sweep used the generated, CAFE-shaped data set, not photographs of children.', '');
  const shape = doc.axes.map((a) => (a.length > 1 ? `(${a.map((t) => `\`${t}\``).join(', ')} zipped)` : `\`${a[0]}\``)).join(' × ');
  lines.push(
    `**${rows.length} variants** over ${shape}: ${rows.length - failed.length} ok${failed.length ? `, **${failed.length} ${failed.every((r) => r.status === 'interrupted') ? 'interrupted' : 'failed'}**` : ''}. ` +
      `Full results: the [run report](report.html); every figure below: [sweep.json](${SWEEP_FILES.json}).`,
    '',
  );
  if (failed.length) {
    lines.push('## Failed variants', '');
    for (const r of failed) lines.push(`- ${variantLink(r)}: ${failureText(r)}`);
    lines.push('');
  }
  lines.push('## Variants', '');
  const metrics = doc.metrics;
  const head = ['variant', ...targets.map((t) => `\`${t}\``), 'status', ...metrics.map((m) => `\`${m.id}\``)];
  lines.push(`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i > targets.length + 1 ? '---:' : '---')).join('|')}|`);
  for (const r of rows) {
    const cells = [variantLink(r), ...targets.map((t) => esc(formatParam(r.params[t]))), r.status === 'ok' ? 'ok' : `**${r.status}**`, ...metrics.map((m) => formatMetric(r.metrics[m.id]))];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('');
  if (!metrics.length) lines.push('No headline metrics: no numeric figure of a variant-specific node differs between variants.', '');
  for (const n of doc.notes) lines.push(`Note: ${n}`, '');
  if (doc.charts.length) {
    lines.push('## Charts', '');
    // consecutive lines: one paragraph, so the charts flow side by side in the HTML
    for (const c of doc.charts) lines.push(`![${c.title}](${encodeURI(c.file)})`);
    const missing = [...new Set(doc.charts.flatMap((c) => c.missing))];
    if (missing.length) lines.push('', `Charts have no point for ${missing.map((id) => `\`${id}\``).join(', ')} (failed or not run).`);
  }
  return lines.join('\n').trimEnd() + '\n';
}

function variantLink(r: SweepRow): string {
  return r.report ? markdownLink(r.id, r.report) : esc(r.id);
}

/** A Markdown link to a relative file whose name may hold any character a variant id can (`(`, `]`, spaces). */
export function markdownLink(text: string, target: string): string {
  const href = encodeURI(target).replace(/\(/g, '%28').replace(/\)/g, '%29');
  return `[${esc(text).replace(/([[\]])/g, '\\$1')}](${href})`;
}

function failureText(r: SweepRow): string {
  if (!r.failed.length) return r.status === 'interrupted' ? 'the run was interrupted before it finished' : `not finished (${r.skipped.length ? `skipped: ${r.skipped.join(', ')}` : 'not run'})`;
  const parts = r.failed.map((f) => `node \`${f.node}\`${f.shared ? ' (shared by every variant)' : ''} failed (${f.kind}): ${esc(f.message)}`);
  if (r.skipped.length) parts.push(`not run: ${r.skipped.map((s) => `\`${s}\``).join(', ')}`);
  return parts.join('; ');
}

export function formatMetric(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}

// ---------------------------------------------------------------- HTML

/** The Markdown as one HTML page with every chart inlined (no other file, no network). */
function sweepHtml(pipeline: string, markdown: string, out: string): Promise<string> {
  return markdownPage(`${pipeline} · softlab sweep`, markdown, out, SWEEP_CSS);
}

/** Wide tables scroll instead of squeezing: a sweep has a column per param and metric. */
const SWEEP_CSS = `
main { max-width: 1400px; }
table { font-size: 0.88em; display: block; overflow-x: auto; }
th, td { white-space: nowrap; padding: 4px 8px; }
th code { background: none; }
figure.chart { margin: 8px 12px 8px 0; vertical-align: top; }
`;
