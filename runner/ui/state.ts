// The view model every renderer shares: what each node is doing, built only from RunEvents.
// A small mutable class rather than an immutable reducer: progress events arrive every
// few tens of milliseconds and the Ink layer snapshots it at most ten times a second, so
// copying the whole model per event would be work nobody looks at. `version` changes on
// every applied event, which is all a renderer needs to know whether to redraw.

import type {
  NodeFailure,
  RunEvent,
  RunNodeInfo,
  RunSummary,
  RunVariantInfo,
} from '../events.js';

export type NodeViewStatus = 'waiting' | 'queued' | 'running' | 'cached' | 'done' | 'failed' | 'skipped';

export const TERMINAL_STATUSES: ReadonlySet<NodeViewStatus> = new Set(['cached', 'done', 'failed', 'skipped']);

export function isTerminal(s: NodeViewStatus): boolean {
  return TERMINAL_STATUSES.has(s);
}

export interface LogLine {
  time: number;
  level: 'info' | 'warn' | 'error';
  message: string;
}

export interface ProgressView {
  done: number;
  total: number;
  label?: string;
  /** time of the latest progress event */
  time: number;
  /** the first progress sample after the node started: the rate is measured from here */
  firstTime: number;
  firstDone: number;
}

export interface NodeView {
  readonly info: RunNodeInfo;
  /** position in `RunState.order` */
  index: number;
  /** longest chain of dependencies above it (roots are 0) */
  depth: number;
  status: NodeViewStatus;
  queuedAt?: number;
  startedAt?: number;
  endedAt?: number;
  durationMs?: number;
  worker?: string;
  progress?: ProgressView;
  /** the last `logLimit` log lines (oldest first) */
  logs: LogLine[];
  failure?: NodeFailure;
  /** the runner's tail of the failing node's output, else our own log ring */
  failureLog?: string[];
  skipReason?: string;
  finishInfo?: Record<string, string | number | boolean>;
}

export interface RunHeader {
  pipeline: string;
  specFile: string;
  jobs: number;
  cacheDir: string;
  outDir: string;
  executor: string;
  startTime: number;
}

export interface StatusCounts {
  waiting: number;
  queued: number;
  running: number;
  cached: number;
  /** executed successfully */
  done: number;
  failed: number;
  skipped: number;
  total: number;
}

export interface Eta {
  ms: number;
  /** some remaining node has no estimate yet, so the real figure is at least this */
  lowerBound: boolean;
}

export interface RunStateOptions {
  /** log lines kept per node (ring buffer) */
  logLimit?: number;
  /** run-level warnings kept */
  warningLimit?: number;
}

export class RunState {
  header?: RunHeader;
  /** every node execution by key */
  readonly nodes = new Map<string, NodeView>();
  /** keys in display order: topological, depth-first so chains stay together */
  order: string[] = [];
  variants: RunVariantInfo[] = [];
  warnings: LogLine[] = [];
  summary?: RunSummary;
  endTime?: number;
  /** bumped on every applied event */
  version = 0;
  /** names that more than one execution carries (a sweep's per-variant nodes) */
  private repeatedNames = new Set<string>();
  private readonly logLimit: number;
  private readonly warningLimit: number;

  constructor(opts: RunStateOptions = {}) {
    this.logLimit = opts.logLimit ?? 20;
    this.warningLimit = opts.warningLimit ?? 5;
  }

  get finished(): boolean {
    return this.summary !== undefined;
  }

  /** Nodes in display order. */
  ordered(): NodeView[] {
    const out: NodeView[] = [];
    for (const k of this.order) {
      const n = this.nodes.get(k);
      if (n) out.push(n);
    }
    return out;
  }

  apply(e: RunEvent): this {
    this.version++;
    if (e.type === 'run-started') {
      this.start(e);
      return this;
    }
    if (e.type === 'warning') {
      pushRing(this.warnings, { time: e.time, level: 'warn', message: e.message }, this.warningLimit);
      return this;
    }
    if (e.type === 'run-finished') {
      this.finish(e.summary, e.time);
      return this;
    }
    const n = this.nodes.get(e.key);
    if (!n) return this; // an event for a node the run never announced: nothing to show it in
    switch (e.type) {
      case 'node-queued':
        if (!isTerminal(n.status) && n.status !== 'running') {
          n.status = 'queued';
          n.queuedAt = e.time;
        }
        break;
      case 'node-started':
        n.status = 'running';
        n.startedAt = e.time;
        n.worker = e.worker;
        n.progress = undefined;
        break;
      case 'node-progress': {
        const p = n.progress;
        if (p) {
          p.done = e.done;
          p.total = e.total;
          p.label = e.label;
          p.time = e.time;
        } else {
          n.progress = { done: e.done, total: e.total, label: e.label, time: e.time, firstTime: e.time, firstDone: e.done };
        }
        break;
      }
      case 'node-log':
        pushRing(n.logs, { time: e.time, level: e.level, message: e.message }, this.logLimit);
        break;
      case 'node-cached':
        n.status = 'cached';
        n.endedAt = e.time;
        break;
      case 'node-finished':
        n.status = 'done';
        n.endedAt = e.time;
        n.durationMs = e.durationMs;
        n.finishInfo = e.info;
        break;
      case 'node-failed':
        n.status = 'failed';
        n.endedAt = e.time;
        n.durationMs = e.durationMs;
        n.failure = e.failure;
        n.failureLog = e.logTail.length > 0 ? e.logTail : n.logs.map((l) => l.message);
        break;
      case 'node-skipped':
        n.status = 'skipped';
        n.endedAt = e.time;
        n.skipReason = e.reason;
        break;
    }
    return this;
  }

