// The live view as data: a list of lines of coloured segments, sized to the terminal.
// Pure (state + clock + size in, lines out) so it is tested without a terminal and the
// Ink layer only maps segments to <Text>. Every line fits `columns`; the frame stays
// shorter than `rows` because Ink clears the whole screen on each redraw of a frame that
// fills it.

import path from 'node:path';
import {
  clean,
  describeFailure,
  firstLine,
  formatDuration,
  formatInfo,
  padEnd,
  padStart,
  percent,
  progressBar,
  truncate,
} from './format.js';
import type { NodeView, NodeViewStatus, RunState } from './state.js';
import { isTerminal } from './state.js';
import { pickWindow, type WindowItem } from './window.js';

export type Color = 'green' | 'red' | 'yellow' | 'cyan' | 'blue' | 'magenta' | 'gray' | 'white';

export interface Seg {
  text: string;
  color?: Color;
  bold?: boolean;
  dim?: boolean;
}
export type Line = Seg[];

export const GLYPH: Record<NodeViewStatus, string> = {
  waiting: '◌',
  queued: '○',
  running: '▶',
  cached: '◆',
  done: '✔',
  failed: '✖',
  skipped: '⊘',
};

export const STATUS_COLOR: Record<NodeViewStatus, Color> = {
  waiting: 'gray',
  queued: 'white',
  running: 'yellow',
  cached: 'cyan',
  done: 'green',
  failed: 'red',
  skipped: 'gray',
};

export interface FrameOptions {
  now: number;
  columns: number;
  rows: number;
  /** compute backend (tfjs `cpu`, `wasm`, ...) for the header */
  backend?: string;
  /** how many times the user asked to cancel */
  cancelRequests?: number;
}

const FAILURE_LOG_LINES = 6;
const WARNING_LINES = 2;
const RUNNING_DETAIL_LINES = 4;

export function buildFrame(state: RunState, o: FrameOptions): Line[] {
  const columns = Math.max(20, o.columns);
  const height = Math.max(8, o.rows - 1);
  const header = headerLine(state, o);
  const tail: Line[] = [...warningLines(state), ...footerLines(state, o)];
  let failure = failureLines(state, Math.max(2, Math.floor(height / 3)), columns);
  let bodyBudget = height - 1 - tail.length - failure.length;
  if (bodyBudget < 3) {
    failure = failure.slice(0, Math.max(0, failure.length - (3 - bodyBudget)));
    bodyBudget = height - 1 - tail.length - failure.length;
  }
  const body = state.variants.length > 1 ? sweepBody(state, o, columns, bodyBudget) : listBody(state, o, columns, bodyBudget);
  return [header, ...body, ...failure, ...tail].map((l) => fitLine(l, columns));
}

// ---------------------------------------------------------------- header and footer

function headerLine(state: RunState, o: FrameOptions): Line {
  const h = state.header;
  if (!h) return [{ text: 'softlab', bold: true }, { text: ' · starting…', dim: true }];
  const facts = [
    o.backend ? `backend ${o.backend}` : undefined,
    `${h.jobs} worker${h.jobs === 1 ? '' : 's'}`,
    h.executor,
    `cache ${h.cacheDir}`,
  ].filter((x): x is string => Boolean(x));
  const line: Line = [
    { text: 'softlab ', bold: true },
    { text: h.pipeline, bold: true, color: 'cyan' },
    { text: '  ' + facts.join(' · '), dim: true },
  ];
  // the key hint only where it fits whole: a cut `q: …` says nothing
  if (!state.finished && !o.cancelRequests && segsWidth(line) + 13 <= o.columns) line.push({ text: '   q: cancel', color: 'yellow' });
  return line;
}

function countsText(state: RunState): Seg[] {
  const c = state.counts();
  const segs: Seg[] = [];
  if (!state.finished && c.running > 0) segs.push({ text: `${c.running} running · `, color: 'yellow' });
  segs.push({ text: `${c.done} executed`, color: c.done ? 'green' : undefined });
  segs.push({ text: ` · ${c.cached} cached`, color: c.cached ? 'cyan' : undefined });
  segs.push({ text: ` · ${c.failed} failed`, color: c.failed ? 'red' : undefined });
  segs.push({ text: ` · ${c.skipped} skipped`, dim: c.skipped === 0 });
  const toGo = c.waiting + c.queued;
  if (!state.finished && toGo > 0) segs.push({ text: ` · ${toGo} to go`, dim: true });
  return segs;
}

