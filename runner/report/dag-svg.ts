// The pipeline's DAG as an SVG we lay out ourselves (no browser, no graph library):
// columns by longest-path depth, left to right; rows within a column ordered by the
// mean row of their parents (one barycentre pass keeps crossings down). Boxes are
// coloured by what happened to the node in this run.

import type { NodeStatus, RunNodeInfo } from '../events.js';
import { escapeHtml } from './markdown.js';

export interface DagNodeState {
  status?: NodeStatus;
  durationMs?: number;
}

const BOX_H = 46;
const ROW_GAP = 18;
const COL_GAP = 56;
const PAD = 12;
const CHAR_W = 7; // 12 px sans-serif, an estimate: no font metrics server-side

const STYLE: Record<NodeStatus | 'unknown', { fill: string; stroke: string; dash?: string; label: string }> = {
  executed: { fill: '#e6f4e4', stroke: '#2e7d32', label: 'ran' },
  cached: { fill: '#e8eef8', stroke: '#3f6fb5', label: 'cached' },
  failed: { fill: '#fde4e2', stroke: '#c62828', label: 'failed' },
  skipped: { fill: '#f3f3f3', stroke: '#9e9e9e', dash: '4 3', label: 'skipped' },
  unknown: { fill: '#ffffff', stroke: '#9e9e9e', label: '' },
};

/** Keys in an order where every node comes after its deps (input order among equals). */
export function topoOrder(nodes: RunNodeInfo[]): string[] {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const seen = new Set<string>();
  const order: string[] = [];
  const visit = (key: string, stack: Set<string>) => {
    if (seen.has(key) || stack.has(key)) return;
    const n = byKey.get(key);
    if (!n) return;
    stack.add(key);
    for (const d of n.deps) visit(d, stack);
    stack.delete(key);
    seen.add(key);
    order.push(key);
  };
  for (const n of nodes) visit(n.key, new Set());
  return order;
}

export function layoutDag(nodes: RunNodeInfo[]): { key: string; depth: number; row: number }[] {
  const order = topoOrder(nodes);
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const depth = new Map<string, number>();
  for (const k of order) {
    const deps = byKey.get(k)!.deps.filter((d) => depth.has(d));
    depth.set(k, deps.length ? Math.max(...deps.map((d) => depth.get(d)!)) + 1 : 0);
  }
  const columns: string[][] = [];
  for (const k of order) (columns[depth.get(k)!] ??= []).push(k);
  const row = new Map<string, number>();
  columns.forEach((col, c) => {
    if (c > 0) {
      const bary = (k: string) => {
        const rows = byKey.get(k)!.deps.filter((d) => row.has(d)).map((d) => row.get(d)!);
        return rows.length ? rows.reduce((s, r) => s + r, 0) / rows.length : 0;
      };
      const pos = new Map(col.map((k, i) => [k, i]));
      col.sort((a, b) => bary(a) - bary(b) || pos.get(a)! - pos.get(b)!);
    }
    col.forEach((k, i) => row.set(k, i));
  });
  return order.map((key) => ({ key, depth: depth.get(key)!, row: row.get(key)! }));
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function dagSvg(nodes: RunNodeInfo[], state: Map<string, DagNodeState>): string {
  const layout = layoutDag(nodes);
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const label2 = (k: string) => {
    const st = state.get(k);
    const s = STYLE[st?.status ?? 'unknown'];
    const d = st?.status === 'executed' || st?.status === 'failed' ? formatDuration(st.durationMs) : '';
    return [byKey.get(k)!.type, s.label, d].filter(Boolean).join(' · ');
  };
  const boxW = Math.max(120, ...nodes.map((n) => Math.max(n.name.length * (CHAR_W + 0.5), label2(n.key).length * (CHAR_W - 1)) + 2 * PAD));
  const cols = Math.max(1, ...layout.map((l) => l.depth + 1));
  const rows = Math.max(1, ...layout.map((l) => l.row + 1));
  const width = Math.max(320, PAD * 2 + cols * boxW + (cols - 1) * COL_GAP);
  const height = PAD * 2 + rows * BOX_H + (rows - 1) * ROW_GAP + 22;
  const pos = new Map(layout.map((l) => [l.key, { x: PAD + l.depth * (boxW + COL_GAP), y: PAD + l.row * (BOX_H + ROW_GAP) }]));
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" role="img" aria-label="pipeline DAG">`,
    `<defs><marker id="dag-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#777"/></marker></defs>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  );
  for (const n of nodes) {
    const to = pos.get(n.key);
    if (!to) continue;
    for (const d of n.deps) {
      const from = pos.get(d);
      if (!from) continue;
      const x1 = from.x + boxW;
      const y1 = from.y + BOX_H / 2;
      const x2 = to.x - 2;
      const y2 = to.y + BOX_H / 2;
      const mid = (x1 + x2) / 2;
      parts.push(`<path d="M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}" fill="none" stroke="#777" stroke-width="1.3" marker-end="url(#dag-arrow)"/>`);
    }
  }
  for (const { key } of layout) {
    const n = byKey.get(key)!;
    const { x, y } = pos.get(key)!;
    const st = STYLE[state.get(key)?.status ?? 'unknown'];
    parts.push(
      `<g><title>${escapeHtml(`${n.name} (${n.type})`)}</title>`,
      `<rect x="${x}" y="${y}" width="${boxW}" height="${BOX_H}" rx="6" fill="${st.fill}" stroke="${st.stroke}" stroke-width="1.5"${st.dash ? ` stroke-dasharray="${st.dash}"` : ''}/>`,
      `<text x="${x + PAD}" y="${y + 19}" font-size="13" font-weight="bold" fill="#222">${escapeHtml(n.name)}</text>`,
      `<text x="${x + PAD}" y="${y + 36}" font-size="11" fill="#555">${escapeHtml(label2(key))}</text></g>`,
    );
  }
  // legend
  let lx = PAD;
  const ly = height - 14;
  for (const s of ['executed', 'cached', 'failed', 'skipped'] as const) {
    parts.push(
      `<rect x="${lx}" y="${ly - 9}" width="12" height="10" rx="2" fill="${STYLE[s].fill}" stroke="${STYLE[s].stroke}"${STYLE[s].dash ? ` stroke-dasharray="2 2"` : ''}/>`,
      `<text x="${lx + 16}" y="${ly}" font-size="10" fill="#555">${STYLE[s].label}</text>`,
    );
    lx += 16 + STYLE[s].label.length * 6 + 16;
  }
  parts.push('</svg>');
  return parts.join('\n');
}
