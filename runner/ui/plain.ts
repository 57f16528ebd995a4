// Timestamped lines for logs, pipes and CI: one line per thing that happened, progress
// at most every few seconds per node, never an escape code.
//   12:03:04 started  crowd (crowd-collect)
//   12:03:06 done     crowd (crowd-collect) in 1.2s

import path from 'node:path';
import type { RunEvent } from '../events.js';
import { clean, describeFailure, formatClock, formatDuration, formatInfo, percent } from './format.js';
import type { Renderer } from './renderer.js';
import { RunState, type NodeView } from './state.js';

export interface PlainOptions {
  backend?: string;
  /** least time between two progress lines of one node */
  progressIntervalMs?: number;
}

/** A node's log lines at these levels are printed as they come; all levels appear in a failure's tail. */
const PRINTED_LOG_LEVELS = new Set(['warn', 'error']);
const VERB_WIDTH = 8;

export class PlainRenderer implements Renderer {
  readonly state = new RunState();
  private readonly progressIntervalMs: number;
  /** when each node last had a progress line (its start counts as one) */
  private readonly lastProgressLine = new Map<string, number>();

  constructor(
    private readonly out: { write(chunk: string): unknown },
    private readonly opts: PlainOptions = {},
  ) {
    this.progressIntervalMs = opts.progressIntervalMs ?? 5000;
  }

  onEvent(e: RunEvent): void {
    this.state.apply(e);
    const lines = this.format(e);
    if (lines.length > 0) this.out.write(lines.map((l) => `${formatClock(e.time)} ${l}\n`).join(''));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private node(key: string): NodeView | undefined {
    return this.state.nodes.get(key);
  }

  private who(n: NodeView): string {
    return `${this.state.displayName(n)} (${n.info.type})`;
  }

  /** The lines (without timestamp) an event prints; most print one, some none. */
  format(e: RunEvent): string[] {
    const verb = (v: string, rest: string) => `${v.padEnd(VERB_WIDTH)} ${rest}`;
    switch (e.type) {
      case 'run-started': {
        const cached = e.nodes.filter((n) => n.cached).length;
        const facts = [
          `${e.nodes.length} nodes (${cached} cached)`,
          e.variants.length > 1 ? `${e.variants.length} variants` : undefined,
          `${e.jobs} worker${e.jobs === 1 ? '' : 's'}`,
          this.opts.backend ? `backend ${this.opts.backend}` : undefined,
          e.executor,
          `cache ${e.cacheDir}`,
        ].filter(Boolean);
        return [verb('run', `${e.pipeline}: ${facts.join(', ')}`)];
      }
      case 'warning': {
        const n = e.key ? this.node(e.key) : undefined;
        return [verb('warning', `${n ? `${this.state.displayName(n)}: ` : ''}${oneLine(e.message)}`)];
      }
      case 'run-finished': {
        const s = e.summary;
        const c = s.counts;
        const word = s.status === 'ok' ? 'ok' : s.status === 'failed' ? 'FAILED' : 'interrupted';
        return [
          verb(
            'finished',
            `${word} in ${formatDuration(s.durationMs)}: ${c.executed} executed, ${c.cached} cached, ${c.failed} failed, ${c.skipped} skipped; ` +
              `results in ${s.outDir} (report ${path.join(s.outDir, 'report.html')})`,
          ),
        ];
      }
      default:
        break;
    }
    const n = this.node(e.key);
    if (!n) return [];
    switch (e.type) {
      case 'node-started':
        this.lastProgressLine.set(e.key, e.time);
        return [verb('started', this.who(n))];
      case 'node-progress': {
        const last = this.lastProgressLine.get(e.key) ?? -Infinity;
        if (e.time - last < this.progressIntervalMs) return [];
        this.lastProgressLine.set(e.key, e.time);
        const eta = this.state.nodeEta(n, e.time);
        const parts = [`${percent(e.done, e.total)}%`, e.label !== undefined ? oneLine(e.label) : `${e.done}/${e.total}`];
        if (eta !== undefined && !/\bETA\b/.test(e.label ?? '')) parts.push(`ETA ${formatDuration(eta)}`);
        return [verb('progress', `${this.who(n)} ${parts.join(' · ')}`)];
      }
      case 'node-log':
        if (!PRINTED_LOG_LEVELS.has(e.level)) return [];
        return [verb(e.level, `${this.state.displayName(n)}: ${oneLine(e.message)}`)];
      case 'node-cached':
        return [verb('cached', this.who(n))];
      case 'node-finished': {
        const info = formatInfo(e.info, ', ');
        return [verb('done', `${this.who(n)} in ${formatDuration(e.durationMs)}${info ? ` (${info})` : ''}`)];
      }
      case 'node-failed': {
        const tail = (n.failureLog ?? []).flatMap((l) => clean(l).split('\n')).filter((l) => l.trim() !== '');
        return [
          verb('FAILED', `${this.who(n)} after ${formatDuration(e.durationMs)}: ${describeFailure(e.failure)}`),
          ...tail.slice(-10).map((l) => `${''.padEnd(VERB_WIDTH)} | ${l}`),
        ];
      }
      case 'node-skipped':
        return [verb('skipped', `${this.who(n)}: ${oneLine(e.reason)}`)];
      case 'node-queued':
        return [];
    }
  }
}

function oneLine(text: string): string {
  return clean(text).replace(/\s*\n\s*/g, ' / ').trim();
}
