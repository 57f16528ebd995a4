// The run report: `<out>/report.md` and a self-contained `<out>/report.html` with
// the pipeline, its params, the DAG, what ran and what came from the cache, then
// every node's own fragment in topological order with its pictures.

import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RunSummary, RunSummaryNode } from '../events.js';
import { rebaseMarkdown } from './assets.js';
import { dagSvg, formatDuration, topoOrder, type DagNodeState } from './dag-svg.js';
import { htmlPage, inlineImages, markdownCell as esc, oneLine } from './html-page.js';
import { markdownToHtml, slug } from './markdown.js';
import type { ReportDir, RunReportFiles, RunReportInput } from './types.js';

export type { ReportDir, RunReportInput, RunReportFiles } from './types.js';

export const DAG_FILE = 'dag.svg';

interface Section {
  /** Markdown with every target relative to the report's folder */
  md: string;
  /** prefix for heading ids in the HTML */
  idPrefix: string;
}

export async function writeRunReport(input: RunReportInput, outDir: string): Promise<RunReportFiles> {
  const out = path.resolve(outDir);
  await mkdir(out, { recursive: true });
  const statusByKey = new Map(input.summary.nodes.map((n) => [n.key, n]));
  const state = new Map<string, DagNodeState>(input.summary.nodes.map((n) => [n.key, { status: n.status, durationMs: n.durationMs }]));
  await writeFile(path.join(out, DAG_FILE), dagSvg(input.nodes, state));

  const sections: Section[] = [{ md: headerMarkdown(input, statusByKey), idPrefix: '' }];
  sections.push(...(await nodeSections(input, statusByKey, out)));
  const markdown = sections.map((s) => s.md.trimEnd()).join('\n\n') + '\n';
  const html = await renderHtml(input.summary, sections, out);
  const files = { markdown: path.join(out, 'report.md'), html: path.join(out, 'report.html') };
  await writeFile(files.markdown, markdown);
  await writeFile(files.html, html);
  return files;
}