function footerLines(state: RunState, o: FrameOptions): Line[] {
  const h = state.header;
  const s = state.summary;
  if (s) {
    const color: Color = s.status === 'ok' ? 'green' : s.status === 'failed' ? 'red' : 'yellow';
    const word = s.status === 'ok' ? 'finished' : s.status === 'failed' ? 'FAILED' : 'interrupted';
    return [
      [{ text: `${word} in ${formatDuration(s.durationMs)}`, color, bold: true }, { text: '  ' }, ...countsText(state)],
      [{ text: 'results ', dim: true }, { text: s.outDir }],
      [{ text: 'report  ', dim: true }, { text: path.join(s.outDir, 'report.html') }],
    ];
  }
  const line: Line = [];
  if (o.cancelRequests) line.push({ text: 'cancelling… Ctrl-C again to force   ', color: 'yellow', bold: true });
  if (h) {
    const eta = state.eta(o.now);
    line.push({ text: `elapsed ${formatDuration(o.now - h.startTime)} · ` }, { text: `ETA ${etaText(eta)}`, dim: !eta }, { text: '   ' });
  }
  line.push(...countsText(state));
  return [line];
}

/** `1m10s`; `≥1m10s` while some remaining node has no estimate; `?` when nothing is known yet. */
export function etaText(eta: { ms: number; lowerBound: boolean } | undefined): string {
  if (!eta || (eta.lowerBound && eta.ms < 1000)) return '?';
  return (eta.lowerBound ? '≥' : '') + formatDuration(eta.ms);
}

function warningLines(state: RunState): Line[] {
  return state.warnings.slice(-WARNING_LINES).map((w) => [{ text: `⚠ ${firstLine(clean(w.message))}`, color: 'yellow' }]);
}

// ---------------------------------------------------------------- failures

function failureMessage(n: NodeView): string {
  return describeFailure(n.failure);
}

/**
 * The latest failure: a heading, the message (on its own lines when it does not fit
 * beside the heading), its last log lines; older failures named on one line.
 */
function failureLines(state: RunState, budget: number, columns: number): Line[] {
  const failed = state.ordered().filter((n) => n.status === 'failed');
  if (failed.length === 0) return [];
  failed.sort((a, b) => (b.endedAt ?? 0) - (a.endedAt ?? 0));
  const latest = failed[0];
  const heading: Line = [
    { text: `${GLYPH.failed} ${state.displayName(latest)}`, color: 'red', bold: true },
    { text: ` (${latest.info.type}) failed${latest.durationMs !== undefined ? ` after ${formatDuration(latest.durationMs)}` : ''}: `, color: 'red' },
  ];
  const message = failureMessage(latest);
  const lines: Line[] = [];
  if (segsWidth(heading) + [...message].length <= columns) lines.push([...heading, { text: message }]);
  else {
    lines.push(heading);
    for (const part of wrapText(message, columns - 2).slice(0, 3)) lines.push([{ text: '  ' + part }]);
  }
  const others = failed.slice(1);
  const logBudget = Math.min(FAILURE_LOG_LINES, budget - lines.length - (others.length > 0 ? 1 : 0));
  const log = (latest.failureLog ?? []).flatMap((l) => clean(l).split('\n')).filter((l) => l.trim() !== '');
  if (logBudget > 0) for (const l of log.slice(-logBudget)) lines.push([{ text: '  │ ', color: 'red' }, { text: l, dim: true }]);
  if (others.length > 0) lines.push([{ text: `  also failed: ${others.map((n) => state.displayName(n)).join(', ')}`, color: 'red' }]);
  return lines.slice(0, Math.max(0, budget));
}

/** Break text at spaces into lines of at most `width` (a longer word is cut later by fitLine). */
function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && [...line].length + 1 + [...word].length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

// ---------------------------------------------------------------- one row per node

function progressText(state: RunState, n: NodeView, now: number, barWidth: number): Seg[] {
  const p = n.progress;
  if (!p) return [{ text: `running${n.worker ? ` on ${n.worker}` : ''}`, dim: true }];
  const eta = state.nodeEta(n, now);
  let label = p.label !== undefined ? clean(p.label) : `${p.done}/${p.total}`;
  if (eta !== undefined && !/\bETA\b/.test(label)) label += ` · ETA ${formatDuration(eta)}`;
  return [
    { text: progressBar(p.done, p.total, barWidth), color: 'yellow' },
    { text: ` ${padStart(String(percent(p.done, p.total)), 3)}% ` },
    { text: label },
  ];
}

function rowDetail(state: RunState, n: NodeView, now: number): Seg[] {
  switch (n.status) {
    case 'waiting': {
      const pend = state.pendingDeps(n).map((d) => state.displayName(d));
      // inputs all there but not queued yet: ready, not waiting
      return [{ text: pend.length ? `waiting on ${pend.join(', ')}` : 'ready', dim: true }];
    }
    case 'queued':
      return [{ text: n.info.cached ? 'queued (cached)' : 'queued', dim: true }];
    case 'running':
      return progressText(state, n, now, 16);
    case 'cached':
      return [{ text: 'cached', color: 'cyan', dim: true }];
    case 'done':
      return [{ text: formatInfo(n.finishInfo), dim: true }];
    case 'failed':
      return [{ text: failureMessage(n), color: 'red' }];
    case 'skipped':
      return [{ text: `skipped${n.skipReason ? `: ${n.skipReason}` : ''}`, dim: true }];
  }
}

