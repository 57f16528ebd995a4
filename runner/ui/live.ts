// The `ink` renderer kind as the runner sees it. Ink and React take about half a second
// to load, as long as a whole fully cached rerun may take, so they load only once the
// run turns out to have work to show: a node to execute. A run that is all cache hits
// prints its final frame as plain coloured text and never loads Ink. Events that arrive
// while Ink loads go into the shared state, which Ink then draws from.

import type { RunEvent } from '../events.js';
import { buildFrame } from './frame.js';
import { paintLines } from './paint.js';
import { PlainRenderer } from './plain.js';
import type { Renderer, RendererOptions } from './renderer.js';
import { RunState } from './state.js';

/** What live.ts needs from the Ink module (ink/ink-renderer.tsx). */
export interface InkView {
  notify(e: RunEvent): void;
  close(): Promise<void>;
}
export type InkLoader = (opts: RendererOptions, state: RunState) => Promise<InkView>;

export const loadInk: InkLoader = async (opts, state) => {
  // React picks its build when first loaded; the development one draws at half the speed.
  // Ask for production just for that load, unless the user chose a mode.
  const setEnv = process.env.NODE_ENV === undefined;
  if (setEnv) process.env.NODE_ENV = 'production';
  try {
    const { InkRenderer } = await import('./ink/ink-renderer.js');
    return new InkRenderer(opts, state);
  } finally {
    if (setEnv) delete process.env.NODE_ENV;
  }
};

export class LiveRenderer implements Renderer {
  readonly state = new RunState();
  private view: InkView | undefined;
  private fallback: PlainRenderer | undefined;
  private loading: Promise<void> | undefined;
  /** events since loading began, to replay into a plain renderer if Ink cannot load */
  private pending: RunEvent[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly opts: RendererOptions,
    private readonly load: InkLoader = loadInk,
  ) {}

  /** The Ink view once loaded (the benchmark reads its draw counts). */
  get inkView(): InkView | undefined {
    return this.view;
  }

  /** Whether Ink was (or is being) loaded: false for a run of cache hits. */
  get inkRequested(): boolean {
    return this.loading !== undefined;
  }

  onEvent(e: RunEvent): void {
    if (this.fallback) return this.fallback.onEvent(e);
    this.state.apply(e);
    if (this.view) return this.view.notify(e);
    if (this.loading) this.pending.push(e);
    else if (hasWork(e)) this.startLoading(e);
    if (e.type === 'run-finished') void this.close();
  }

  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private startLoading(first: RunEvent): void {
    this.pending.push(first);
    this.loading = this.load(this.opts, this.state).then(
      (view) => {
        this.view = view;
        this.pending = [];
        // a redraw with all that happened while loading (or the final frame)
        const last = this.state.summary ? ({ type: 'run-finished', time: this.state.endTime ?? 0, summary: this.state.summary } as const) : first;
        view.notify(last);
      },
      (err: unknown) => {
        this.opts.stderr.write(`softlab: the terminal UI could not start (${err instanceof Error ? err.message : String(err)}); showing plain lines\n`);
        const plain = new PlainRenderer(this.opts.stdout, this.opts);
        for (const e of this.replayable()) plain.onEvent(e);
        this.fallback = plain;
      },
    );
  }

  /** run-started (from the state) and every event since loading began, for the plain fallback. */
  private replayable(): RunEvent[] {
    const h = this.state.header;
    const started: RunEvent[] =
      h && this.pending[0]?.type !== 'run-started'
        ? [{ type: 'run-started', time: h.startTime, pipeline: h.pipeline, specFile: h.specFile, nodes: this.state.ordered().map((n) => n.info), variants: this.state.variants, jobs: h.jobs, cacheDir: h.cacheDir, outDir: h.outDir, executor: h.executor }]
        : [];
    return [...started, ...this.pending];
  }

  private async finish(): Promise<void> {
    if (this.loading) {
      await this.loading;
      if (this.view) await this.view.close();
      if (this.fallback) await this.fallback.close();
      return;
    }
    if (!this.state.header) return;
    // never needed Ink: the final frame once, in full, as coloured text
    const now = (this.opts.now ?? Date.now)();
    const lines = buildFrame(this.state, { now, columns: this.opts.stdout.columns || 80, rows: 1000, backend: this.opts.backend });
    this.opts.stdout.write(paintLines(lines, this.opts.stdout.isTTY === true));
  }
}

/** An event that means something will run: only then is a live view worth loading. */
function hasWork(e: RunEvent): boolean {
  switch (e.type) {
    case 'run-started':
      return e.nodes.some((n) => !n.cached);
    case 'node-started':
    case 'node-progress':
    case 'node-log':
    case 'node-failed':
      return true;
    default:
      return false;
  }
}
