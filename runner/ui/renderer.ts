// The one door the runner uses to show a run: pick a renderer kind, create it, feed it
// every RunEvent, close it. Ink (and React) load only for the `ink` kind, through a
// dynamic import in live.ts, and only once the run has work to show, so plain and JSON
// runs and fully cached reruns start as fast as Node does.

import type { RunEvent } from '../events.js';
import { JsonRenderer } from './json.js';
import { LiveRenderer } from './live.js';
import { PlainRenderer } from './plain.js';

export interface Renderer {
  onEvent(e: RunEvent): void;
  /** Finish drawing (the final frame, the summary) and release the terminal. Idempotent. */
  close(): Promise<void>;
}

export type RendererKind = 'ink' | 'plain' | 'json';

export interface RendererOptions {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** the user asked to stop (`q` or Ctrl-C in the Ink view); called on every request */
  onCancel: () => void;
  /** compute backend for the header, e.g. tfjs `cpu` or `wasm` */
  backend?: string;
  /** clock for elapsed times and ETAs (tests pin it); default Date.now */
  now?: () => number;
  /** Ink only: where keys come from; default process.stdin */
  stdin?: NodeJS.ReadStream;
  /** plain/JSON: least time between two progress lines of one node; default 5000 ms */
  progressIntervalMs?: number;
  /** Ink only: least time between two redraws; default 100 ms (10 a second) */
  redrawIntervalMs?: number;
  /** Ink only: share of one core redrawing may take; redraws slow down to stay under it; default 0.0125 */
  cpuBudget?: number;
}

export function createRenderer(kind: RendererKind, opts: RendererOptions): Renderer {
  switch (kind) {
    case 'plain':
      return new PlainRenderer(opts.stdout, opts);
    case 'json':
      return new JsonRenderer(opts.stdout, opts.stderr, opts);
    case 'ink':
      return new LiveRenderer(opts);
  }
}

export interface RendererChoice {
  /** whether stdout is a terminal */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  /** `--no-tui` */
  noTui?: boolean;
  /** `--json` */
  json?: boolean;
}

/** Set, and not switched off with `0` or `false` (the convention CI detectors share). */
function envFlag(v: string | undefined): boolean {
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * `--json` -> json. Otherwise Ink only on a real terminal: not when stdout is piped or
 * redirected, not in CI (`CI` or `CONTINUOUS_INTEGRATION`), not with `--no-tui`, and not
 * on a `TERM=dumb` terminal that cannot move the cursor -> plain lines.
 */
export function chooseRendererKind(c: RendererChoice): RendererKind {
  if (c.json) return 'json';
  if (!c.isTTY || c.noTui) return 'plain';
  if (envFlag(c.env.CI) || envFlag(c.env.CONTINUOUS_INTEGRATION)) return 'plain';
  if (c.env.TERM === 'dumb') return 'plain';
  return 'ink';
}
