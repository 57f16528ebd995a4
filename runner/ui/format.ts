// Small text helpers shared by the plain, JSON and Ink renderers. No escape codes here:
// colour is the Ink layer's business.

import type { NodeFailure } from '../events.js';

/** `0.4s`, `1.2s`, `12s`, `1m05s`, `2h03m`: short, and stable in width per range. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 9_950) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Local wall-clock time `HH:MM:SS`, as in a log file. */
export function formatClock(time: number): string {
  const d = new Date(time);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function percent(done: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/** A bar of `width` cells, eighth-block precision so slow progress still moves. */
export function progressBar(done: number, total: number, width: number): string {
  const frac = total > 0 ? Math.max(0, Math.min(1, done / total)) : 0;
  const eighths = Math.round(frac * width * 8);
  const full = Math.floor(eighths / 8);
  const partial = eighths % 8;
  const partials = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
  let bar = '█'.repeat(full);
  if (full < width) bar += partials[partial] ?? '';
  return bar + '░'.repeat(Math.max(0, width - [...bar].length));
}

/** Cut to `width` characters, marking the cut with `…`. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width === 1) return '…';
  return chars.slice(0, width - 1).join('') + '…';
}

export function padEnd(text: string, width: number): string {
  const t = truncate(text, width);
  return t + ' '.repeat(Math.max(0, width - [...t].length));
}

export function padStart(text: string, width: number): string {
  const t = truncate(text, width);
  return ' '.repeat(Math.max(0, width - [...t].length)) + t;
}

/** First line of a possibly multi-line message. */
export function firstLine(text: string): string {
  const i = text.indexOf('\n');
  return (i < 0 ? text : text.slice(0, i)).trimEnd();
}

/** `acc 0.71 · backend wasm` from a node's finish info, numbers rounded for reading. */
export function formatInfo(info: Record<string, string | number | boolean> | undefined, sep = ' · '): string {
  if (!info) return '';
  return Object.entries(info)
    .map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(3)) : v}`)
    .join(sep);
}

// CSI and OSC sequences, then any other control character but newline and tab
// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B[@-Z\\-_]|[\u0000-\u0008\u000B-\u001F\u007F\u009B]/g;

/** Text from a node (a command's coloured output, say) made safe to print: no escape codes. */
export function clean(text: string): string {
  return text.replace(ANSI, '');
}

/** One line saying why a node failed: the message, prefixed by the kind where it adds something. */
export function describeFailure(f: NodeFailure | undefined): string {
  if (!f) return 'failed';
  const msg = firstLine(clean(f.message));
  return f.kind === 'error' || f.kind === 'input' ? msg : `${f.kind}: ${msg}`;
}