/** Statuses whose row shows a time: how long it has run, or took. */
const TIMED: ReadonlySet<NodeViewStatus> = new Set(['running', 'done', 'failed']);

/** Indentation shows depth; past a point, deeper rows line up (a 40-step chain would run off the screen). */
const indentOf = (n: NodeView) => 2 * Math.min(n.depth, 8);

function listBody(state: RunState, o: FrameOptions, columns: number, budget: number): Line[] {
  const nodes = state.ordered();
  if (nodes.length === 0) return [];
  const nameW = Math.min(36, Math.max(...nodes.map((n) => indentOf(n) + [...state.displayName(n)].length)));
  const showType = columns >= 70;
  const typeW = showType ? Math.min(18, Math.max(...nodes.map((n) => n.info.type.length))) : 0;
  const prefixW = 2 + nameW + (showType ? 1 + typeW : 0) + 9;
  // a running row whose progress does not fit beside it gets a second line, under its name
  const details = new Map<NodeView, Seg[]>();
  let extraLines = 0;
  for (const n of nodes) {
    const d = rowDetail(state, n, o.now);
    details.set(n, d);
    if (n.status === 'running' && prefixW + segsWidth(d) > columns) extraLines++;
  }
  const rows = windowFor(nodes, budget - extraLines, (n) => n.status === 'running' || n.status === 'failed');
  return rows.flatMap((item): Line[] => {
    if (item.kind === 'gap') return [[{ text: `  ⋮ ${item.count} more`, dim: true }]];
    const n = nodes[item.index];
    const el = state.elapsed(n, o.now);
    const color = STATUS_COLOR[n.status];
    const detail = details.get(n)!;
    const wrap = n.status === 'running' && prefixW + segsWidth(detail) > columns;
    const row: Line = [
      { text: ' '.repeat(indentOf(n)) },
      { text: GLYPH[n.status] + ' ', color },
      { text: padEnd(state.displayName(n), Math.max(8, nameW - indentOf(n))), bold: n.status === 'running' || n.status === 'failed', dim: n.status === 'waiting' || n.status === 'skipped' },
      ...(showType ? [{ text: ' ' + padEnd(n.info.type, typeW), dim: true }] : []),
      { text: ' ' + padStart(el !== undefined && TIMED.has(n.status) ? formatDuration(el) : '', 6) + '  ' },
      ...(wrap ? [] : detail),
    ];
    return wrap ? [row, [{ text: ' '.repeat(indentOf(n) + 4) }, ...detail]] : [row];
  });
}

function segsWidth(segs: Seg[]): number {
  let w = 0;
  for (const s of segs) w += [...s.text].length;
  return w;
}

/** Rows that matter are running and failed ones; with none, the next to run; at the end, the last. */
function windowFor<T extends { status: NodeViewStatus }>(items: T[], budget: number, matters: (x: T) => boolean): WindowItem[] {
  const seeds = items.flatMap((x, i) => (matters(x) ? [i] : []));
  if (seeds.length === 0) {
    const next = items.findIndex((x) => !isTerminal(x.status));
    seeds.push(next >= 0 ? next : items.length - 1);
  }
  return pickWindow(items.length, seeds, Math.max(1, budget));
}

// ---------------------------------------------------------------- sweeps: a grid