function headerMarkdown(input: RunReportInput, statusByKey: Map<string, RunSummaryNode>): string {
  const s = input.summary;
  const lines: string[] = [`# ${s.pipeline}`, ''];
  if (input.description?.trim()) lines.push(input.description.trim(), '');
  if (anySynthetic(s)) lines.push('> **SYNTHETIC data.** This run used the generated, CAFE-shaped data set, not photographs of children.', '');
  const c = s.counts;
  lines.push(
    `**${s.status === 'ok' ? 'Finished' : s.status === 'failed' ? 'Failed' : 'Interrupted'}** in ${formatDuration(s.durationMs)} · ${c.executed} ran, ${c.cached} from cache${c.failed ? `, ${c.failed} failed` : ''}${c.skipped ? `, ${c.skipped} skipped` : ''} · started ${s.startedAt} · softlab ${s.softlabVersion}`,
    '',
    `Spec \`${s.specFile}\` · results \`${s.outDir}\` · cache \`${s.cacheDir}\``,
    '',
    '## Parameters',
    '',
  );
  const params = Object.entries(input.pipelineParams);
  if (params.length) {
    lines.push('| param | value |', '|---|---|');
    for (const [k, v] of params) lines.push(`| \`${k}\` | ${cellValue(v)} |`);
  } else lines.push('No pipeline params.');
  if (s.variants.length > 1) {
    lines.push('', '### Variants', '', '| variant | params | status |', '|---|---|---|');
    for (const v of s.variants) lines.push(`| ${v.id} | ${Object.entries(v.params).map(([k, x]) => `\`${k}\` = ${cellValue(x)}`).join(', ')} | ${v.status} |`);
  }
  lines.push('', '## Pipeline', '', `![Pipeline DAG](${DAG_FILE})`, '', '| node | type | status | time | details |', '|---|---|---|---:|---|');
  for (const key of topoOrder(input.nodes)) {
    const info = input.nodes.find((n) => n.key === key)!;
    const r = statusByKey.get(key);
    const status = r ? (r.status === 'executed' ? 'ran' : r.status === 'cached' ? 'from cache' : r.status) : 'not run';
    const time = r && r.status !== 'cached' && r.status !== 'skipped' ? formatDuration(r.durationMs) : '';
    const details: string[] = [];
    if (s.variants.length > 1) details.push(`variants: ${info.variants.join(', ')}`);
    if (r?.executor && r.executor !== 'local') details.push(`on ${r.executor}`);
    for (const [k, v] of Object.entries(r?.info ?? {})) details.push(`${k}: ${v}`);
    if (r?.failure) details.push(`**${r.failure.kind}**: ${oneLine(r.failure.message)}`);
    lines.push(`| ${esc(info.name)} | ${esc(info.type)} | ${status} | ${time} | ${esc(details.join('; '))} |`);
  }
  return lines.join('\n');
}

async function nodeSections(input: RunReportInput, statusByKey: Map<string, RunSummaryNode>, out: string): Promise<Section[]> {
  const multiVariant = input.summary.variants.length > 1;
  const dirsByKey = new Map<string, ReportDir[]>();
  for (const d of input.reportDirs) dirsByKey.set(d.key, [...(dirsByKey.get(d.key) ?? []), d]);
  const sections: Section[] = [];
  for (const key of topoOrder(input.nodes)) {
    const info = input.nodes.find((n) => n.key === key)!;
    const dirs = dirsByKey.get(key) ?? [];
    const r = statusByKey.get(key);
    const dir = dirs[0];
    const variants = dirs.map((d) => d.variant);
    const heading = `## ${info.name} (${info.type})${multiVariant ? ` · ${variants.length ? variants.join(', ') : info.variants.join(', ')}` : ''}`;
    const idPrefix = `${slug(info.name)}-${key.slice(0, 8)}-`;
    const body: string[] = [];
    if (r?.failure) body.push(`**${r.status === 'failed' ? 'Failed' : 'Problem'}** (${r.failure.kind}): ${oneLine(r.failure.message)}`);
    if (dir) {
      const fragment = await readOptional(path.join(dir.dir, 'report.md'));
      if (fragment !== undefined) body.push(rebaseMarkdown(demoteTopHeadings(fragment.trim()), dir.dir, out));
      else {
        const summary = r?.summary ?? (await readJsonOptional(path.join(dir.dir, 'summary.json')));
        if (summary && Object.keys(summary).length) body.push(summaryTable(summary));
      }
    } else if (!r?.failure) body.push(r?.status === 'skipped' ? 'Skipped: an upstream node failed.' : 'No report: the node did not run.');
    if (!body.length) body.push('This node writes no report.');
    sections.push({ md: `${heading}\n\n${body.join('\n\n')}`, idPrefix });
  }
  return sections;
}

/** A fragment should not use `#` or `##` (the report owns those levels): push them down to `###`. */
function demoteTopHeadings(md: string): string {
  let inFence = false;
  return md
    .split('\n')
    .map((l) => {
      if (/^\s{0,3}(```|~~~)/.test(l)) inFence = !inFence;
      return !inFence && /^#{1,2}\s/.test(l) ? l.replace(/^#{1,2}/, '###') : l;
    })
    .join('\n');
}

function summaryTable(summary: Record<string, unknown>): string {
  const rows = ['| figure | value |', '|---|---:|'];
  for (const [k, v] of Object.entries(summary)) rows.push(`| ${esc(k)} | ${cellValue(v)} |`);
  return rows.join('\n');
}

function cellValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') return esc(v);
  return `\`${esc(JSON.stringify(v))}\``;
}

function anySynthetic(s: RunSummary): boolean {
  return s.nodes.some((n) => n.summary?.synthetic === true);
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function readJsonOptional(file: string): Promise<Record<string, unknown> | undefined> {
  const text = await readOptional(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function renderHtml(summary: RunSummary, sections: Section[], out: string): Promise<string> {
  const image = await inlineImages(sections.map((sec) => sec.md), out);
  const body = sections
    .map((sec, i) => `<section${i ? ` class="node"` : ' class="run"'}>\n${markdownToHtml(sec.md, { image, idPrefix: sec.idPrefix })}\n</section>`)
    .join('\n');
  return htmlPage({ title: `${summary.pipeline} · softlab report`, body });
}