  private start(e: Extract<RunEvent, { type: 'run-started' }>): void {
    this.header = {
      pipeline: e.pipeline,
      specFile: e.specFile,
      jobs: e.jobs,
      cacheDir: e.cacheDir,
      outDir: e.outDir,
      executor: e.executor,
      startTime: e.time,
    };
    this.variants = e.variants;
    this.nodes.clear();
    const { order, depth } = topoOrder(e.nodes);
    this.order = order;
    const byKey = new Map(e.nodes.map((n) => [n.key, n]));
    const seen = new Set<string>();
    this.repeatedNames.clear();
    for (const n of e.nodes) {
      if (seen.has(n.name)) this.repeatedNames.add(n.name);
      seen.add(n.name);
    }
    order.forEach((key, index) => {
      const info = byKey.get(key)!;
      this.nodes.set(key, {
        info,
        index,
        depth: depth.get(key) ?? 0,
        // nothing to wait for means it is ready: the runner will queue it at once
        status: info.deps.some((d) => byKey.has(d)) ? 'waiting' : 'queued',
        logs: [],
      });
    });
  }

  private finish(summary: RunSummary, time: number): void {
    this.summary = summary;
    this.endTime = time;
    const byKey = new Map(summary.nodes.map((n) => [n.key, n]));
    for (const n of this.nodes.values()) {
      const s = byKey.get(n.info.key);
      if (isTerminal(n.status)) continue;
      // the summary is the last word on nodes whose final event we never saw
      if (s?.status === 'executed') n.status = 'done';
      else if (s?.status === 'cached') n.status = 'cached';
      else if (s?.status === 'failed') {
        n.status = 'failed';
        n.failure = s.failure;
        n.failureLog ??= n.logs.map((l) => l.message);
      } else {
        n.status = 'skipped';
        n.skipReason ??= summary.status === 'interrupted' ? 'interrupted' : 'not run';
      }
      if (s) n.durationMs ??= s.durationMs;
      n.endedAt ??= time;
    }
  }

  /**
   * The node's name, qualified by the variants it serves when the name alone is
   * ambiguous (a sweep runs `train-soft` once per variant): `train-soft[lr=0.01]`.
   */
  displayName(n: NodeView): string {
    if (!this.repeatedNames.has(n.info.name)) return n.info.name;
    const v = n.info.variants;
    return `${n.info.name}[${v.length <= 2 ? v.join(',') : `${v[0]},+${v.length - 1}`}]`;
  }

  /** Whether the run is a sweep and this execution serves every variant. */
  isShared(n: NodeView): boolean {
    if (this.variants.length <= 1) return true;
    const mine = new Set(n.info.variants);
    return this.variants.every((v) => mine.has(v.id));
  }

  counts(): StatusCounts {
    const c: StatusCounts = { waiting: 0, queued: 0, running: 0, cached: 0, done: 0, failed: 0, skipped: 0, total: 0 };
    for (const n of this.nodes.values()) {
      c[n.status]++;
      c.total++;
    }
    return c;
  }

  /** Deps of a node that have not yet produced their output. */
  pendingDeps(n: NodeView): NodeView[] {
    const out: NodeView[] = [];
    for (const d of n.info.deps) {
      const dn = this.nodes.get(d);
      if (dn && dn.status !== 'done' && dn.status !== 'cached') out.push(dn);
    }
    return out;
  }

  /** Time a node has been running, or took. */
  elapsed(n: NodeView, now: number): number | undefined {
    if (n.durationMs !== undefined) return n.durationMs;
    if (n.startedAt === undefined) return undefined;
    return Math.max(0, (n.endedAt ?? now) - n.startedAt);
  }

  /**
   * Remaining time of a running node from its own progress: the average rate since its
   * first progress sample (which leaves out set-up such as loading a backend), minus the
   * time already spent since the latest sample. Undefined until two distinct samples.
   */
  nodeEta(n: NodeView, now: number): number | undefined {
    const p = n.progress;
    if (n.status !== 'running' || !p || !(p.total > 0)) return undefined;
    if (p.done >= p.total) return 0;
    let rate: number | undefined; // units per ms
    if (p.time > p.firstTime && p.done > p.firstDone) rate = (p.done - p.firstDone) / (p.time - p.firstTime);
    else if (n.startedAt !== undefined && p.time > n.startedAt && p.done > 0) rate = p.done / (p.time - n.startedAt);
    if (!rate) return undefined;
    return Math.max(0, (p.total - p.done) / rate - Math.max(0, now - p.time));
  }

