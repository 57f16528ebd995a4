// What the terminal UI costs: plays the default pipeline's event stream (10 nodes, two
// trainings reporting progress every 50 ms) in real time into each renderer, and
// reports the CPU time the renderer adds per second of run (process CPU with the
// renderer minus process CPU with no renderer, interleaved runs, medians).
//
//   node --import tsx bench/ui.ts [--runs 3] [--train-ms 30000]   (about 4 minutes)

import { EventEmitter } from 'node:events';
import type { RunEvent } from '../runner/events.js';
import { buildFrame } from '../runner/ui/frame.js';
import { LiveRenderer } from '../runner/ui/live.js';
import { createRenderer, type Renderer, type RendererOptions } from '../runner/ui/renderer.js';
import { RunState } from '../runner/ui/state.js';
import { defaultPipelineTimeline, T0 } from './ui-events.js';
import { median } from './stats.js';

type Kind = 'none' | 'plain' | 'ink';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** A terminal that swallows output: 120x40, a TTY as far as Ink can tell. */
function fakeTerminal() {
  let bytes = 0;
  const out = Object.assign(new EventEmitter(), {
    columns: 120,
    rows: 40,
    isTTY: true,
    write(chunk: string, cb?: unknown) {
      bytes += chunk.length;
      if (typeof cb === 'function') (cb as () => void)();
      return true;
    },
  });
  const stdin = Object.assign(new EventEmitter(), { isTTY: false, setEncoding() {}, ref() {}, unref() {}, resume() {}, pause() {}, read: () => null });
  return { out, stdin, bytes: () => bytes };
}

interface Result {
  wallMs: number;
  cpuMs: number;
  draws: number;
  drawMs: number;
  bytes: number;
}

/** Feed `events` at their own pace (relative to the first), into a renderer of `kind`. */
async function play(kind: Kind, events: RunEvent[]): Promise<Result> {
  const term = fakeTerminal();
  let clock = events[0].time;
  const opts: RendererOptions = {
    stdout: term.out as unknown as NodeJS.WriteStream,
    stderr: term.out as unknown as NodeJS.WriteStream,
    stdin: term.stdin as unknown as NodeJS.ReadStream,
    onCancel: () => {},
    backend: 'wasm',
    now: () => clock,
  };
  let live: LiveRenderer | undefined;
  let renderer: Renderer | undefined;
  if (kind === 'ink') renderer = live = new LiveRenderer(opts);
  else if (kind === 'plain') renderer = createRenderer('plain', opts);
  const base = events[0].time;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let i = 0;
  while (i < events.length) {
    const due = events[i].time - base - (performance.now() - t0);
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    // everything that is due now, as a burst (as the runner's event loop would deliver it)
    const nowRel = performance.now() - t0;
    while (i < events.length && events[i].time - base <= nowRel) {
      clock = events[i].time;
      renderer?.onEvent(events[i]);
      i++;
    }
  }
  await renderer?.close();
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  const view = live?.inkView as { draws?: number; drawMs?: number } | undefined;
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, draws: view?.draws ?? 0, drawMs: view?.drawMs ?? 0, bytes: term.bytes() };
}

async function main() {
  const runs = arg('runs', 3);
  const trainMs = arg('train-ms', 30000);
  const events = defaultPipelineTimeline({ trainMs, progressEveryMs: 50 });
  const progress = events.filter((e) => e.type === 'node-progress').length;
  console.log(`event stream: ${events.length} events (${progress} progress), ${((events.at(-1)!.time - T0) / 1000).toFixed(1)} s, 2 trainings x 50 ms progress`);

  // warm up: load Ink and React, JIT the frame builder
  await play('ink', defaultPipelineTimeline({ trainMs: 500 }));
  await play('plain', defaultPipelineTimeline({ trainMs: 500 }));

  // plain costs next to nothing: one run; Ink against a no-renderer baseline, interleaved
  const res: Record<Kind, Result[]> = { none: [], plain: [], ink: [] };
  for (let r = 0; r < runs; r++) {
    for (const kind of r === 0 ? (['none', 'plain', 'ink'] as const) : (['none', 'ink'] as const)) res[kind].push(await play(kind, events));
  }
  const pct = (k: Kind) => res[k].map((x, i) => (100 * (x.cpuMs - res.none[i].cpuMs)) / x.wallMs);
  for (const k of ['none', 'plain', 'ink'] as const) {
    const rs = res[k];
    const line = [
      `${k.padEnd(5)} wall ${median(rs.map((x) => x.wallMs)).toFixed(0)} ms`,
      `cpu ${median(rs.map((x) => x.cpuMs)).toFixed(0)} ms`,
      k === 'none' ? '' : `renderer ${median(pct(k)).toFixed(2)}% of a core (runs: ${pct(k).map((p) => p.toFixed(2)).join(', ')})`,
      k === 'ink' ? `draws ${median(rs.map((x) => (1000 * x.draws) / x.wallMs)).toFixed(1)}/s, ${median(rs.map((x) => x.drawMs / Math.max(1, x.draws))).toFixed(2)} ms/draw in rerender, ${median(rs.map((x) => (100 * x.drawMs) / x.wallMs)).toFixed(2)}% of a core in rerender` : '',
      k === 'none' ? '' : `${(median(rs.map((x) => x.bytes)) / 1024).toFixed(0)} KiB written`,
    ].filter(Boolean);
    console.log(line.join(' · '));
  }

  // the frame builder alone, per call, on a mid-run state
  const state = new RunState();
  const mid = T0 + 0.6 * (events.at(-1)!.time - T0);
  for (const e of events) if (e.time <= mid) state.apply(e);
  const n = 2000;
  const t = performance.now();
  for (let i = 0; i < n; i++) buildFrame(state, { now: mid + i, columns: 120, rows: 40, backend: 'wasm' });
  console.log(`buildFrame: ${((1000 * (performance.now() - t)) / n).toFixed(1)} µs per frame (10 nodes, 2 running)`);
  console.log('(2 shared cores, other work running: CPU figures are noisy)');
}

await main();