function variantLabel(id: string, params: Record<string, unknown>): string {
  if (id.includes('=')) return id;
  const p = Object.entries(params)
    .map(([k, v]) => `${k.split('.').pop()}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return p ? `${id} ${p}` : id;
}

function cellText(state: RunState, n: NodeView, now: number): string {
  switch (n.status) {
    case 'running': {
      const p = n.progress;
      return p ? `${percent(p.done, p.total)}%` : formatDuration(state.elapsed(n, now) ?? 0);
    }
    case 'done':
      return formatDuration(n.durationMs ?? 0);
    case 'cached':
      return 'cached';
    case 'failed':
      return 'failed';
    case 'skipped':
      return 'skip';
    case 'waiting':
      return 'wait';
    case 'queued':
      return 'queued';
  }
}

function sweepBody(state: RunState, o: FrameOptions, columns: number, budget: number): Line[] {
  const nodes = state.ordered();
  const shared = nodes.filter((n) => state.isShared(n));
  const perVariant = nodes.filter((n) => !state.isShared(n));
  const names = [...new Set(perVariant.map((n) => n.info.name))];
  const cell = new Map<string, NodeView>();
  for (const n of perVariant) for (const v of n.info.variants) cell.set(`${v}\u0000${n.info.name}`, n);

  // shared nodes once, as chips that wrap
  const chipLines: Line[] = [];
  if (shared.length > 0) {
    let line: Line = [{ text: 'all variants: ', dim: true }];
    let width = 14;
    for (const n of shared) {
      const extra = n.status === 'running' && n.progress ? ` ${percent(n.progress.done, n.progress.total)}%` : '';
      const text = `${GLYPH[n.status]} ${n.info.name}${extra}  `;
      if (width + text.length > columns && line.length > 1) {
        chipLines.push(line);
        line = [{ text: '              ' }];
        width = 14;
      }
      line.push({ text: GLYPH[n.status] + ' ', color: STATUS_COLOR[n.status] }, { text: `${n.info.name}${extra}  `, dim: isTerminal(n.status) && n.status !== 'failed' });
      width += text.length;
    }
    chipLines.push(line);
  }
  const chips = chipLines.slice(0, 2);

  const running = nodes.filter((n) => n.status === 'running' && !state.isShared(n));
  const sharedRunning = shared.filter((n) => n.status === 'running');
  const allRunning = [...sharedRunning, ...running];
  const detailCount = Math.min(RUNNING_DETAIL_LINES, allRunning.length);

  const labels = state.variants.map((v) => variantLabel(v.id, v.params));
  const labelW = Math.min(28, Math.max(7, ...labels.map((l) => [...l].length)));
  // a cell: glyph, space, text, and a space before the next column
  let cellW = Math.min(14, Math.max(9, ...names.map((n) => n.length + 1)));
  while (cellW > 7 && labelW + 1 + names.length * cellW > columns) cellW--;

  const gridHeader: Line = [
    { text: padEnd('variant', labelW) + ' ', dim: true },
    { text: names.map((n) => padEnd(n, cellW)).join(''), bold: true },
  ];
  const gridBudget = Math.max(1, budget - chips.length - 1 - detailCount - (allRunning.length > detailCount ? 1 : 0));
  const rowsInfo = state.variants.map((v) => {
    const cells = names.map((name) => cell.get(`${v.id}\u0000${name}`));
    const status: NodeViewStatus = cells.some((c) => c?.status === 'running')
      ? 'running'
      : cells.some((c) => c?.status === 'failed')
        ? 'failed'
        : cells.every((c) => !c || isTerminal(c.status))
          ? 'done'
          : 'waiting';
    return { cells, status };
  });
  const window = windowFor(rowsInfo, gridBudget, (r) => r.status === 'running' || r.status === 'failed');
  const grid: Line[] = window.map((item): Line => {
    if (item.kind === 'gap') return [{ text: `  ⋮ ${item.count} more variants`, dim: true }];
    const r = rowsInfo[item.index];
    const segs: Line = [{ text: padEnd(labels[item.index], labelW) + ' ' }];
    for (const c of r.cells) {
      if (!c) {
        segs.push({ text: ' '.repeat(cellW) });
        continue;
      }
      segs.push({ text: GLYPH[c.status] + ' ', color: STATUS_COLOR[c.status] });
      segs.push({ text: padEnd(cellText(state, c, o.now), cellW - 3) + ' ', dim: c.status === 'waiting' || c.status === 'skipped' || c.status === 'cached' });
    }
    return segs;
  });

  const details: Line[] = allRunning.slice(0, detailCount).map((n) => [
    { text: `${GLYPH.running} `, color: 'yellow' },
    { text: padEnd(state.displayName(n), Math.min(30, labelW + 12)) + ' ', bold: true },
    ...progressText(state, n, o.now, 12),
  ]);
  if (allRunning.length > detailCount) details.push([{ text: `  +${allRunning.length - detailCount} more running`, dim: true }]);
  return [...chips, gridHeader, ...grid, ...details];
}

// ---------------------------------------------------------------- fitting

/** Cut a line to the terminal width so Ink never wraps it into two; no trailing blanks to draw. */
function fitLine(line: Line, columns: number): Line {
  const out = cutLine(line, columns);
  while (out.length > 0) {
    const last = out[out.length - 1];
    const t = last.text.trimEnd();
    if (t === last.text) break;
    if (t === '') out.pop();
    else out[out.length - 1] = { ...last, text: t };
  }
  return out;
}

function cutLine(line: Line, columns: number): Line {
  let left = columns;
  const out: Line = [];
  for (const s of line) {
    if (left <= 0) break;
    const len = [...s.text].length;
    if (len <= left) {
      out.push(s);
      left -= len;
    } else {
      out.push({ ...s, text: truncate(s.text, left) });
      left = 0;
    }
  }
  return out;
}

/** The frame as plain text (tests, snapshots in reports). */
export function frameText(lines: Line[]): string {
  return lines.map((l) => l.map((s) => s.text).join('').trimEnd()).join('\n');
}
