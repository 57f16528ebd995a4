// Realistic RunEvent streams for the UI benchmark and the UI tests: the default pipeline
// (10 nodes, two long trainings that report progress every 50 ms) and a sweep. Events
// only; nothing here runs a node.

import type { RunEvent, RunNodeInfo, RunSummary, RunVariantInfo } from '../runner/events.js';

export const T0 = Date.UTC(2025, 0, 15, 12, 3, 4);

/** The default pipeline's shape: load, crowd, filter, aggregate, agreement, two trainings, compare, samples. */
export function defaultPipelineNodes(cached: string[] = []): RunNodeInfo[] {
  const n = (key: string, name: string, type: string, deps: string[]): RunNodeInfo => ({
    key,
    name,
    type,
    deps,
    variants: ['default'],
    cached: cached.includes(name),
  });
  return [
    n('k-cafe', 'cafe', 'load-cafe', []),
    n('k-crowd', 'crowd', 'crowd-collect', ['k-cafe']),
    n('k-filter', 'filtered', 'filter', ['k-crowd']),
    n('k-crowd-labels', 'crowd-labels', 'aggregate', ['k-filter']),
    n('k-lab-labels', 'lab-labels', 'aggregate', ['k-cafe']),
    n('k-agreement', 'agreement', 'agreement', ['k-crowd-labels', 'k-lab-labels']),
    n('k-onehot', 'onehot', 'train-onehot', ['k-cafe', 'k-lab-labels']),
    n('k-soft', 'soft', 'train-soft', ['k-cafe', 'k-lab-labels']),
    n('k-compare', 'compare', 'compare', ['k-onehot', 'k-soft']),
    n('k-samples', 'samples', 'render-samples', ['k-cafe']),
  ];
}

export function runStarted(nodes: RunNodeInfo[], variants: RunVariantInfo[] = [{ id: 'default', params: {} }], time = T0, jobs = 2): RunEvent {
  return {
    type: 'run-started',
    time,
    pipeline: variants.length > 1 ? 'cafe-sweep' : 'cafe-soft-labels',
    specFile: 'pipelines/cafe-soft-labels.yaml',
    nodes,
    variants,
    jobs,
    cacheDir: '.softlab/cache',
    outDir: 'runs/2025-01-15-120304',
    executor: 'piscina',
  };
}

export function summaryOf(events: RunEvent[], status: RunSummary['status'], time: number): RunSummary {
  const start = events.find((e) => e.type === 'run-started');
  if (!start || start.type !== 'run-started') throw new Error('no run-started event');
  const done = new Map<string, RunSummary['nodes'][number]>();
  for (const e of events) {
    if (e.type === 'node-finished' || e.type === 'node-cached' || e.type === 'node-failed' || e.type === 'node-skipped') {
      const info = start.nodes.find((n) => n.key === e.key)!;
      done.set(e.key, {
        name: info.name,
        type: info.type,
        key: e.key,
        variants: info.variants,
        status: e.type === 'node-finished' ? 'executed' : e.type === 'node-cached' ? 'cached' : e.type === 'node-failed' ? 'failed' : 'skipped',
        durationMs: 'durationMs' in e ? e.durationMs : 0,
        ...(e.type === 'node-failed' ? { failure: e.failure } : {}),
      });
    }
  }
  const nodes = [...done.values()];
  const count = (s: string) => nodes.filter((n) => n.status === s).length;
  return {
    pipeline: start.pipeline,
    specFile: start.specFile,
    status,
    startedAt: new Date(start.time).toISOString(),
    durationMs: time - start.time,
    counts: { executed: count('executed'), cached: count('cached'), failed: count('failed'), skipped: count('skipped') },
    nodes,
    variants: start.variants.map((v) => ({ ...v, status })),
    cacheDir: start.cacheDir,
    outDir: start.outDir,
    softlabVersion: '0.1.0',
  };
}

export interface TimelineOptions {
  t0?: number;
  /** how long each training runs */
  trainMs?: number;
  epochs?: number;
  progressEveryMs?: number;
  /** make `soft` fail half-way (out of memory) and skip `compare` */
  failSoft?: boolean;
}

/**
 * The default pipeline from nothing cached to the end, as a real run would emit it with
 * two workers: short data nodes first, then the two trainings side by side.
 */
