// The live terminal view. Events update the shared RunState at once; the screen is
// redrawn from it at most every `redrawIntervalMs` (and once a second while nothing
// happens, so clocks move), and less often when frames are expensive: Ink re-renders
// the whole frame cell by cell (5-10 ms for 15 lines of 120 columns once warm, 20 ms
// before the JIT has seen it), so the pace adapts to keep drawing under `cpuBudget`
// of one core. A frame identical to the last one is not drawn at all. Loaded only
// through live.ts's dynamic import.

import { render, type Instance } from 'ink';
import type { RunEvent } from '../../events.js';
import { buildFrame, frameText, type Line } from '../frame.js';
import type { Renderer, RendererOptions } from '../renderer.js';
import { RunState } from '../state.js';
import { LiveApp } from './app.js';

const CLOCK_TICK_MS = 1000;
/** slowest pace the budget may push redraws to */
const MAX_INTERVAL_MS = 2000;

export class InkRenderer implements Renderer {
  private readonly instance: Instance;
  private readonly now: () => number;
  private readonly minInterval: number;
  private readonly cpuBudget: number;
  /**
   * What the last few redraws took, in wall time: Node 20 has no per-thread CPU clock,
   * and process CPU counts the workers too. Their mean is the cost estimate; on a busy
   * machine waiting for a core inflates it, which only slows redraws further.
   */
  private readonly recentCosts: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly ticker: NodeJS.Timeout;
  private lastDraw = -Infinity;
  private lastText = '';
  private cancelRequests = 0;
  private closing: Promise<void> | undefined;
  /** frames handed to Ink, and the time spent drawing them (for the benchmark and tests) */
  draws = 0;
  drawMs = 0;

  /** `state` may already hold the events that came while Ink loaded */
  constructor(
    private readonly opts: RendererOptions,
    readonly state: RunState = new RunState(),
  ) {
    this.now = opts.now ?? Date.now;
    this.minInterval = opts.redrawIntervalMs ?? 100;
    // what draw() times is about three quarters of a redraw's CPU (garbage collection and
    // React's deferred work come later): 1.25% timed keeps the whole under 2% of a core
    this.cpuBudget = opts.cpuBudget ?? 0.0125;
    const lines = this.frame();
    this.lastText = frameText(lines);
    this.instance = render(this.element(lines), {
      stdout: opts.stdout,
      stderr: opts.stderr,
      stdin: opts.stdin ?? process.stdin,
      exitOnCtrlC: false,
      // console output from anywhere goes above the view instead of through it
      patchConsole: true,
      // our own pace rules; Ink's throttle (set faster) must never hold back one of our frames
      maxFps: Math.max(1, Math.round(2000 / this.minInterval)),
    });
    this.lastDraw = performance.now();
    this.ticker = setInterval(() => this.schedule(), CLOCK_TICK_MS);
    this.ticker.unref();
    opts.stdout.on('resize', this.onResize);
  }

  onEvent(e: RunEvent): void {
    this.state.apply(e);
    this.notify(e);
  }

  /** `e` is already in the state: redraw (soon), or for the last event, for good. */
  notify(e: RunEvent): void {
    if (e.type === 'run-finished') void this.close();
    else this.schedule();
  }

  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  /** Least time between two frames now: the configured minimum, or what the CPU budget allows. */
  get interval(): number {
    const n = this.recentCosts.length;
    const cost = n > 0 ? this.recentCosts.reduce((a, b) => a + b, 0) / n : 0;
    return Math.min(MAX_INTERVAL_MS, Math.max(this.minInterval, cost / this.cpuBudget));
  }

  private async finish(): Promise<void> {
    clearInterval(this.ticker);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.opts.stdout.off('resize', this.onResize);
    this.draw(true);
    const exited = this.instance.waitUntilExit();
    // Ink writes the final frame and leaves it on screen; the results lines are part of it
    this.instance.unmount();
    await exited;
  }

  private readonly onResize = () => {
    this.lastText = ''; // same text, new width: draw anyway
    this.schedule();
  };

  private readonly handleCancel = () => {
    this.cancelRequests++;
    this.opts.onCancel();
    this.schedule();
  };

  /** Draw once the last frame is old enough. */
  private schedule(): void {
    if (this.timer || this.closing) return;
    const wait = Math.max(0, this.lastDraw + this.interval - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw(false);
    }, wait);
    this.timer.unref();
  }

  private frame(): Line[] {
    const out = this.opts.stdout;
    return buildFrame(this.state, {
      now: this.now(),
      columns: out.columns || 80,
      rows: out.rows || 24,
      backend: this.opts.backend,
      cancelRequests: this.cancelRequests,
    });
  }

  private draw(force: boolean): void {
    const t = performance.now();
    this.lastDraw = t;
    const lines = this.frame();
    const text = frameText(lines);
    if (!force && text === this.lastText) return;
    this.lastText = text;
    this.instance.rerender(this.element(lines));
    const cost = performance.now() - t;
    this.draws++;
    this.drawMs += cost;
    this.recentCosts.push(cost);
    if (this.recentCosts.length > 8) this.recentCosts.shift();
  }

  private element(lines: Line[]) {
    return <LiveApp lines={lines} listening={!this.state.finished} onCancel={this.handleCancel} />;
  }
}