  /**
   * The run's remaining time. Each unfinished node gets an estimate: its own progress
   * rate when running; otherwise the mean duration of nodes of the same type in this run
   * (finished ones, and running ones' elapsed + ETA), which makes sweeps predictable
   * after the first variant; zero when the cache already holds it. The run then needs at
   * least the longest remaining dependency chain and at least the remaining work spread
   * over the workers: the larger of the two is the estimate. Nodes with no estimate yet
   * are left out and the figure is flagged as a lower bound.
   */
  eta(now: number): Eta | undefined {
    if (this.finished) return { ms: 0, lowerBound: false };
    if (!this.header) return undefined;
    const typical = this.typicalDurations(now);
    const est = new Map<string, number | undefined>();
    let unknown = false;
    let work = 0;
    let remaining = 0;
    for (const n of this.nodes.values()) {
      if (isTerminal(n.status)) continue;
      remaining++;
      let e: number | undefined;
      if (n.status === 'running') {
        e = this.nodeEta(n, now);
        if (e === undefined) {
          const t = typical.get(n.info.type);
          if (t !== undefined) e = Math.max(0, t - (this.elapsed(n, now) ?? 0));
        }
      } else if (n.info.cached) e = 0;
      else e = typical.get(n.info.type);
      if (e === undefined) unknown = true;
      else work += e;
      est.set(n.info.key, e);
    }
    if (remaining === 0) return { ms: 0, lowerBound: false };
    // longest remaining chain, in display order (which is topological)
    const finish = new Map<string, number>();
    let chain = 0;
    for (const key of this.order) {
      if (!est.has(key)) continue;
      const n = this.nodes.get(key)!;
      let start = 0;
      for (const d of n.info.deps) start = Math.max(start, finish.get(d) ?? 0);
      const f = start + (est.get(key) ?? 0);
      finish.set(key, f);
      chain = Math.max(chain, f);
    }
    const ms = Math.max(chain, work / Math.max(1, this.header.jobs));
    if (unknown && ms === 0) return undefined;
    return { ms, lowerBound: unknown };
  }

  private typicalDurations(now: number): Map<string, number> {
    const sums = new Map<string, { sum: number; n: number }>();
    const add = (type: string, ms: number) => {
      const s = sums.get(type) ?? { sum: 0, n: 0 };
      s.sum += ms;
      s.n++;
      sums.set(type, s);
    };
    for (const n of this.nodes.values()) {
      if (n.status === 'done' && n.durationMs !== undefined) add(n.info.type, n.durationMs);
      else if (n.status === 'running') {
        const eta = this.nodeEta(n, now);
        if (eta !== undefined) add(n.info.type, (this.elapsed(n, now) ?? 0) + eta);
      }
    }
    const out = new Map<string, number>();
    for (const [type, s] of sums) out.set(type, s.sum / s.n);
    return out;
  }
}

function pushRing<T>(ring: T[], item: T, limit: number): void {
  ring.push(item);
  if (ring.length > limit) ring.splice(0, ring.length - limit);
}

/**
 * Topological order that reads like a tree: after a node, the nodes it just made ready
 * come next (depth-first), ties broken by the order the run listed them. Depth is the
 * longest chain of dependencies above a node. Unknown deps are ignored; nodes caught in
 * a cycle (which the runner rejects anyway) are appended in listed order.
 */
export function topoOrder(nodes: readonly RunNodeInfo[]): { order: string[]; depth: Map<string, number> } {
  const index = new Map(nodes.map((n, i) => [n.key, i]));
  const missing = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const n of nodes) {
    const deps = [...new Set(n.deps.filter((d) => index.has(d) && d !== n.key))];
    missing.set(n.key, deps.length);
    for (const d of deps) {
      const c = children.get(d) ?? [];
      c.push(n.key);
      children.set(d, c);
    }
  }
  const byListed = (a: string, b: string) => index.get(a)! - index.get(b)!;
  // a stack: push in reverse so the earliest-listed pops first
  const stack = nodes.filter((n) => missing.get(n.key) === 0).map((n) => n.key).reverse();
  const order: string[] = [];
  const placed = new Set<string>();
  while (stack.length > 0) {
    const key = stack.pop()!;
    order.push(key);
    placed.add(key);
    const ready: string[] = [];
    for (const c of children.get(key) ?? []) {
      const m = missing.get(c)! - 1;
      missing.set(c, m);
      if (m === 0) ready.push(c);
    }
    ready.sort(byListed).reverse();
    stack.push(...ready);
  }
  for (const n of nodes) if (!placed.has(n.key)) order.push(n.key);
  const depth = new Map<string, number>();
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  for (const key of order) {
    let d = 0;
    for (const dep of byKey.get(key)!.deps) {
      const dd = depth.get(dep);
      if (dd !== undefined && dep !== key) d = Math.max(d, dd + 1);
    }
    depth.set(key, d);
  }
  return { order, depth };
}