export function defaultPipelineTimeline(o: TimelineOptions = {}): RunEvent[] {
  const t0 = o.t0 ?? T0;
  const trainMs = o.trainMs ?? 8000;
  const epochs = o.epochs ?? 12;
  const every = o.progressEveryMs ?? 50;
  const ev: RunEvent[] = [runStarted(defaultPipelineNodes(), undefined, t0)];
  let t = t0 + 5;
  const quick = (key: string, ms: number, progress?: { total: number; unit: string }) => {
    ev.push({ type: 'node-queued', time: t, key }, { type: 'node-started', time: t + 1, key, worker: 'w1' });
    if (progress) {
      const steps = Math.max(1, Math.floor(ms / 100));
      for (let i = 1; i <= steps; i++) {
        const done = Math.round((progress.total * i) / steps);
        ev.push({ type: 'node-progress', time: t + 1 + (ms * i) / steps, key, done, total: progress.total, label: `${done}/${progress.total} ${progress.unit}` });
      }
    }
    ev.push({ type: 'node-log', time: t + ms / 2, key, level: 'info', message: `${key} working` });
    t += ms + 2;
    ev.push({ type: 'node-finished', time: t, key, durationMs: ms });
  };
  quick('k-cafe', 400, { total: 1192, unit: 'images' });
  quick('k-crowd', 600, { total: 207, unit: 'images' });
  quick('k-lab-labels', 150);
  quick('k-filter', 200);
  quick('k-crowd-labels', 150);
  quick('k-agreement', 300);
  // the two trainings run side by side, each reporting every `every` ms
  const trainStart = t;
  for (const key of ['k-onehot', 'k-soft']) {
    ev.push({ type: 'node-queued', time: trainStart, key }, { type: 'node-started', time: trainStart + 1, key, worker: key === 'k-onehot' ? 'w1' : 'w2' });
  }
  const steps = Math.floor(trainMs / every);
  const failAt = o.failSoft ? Math.floor(steps / 2) : Infinity;
  for (let i = 1; i <= steps; i++) {
    const time = trainStart + 1 + i * every;
    for (const key of ['k-onehot', 'k-soft']) {
      if (key === 'k-soft' && i > failAt) continue;
      const frac = i / steps;
      const epoch = Math.min(epochs, Math.floor(frac * epochs) + 1);
      const loss = (1.9 * Math.exp(-2 * frac) + 0.1).toFixed(2);
      const acc = (0.2 + 0.6 * frac).toFixed(2);
      ev.push({
        type: 'node-progress',
        time,
        key,
        done: i,
        total: steps,
        label: `epoch ${epoch}/${epochs} · loss ${loss} · acc ${acc} · ${50 + (i % 17)} img/s`,
      });
      if (i % Math.max(1, Math.floor(1000 / every)) === 0) {
        ev.push({ type: 'node-log', time, key, level: 'info', message: `epoch ${epoch}: loss ${loss} acc ${acc}` });
      }
      if (key === 'k-soft' && i === failAt) {
        ev.push({
          type: 'node-failed',
          time: time + 1,
          key,
          durationMs: time + 1 - trainStart,
          failure: { kind: 'out-of-memory', message: 'the worker ran out of memory (heap limit 2048 MB)' },
          logTail: [`epoch ${epoch}: loss ${loss} acc ${acc}`, 'allocating 512 MB tensor for batch 64'],
        });
      }
    }
  }
  t = trainStart + 1 + steps * every + 1;
  ev.push({ type: 'node-finished', time: t, key: 'k-onehot', durationMs: t - trainStart, info: { backend: 'wasm', acc: 0.7912 } });
  if (o.failSoft) {
    ev.push({ type: 'node-skipped', time: t + 1, key: 'k-compare', reason: 'input soft failed' });
    ev.push({ type: 'node-skipped', time: t + 1, key: 'k-samples', reason: 'run failed' });
    t += 2;
  } else {
    ev.push({ type: 'node-finished', time: t, key: 'k-soft', durationMs: t - trainStart, info: { backend: 'wasm', acc: 0.7311 } });
    t += 1;
    quick('k-compare', 300);
    quick('k-samples', 500, { total: 64, unit: 'images' });
  }
  ev.sort((a, b) => a.time - b.time);
  ev.push({ type: 'run-finished', time: t + 5, summary: summaryOf(ev, o.failSoft ? 'failed' : 'ok', t + 5) });
  return ev;
}

/** A sweep over `n` learning rates: data nodes and the one-hot model shared, soft model and compare per variant. */
export function sweepStart(n: number, t0 = T0): RunEvent {
  const variants: RunVariantInfo[] = Array.from({ length: n }, (_, i) => ({ id: `v${String(i + 1).padStart(2, '0')}`, params: { 'soft.lr': Number((0.0005 * (i + 1)).toFixed(4)) } }));
  const all = variants.map((v) => v.id);
  const nodes: RunNodeInfo[] = [
    { key: 'k-cafe', name: 'cafe', type: 'load-cafe', deps: [], variants: all, cached: true },
    { key: 'k-lab', name: 'lab-labels', type: 'aggregate', deps: ['k-cafe'], variants: all, cached: true },
    { key: 'k-onehot', name: 'onehot', type: 'train-onehot', deps: ['k-cafe', 'k-lab'], variants: all, cached: false },
  ];
  for (const v of variants) {
    nodes.push({ key: `k-soft-${v.id}`, name: 'soft', type: 'train-soft', deps: ['k-cafe', 'k-lab'], variants: [v.id], cached: false });
    nodes.push({ key: `k-compare-${v.id}`, name: 'compare', type: 'compare', deps: ['k-onehot', `k-soft-${v.id}`], variants: [v.id], cached: false });
  }
  return runStarted(nodes, variants, t0, 4);
}
