// The scheduler: walks a plan's DAG, takes results from the cache where it can,
// hands ready nodes to executors within the worker slots, and reports everything
// as events. It knows nothing about how a node runs (executor.ts) or how the run
// is shown (renderers consume the events).
//
// A node's life: pending -> (deps done) -> locking -> (lock held, still a miss)
// -> runnable -> (slots free) -> running -> executed | failed. Cached nodes skip
// straight to cached; dependents of a failed node are skipped.

import { isNoSpace } from '../../cache/fs-atomic.js';
import { waitLock, type HeldLock } from '../../cache/lock.js';
import { REPORT_PORT, type CacheEntry, type CacheStore } from '../../cache/store.js';
import { cacheInput, CorruptInputError } from '../execute/cache-input.js';
import type { Executor } from '../execute/executor.js';
import type { NodeTask } from '../execute/task.js';
import type { NodeFailure, NodeStatus, RunEvent, RunNodeInfo, RunSummary, RunSummaryNode } from '../events.js';
import type { Plan, PlanNode } from '../plan/build.js';
import { SOFTLAB_VERSION } from '../version.js';

const STATES = ['pending', 'locking', 'runnable', 'running', 'executed', 'cached', 'failed', 'skipped'] as const;
type State = (typeof STATES)[number];

interface NodeRun {
  node: PlanNode;
  state: State;
  lock?: HeldLock;
  entry?: CacheEntry;
  startedAt?: number;
  /** when this run last executed it (a corrupt-input retry must not drop a fresh entry) */
  finishedAt?: number;
  durationMs: number;
  failure?: NodeFailure;
  executor?: string;
  jobId?: string;
  retries: number;
  lockingSince?: number;
  cancel?: (force?: boolean) => void;
}

export interface SchedulerOptions {
  plan: Plan;
  store: CacheStore;
  /** executors by name (`local`, `slurm`); each plan node names the one it uses */
  executors: Record<string, Executor>;
  /** node names to run with their upstream (`--only`); empty: all */
  only?: string[];
  /** node names to re-execute with everything downstream (`--force`) */
  force?: string[];
  outDir: string;
  emit(e: RunEvent): void;
  /** aborts the run (Ctrl-C); running nodes are cancelled, the cache stays consistent */
  signal: AbortSignal;
  /** a second abort: stop running nodes now */
  forceSignal?: AbortSignal;
  /**
   * Checks a cache hit further before it is used (run-plan digest-checks the
   * files it will copy into the results folder). Returns what is wrong with it:
   * the node is then recomputed, with a warning.
   */
  verifyHit?(node: PlanNode, entry: CacheEntry): Promise<string | undefined>;
  /** A node is done and its entry usable (executed or cached), so its results can be copied out while the run goes on. */
  onNodeDone?(key: string, entry: CacheEntry): void;
}

export interface SchedulerResult {
  summary: RunSummary;
  /** the entries of every node that is done (executed or cached), by key */
  entries: Map<string, CacheEntry>;
  /** plan nodes that took part in the run (after --only) */
  selected: PlanNode[];
}

const MAX_CORRUPT_RETRIES = 2;

/** Nodes selected by --only (with their upstream), in plan order. */
export function selectNodes(plan: Plan, only: string[] = []): PlanNode[] {
  if (!only.length) return plan.nodes;
  const want = new Set<string>();
  const visit = (key: string): void => {
    if (want.has(key)) return;
    want.add(key);
    for (const d of plan.byKey.get(key)!.deps) visit(d);
  };
  for (const v of plan.variants) for (const name of only) { const k = v.nodes.get(name); if (k) visit(k); }
  return plan.nodes.filter((n) => want.has(n.key));
}

/** Keys forced by --force: the named nodes and everything downstream of them. */
export function forcedKeys(nodes: PlanNode[], plan: Plan, force: string[] = []): Set<string> {
  const forced = new Set<string>();
  for (const v of plan.variants) for (const name of force) { const k = v.nodes.get(name); if (k) forced.add(k); }
  for (const n of nodes) if (n.deps.some((d) => forced.has(d))) forced.add(n.key);
  return forced;
}

export async function runScheduler(opts: SchedulerOptions): Promise<SchedulerResult> {
  const { plan, store, emit } = opts;
  const now = (): number => Date.now();
  /** A lookup whose hit also passed `verifyHit`; an unusable entry is announced (it will be recomputed). */
  const usableHit = async (n: PlanNode): Promise<{ hit: true; entry: CacheEntry } | { hit: false }> => {
    const r = await store.lookup(n.key);
    const problem = r.hit ? await opts.verifyHit?.(n, r.entry) : r.miss.kind === 'absent' ? undefined : r.miss.message;
    if (r.hit && !problem) return r;
    if (problem) emit({ type: 'warning', time: now(), key: n.key, message: `cache entry of node "${n.name}" is unusable (${problem}); recomputing it` });
    return { hit: false };
  };
  const startedAt = now();
  const selected = selectNodes(plan, opts.only);
  const forced = forcedKeys(selected, plan, opts.force);
  const dependents = new Map<string, string[]>(selected.map((n) => [n.key, []]));
  for (const n of selected) for (const d of n.deps) dependents.get(d)?.push(n.key);
  // Which nodes are in which state, kept up to date by each run's `state` setter, and
  // which pending nodes may have become ready: a wake of the loop looks at those, not
  // at every node (a 1000-node chain would otherwise scan the whole DAG a few thousand times).
  const inState = new Map<State, Set<NodeRun>>(STATES.map((s) => [s, new Set<NodeRun>()]));
  const maybeReady = new Set<NodeRun>();
  const runs = new Map<string, NodeRun>();
  for (const n of selected) {
    let state: State = 'pending';
    const run: NodeRun = {
      node: n,
      durationMs: 0,
      retries: 0,
      get state() {
        return state;
      },
      set state(s: State) {
        inState.get(state)!.delete(run);
        inState.get(s)!.add(run);
        state = s;
        if (s === 'pending') maybeReady.add(run);
        if (s === 'executed' || s === 'cached') for (const k of dependents.get(n.key) ?? []) maybeReady.add(runs.get(k)!);
      },
    };
    inState.get('pending')!.add(run);
    maybeReady.add(run);
    runs.set(n.key, run);
  }
  const priority = upwardRanks(selected, dependents);
  const planOrder = new Map<NodeRun, number>([...runs.values()].map((r, i) => [r, i]));

  // what the cache already holds (stat-level checks; objects are digest-checked when read)
  await Promise.all(
    selected.map(async (n) => {
      if (forced.has(n.key)) return;
      const r = await usableHit(n);
      const run = runs.get(n.key)!;
      if (r.hit) {
        run.entry = r.entry;
        run.state = 'cached';
      }
    }),
  );

  // a cached node whose objects proved corrupt when its outputs were restored
  const recomputeCorrupt = async (run: NodeRun, problem: string): Promise<void> => {
    emit({ type: 'warning', time: now(), key: run.node.key, message: `cache entry of node "${run.node.name}" is unusable (${problem}); recomputing it` });
    await store.dropEntry(run.node.key);
    run.entry = undefined;
    run.state = 'pending';
    forced.add(run.node.key);
  };

  const slots = Math.max(...Object.values(opts.executors).map((e) => e.capabilities.slots), 1);
  const nodesInfo: RunNodeInfo[] = selected.map((n) => ({
    key: n.key,
    name: n.name,
    type: n.type,
    deps: n.deps.filter((d) => runs.has(d)),
    variants: n.variants,
    cached: runs.get(n.key)!.state === 'cached',
  }));
  emit({
    type: 'run-started',
    time: startedAt,
    pipeline: plan.pipeline,
    specFile: plan.specFile,
    nodes: nodesInfo,
    variants: plan.variants.map((v) => ({ id: v.id, params: v.params })),
    jobs: slots,
    cacheDir: store.root,
    outDir: opts.outDir,
    executor: [...new Set(selected.map((n) => n.executor))].join('+') || 'local',
  });
  for (const n of selected) {
    const run = runs.get(n.key)!;
    if (run.state === 'cached') {
      emit({ type: 'node-cached', time: now(), key: n.key });
      const corrupt = await restoreOutputs(run, opts);
      if (corrupt) await recomputeCorrupt(run, corrupt);
      else opts.onNodeDone?.(n.key, run.entry!);
    }
  }

  /** entry writes in flight, each releasing its node's lock when done */
  const persisting = new Set<Promise<void>>();
  let freeSlots = slots;
  let running = 0;
  let exclusiveRunning = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const aborted = (): boolean => opts.signal.aborted;
  opts.signal.addEventListener('abort', () => {
    for (const r of runs.values()) if (r.state === 'running') r.cancel?.(false);
    notify();
  });
  opts.forceSignal?.addEventListener('abort', () => {
    for (const r of runs.values()) if (r.state === 'running') r.cancel?.(true);
    notify();
  });

  const depsDone = (n: PlanNode): boolean => n.deps.every((d) => {
    const s = runs.get(d)?.state;
    return s === undefined || s === 'executed' || s === 'cached';
  });

  const skipDownstream = (key: string, reason: string): void => {
    for (const dk of dependents.get(key) ?? []) {
      const d = runs.get(dk)!;
      if (d.state === 'pending') {
        d.state = 'skipped';
        emit({ type: 'node-skipped', time: now(), key: dk, reason });
        skipDownstream(dk, reason);
      }
    }
  };

  const lockAndCheck = async (run: NodeRun): Promise<void> => {
    run.state = 'locking';
    run.lockingSince = now();
    const lock = await waitLock(store.lockPath(run.node.key), opts.signal);
    if (!lock) {
      run.state = 'pending';
      notify();
      return;
    }
    // another run may have finished this key while we waited for the lock (a cheap
    // existence check first: usually nobody has, and a full lookup reads the entry)
    if (!forced.has(run.node.key) && store.hasEntrySync(run.node.key)) {
      const r = await usableHit(run.node);
      if (r.hit) {
        await lock.release();
        run.entry = r.entry;
        run.state = 'cached';
        emit({ type: 'node-cached', time: now(), key: run.node.key });
        const corrupt = await restoreOutputs(run, opts);
        if (corrupt) await recomputeCorrupt(run, corrupt);
        else opts.onNodeDone?.(run.node.key, r.entry);
        notify();
        return;
      }
    }
    run.lock = lock;
    run.state = 'runnable';
    emit({ type: 'node-queued', time: now(), key: run.node.key });
    notify();
  };

  // the cache itself failed around a node (a full disk while taking its lock or reading its entry)
  const cacheFailure = async (run: NodeRun, e: unknown): Promise<void> => {
    await run.lock?.release().catch(() => undefined);
    run.lock = undefined;
    run.state = 'failed';
    run.failure = {
      kind: 'cache',
      message: isNoSpace(e)
        ? `no space left on the device of cache directory ${store.root}: free some space (or run "softlab gc") and rerun`
        : `cache directory ${store.root}: ${(e as Error)?.message ?? String(e)}`,
    };
    emit({ type: 'node-failed', time: now(), key: run.node.key, durationMs: 0, failure: run.failure, logTail: [] });
    skipDownstream(run.node.key, `upstream node "${run.node.name}" failed`);
    notify();
  };

  const start = (run: NodeRun): void => {
    const n = run.node;
    const executor = opts.executors[n.executor] ?? opts.executors.local;
    const need = n.resources.exclusive ? slots : Math.min(n.resources.threads, slots);
    freeSlots -= need;
    running++;
    if (n.resources.exclusive) exclusiveRunning = true;
    run.state = 'running';
    run.startedAt = now();
    emit({ type: 'node-started', time: run.startedAt, key: n.key, worker: executor.name });
    const task = toTask(n, store.root, opts.plan.specDir, (key) => runs.get(key)?.entry);
    const exec = executor.submit(task, {
      timeoutMs: n.timeoutMs,
      onMessage(m) {
        if (m.type === 'progress') emit({ type: 'node-progress', time: now(), key: n.key, done: m.done, total: m.total, label: m.label });
        else emit({ type: 'node-log', time: now(), key: n.key, level: m.level, message: m.message });
      },
    });
    run.cancel = exec.cancel;
    if (aborted()) exec.cancel(false);
    void exec.result.then(async (r) => {
      freeSlots += need;
      running--;
      if (n.resources.exclusive) exclusiveRunning = false;
      run.durationMs = now() - run.startedAt!;
      run.executor = r.executor;
      run.jobId = r.jobId;
      run.cancel = undefined;
      const lock = run.lock;
      run.lock = undefined;
      if (r.ok && r.persisted) {
        // the entry is still being written: dependents start now, and the lock is held
        // until it is stored, so another run waiting for this key then finds it
        const p = r.persisted
          .catch((e: unknown) => {
            emit({ type: 'warning', time: now(), key: n.key, message: `could not store the cache entry of node "${n.name}" (${(e as Error)?.message ?? String(e)}); it will be recomputed next run` });
          })
          .then(() => lock?.release())
          .catch(() => undefined)
          .finally(() => persisting.delete(p));
        persisting.add(p);
      } else await lock?.release();
      if (r.ok) {
        run.entry = r.entry;
        run.state = 'executed';
        run.finishedAt = now();
        emit({ type: 'node-finished', time: now(), key: n.key, durationMs: run.durationMs, info: r.entry.info });
        opts.onNodeDone?.(n.key, r.entry);
      } else if (r.failure.kind === 'corrupt-input' && run.retries < MAX_CORRUPT_RETRIES && !aborted()) {
        // recompute the producer whose object was corrupt, then try this node again
        run.retries++;
        const producer = runs.get(r.failure.producerKey);
        emit({ type: 'warning', time: now(), key: n.key, message: `${r.failure.message}; recomputing node "${producer?.node.name ?? r.failure.producerKey.slice(0, 12)}"` });
        // another consumer may have reported it first: the producer is then being
        // recomputed already, or was since this node started (its entry is fresh)
        const busy = producer && (producer.state === 'pending' || producer.state === 'locking' || producer.state === 'runnable' || producer.state === 'running');
        const fresh = producer?.state === 'executed' && (producer.finishedAt ?? 0) >= run.startedAt!;
        if (!busy && !fresh) {
          await store.dropEntry(r.failure.producerKey);
          if (producer) {
            producer.state = 'pending';
            producer.entry = undefined;
            forced.add(producer.node.key);
          }
        }
        run.state = 'pending';
      } else {
        run.state = 'failed';
        run.failure = r.failure;
        emit({ type: 'node-failed', time: now(), key: n.key, durationMs: run.durationMs, failure: r.failure, logTail: r.logTail });
        skipDownstream(n.key, aborted() ? 'run interrupted' : `upstream node "${n.name}" failed`);
      }
      notify();
    });
  };

  for (;;) {
    if (!aborted()) {
      // in plan order, as a scan of every node would take them
      const ready = [...maybeReady].filter((r) => r.state === 'pending' && depsDone(r.node)).sort((a, b) => planOrder.get(a)! - planOrder.get(b)!);
      maybeReady.clear();
      for (const run of ready) void lockAndCheck(run).catch((e: unknown) => cacheFailure(run, e));
      // longest chain of work still behind a node first, so short branches that feed
      // others (the crowd) are not queued behind long leaves (the trainings)
      const runnable = [...inState.get('runnable')!].sort(
        (a, b) => (a.node.resources.cost ?? 1) - (b.node.resources.cost ?? 1) || priority.get(b.node.key)! - priority.get(a.node.key)!,
      );
      // a higher-priority node that is just taking its lock gets first pick of the slots
      const soon = [...inState.get('locking')!].filter((r) => now() - (r.lockingSince ?? 0) < 50);
      const cheapest = Math.min(Infinity, ...soon.map((r) => r.node.resources.cost ?? 1));
      if (soon.length) setTimeout(notify, 60).unref();
      for (const run of runnable) {
        if ((run.node.resources.cost ?? 1) > cheapest) break;
        const n = run.node;
        const need = n.resources.exclusive ? slots : Math.min(n.resources.threads, slots);
        if (exclusiveRunning) break;
        if (n.resources.exclusive && running > 0) continue;
        if (need > freeSlots) continue;
        start(run);
      }
    }
    const busy = inState.get('running')!.size + inState.get('locking')!.size + inState.get('runnable')!.size > 0;
    if (aborted()) {
      for (const r of [...inState.get('runnable')!]) {
        await r.lock?.release();
        r.lock = undefined;
        r.state = 'pending';
      }
      if (inState.get('running')!.size + inState.get('locking')!.size === 0) break;
    } else if (!busy) {
      break;
    }
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
  }

  // entries still being written (inline nodes return before theirs is stored)
  while (persisting.size) await Promise.all(persisting);

  for (const run of runs.values()) {
    if (run.state === 'pending') {
      run.state = 'skipped';
      emit({ type: 'node-skipped', time: now(), key: run.node.key, reason: aborted() ? 'run interrupted' : 'not reached' });
    }
  }

  const status: RunSummary['status'] = aborted() ? 'interrupted' : [...runs.values()].some((r) => r.state === 'failed') ? 'failed' : 'ok';
  const summaryNodes: RunSummaryNode[] = selected.map((n) => {
    const r = runs.get(n.key)!;
    return {
      name: n.name,
      type: n.type,
      key: n.key,
      status: r.state as NodeStatus,
      durationMs: r.state === 'cached' ? 0 : r.durationMs,
      variants: n.variants,
      ...(r.executor ? { executor: r.executor } : {}),
      ...(r.jobId ? { jobId: r.jobId } : {}),
      ...(r.entry?.info && Object.keys(r.entry.info).length ? { info: r.entry.info } : {}),
      ...(r.failure ? { failure: r.failure } : {}),
      ...(r.entry?.summary ? { summary: r.entry.summary } : {}),
    };
  });
  const count = (s: NodeStatus): number => summaryNodes.filter((n) => n.status === s).length;
  const selectedKeys = new Set(selected.map((n) => n.key));
  const summary: RunSummary = {
    pipeline: plan.pipeline,
    specFile: plan.specFile,
    status,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: now() - startedAt,
    counts: { executed: count('executed'), cached: count('cached'), failed: count('failed'), skipped: count('skipped') },
    nodes: summaryNodes,
    variants: plan.variants.map((v) => {
      const states = [...v.nodes.values()].filter((k) => selectedKeys.has(k)).map((k) => runs.get(k)!.state);
      const vs = states.some((s) => s === 'failed') ? 'failed' : states.every((s) => s === 'executed' || s === 'cached') ? 'ok' : aborted() ? 'interrupted' : 'failed';
      return { id: v.id, params: v.params, status: vs };
    }),
    cacheDir: store.root,
    outDir: opts.outDir,
    softlabVersion: SOFTLAB_VERSION,
  };
  const entries = new Map<string, CacheEntry>();
  for (const r of runs.values()) if (r.entry && (r.state === 'executed' || r.state === 'cached')) entries.set(r.node.key, r.entry);
  return { summary, entries, selected };
}

/**
 * Upward rank of each node: the number of nodes on the longest path from it to a
 * sink, plus a small tie-break for how many nodes depend on it directly. Without
 * durations this is the classic critical-path priority with unit costs.
 */
export function upwardRanks(nodes: PlanNode[], dependents: Map<string, string[]>): Map<string, number> {
  const rank = new Map<string, number>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const ds = dependents.get(nodes[i].key) ?? [];
    let longest = 0;
    for (const d of ds) longest = Math.max(longest, Math.floor(rank.get(d) ?? 0));
    // tie-break: more direct dependents first (cheap; a full descendant count is quadratic)
    rank.set(nodes[i].key, longest + 1 + Math.min(ds.length, 999) / 1000);
  }
  return rank;
}

function toTask(n: PlanNode, cacheDir: string, specDir: string, entryOf: (key: string) => CacheEntry | undefined): NodeTask {
  const inputEntries: Record<string, CacheEntry> = {};
  for (const inp of Object.values(n.inputs)) {
    const e = inp.origin === 'node' ? entryOf(inp.key) : undefined;
    if (e) inputEntries[e.key] = e;
  }
  return {
    key: n.key,
    name: n.name,
    type: n.type,
    modulePath: n.nodeType.modulePath,
    params: n.params,
    specDir,
    cacheDir,
    inputs: n.inputs,
    outputs: Object.fromEntries(Object.entries(n.nodeType.def.outputs).map(([p, o]) => [p, { kind: o.kind }])),
    softlabVersion: SOFTLAB_VERSION,
    inline: n.resources.inline === true,
    inputEntries,
  };
}

/**
 * Put a cached node's outputs back where the user expects them (a command's
 * outs). Returns the problem when an object proved corrupt (the node must be
 * recomputed); other failures are warnings.
 */
async function restoreOutputs(run: NodeRun, opts: SchedulerOptions): Promise<string | undefined> {
  const def = run.node.nodeType.def;
  if (!def.restore || !run.entry) return undefined;
  const outputs = Object.fromEntries(
    Object.keys(run.entry.outputs)
      .filter((p) => p !== REPORT_PORT)
      .map((p) => [p, cacheInput(opts.store, run.entry!, p, def.outputs[p]?.kind ?? 'files', `${run.node.name}.${p}`)]),
  );
  try {
    await def.restore({ params: run.node.params, specDir: opts.plan.specDir, outputs, log: { info: () => undefined, warn: () => undefined, error: () => undefined } });
  } catch (e) {
    if (e instanceof CorruptInputError) return e.message;
    opts.emit({ type: 'warning', time: Date.now(), key: run.node.key, message: `could not restore the outputs of node "${run.node.name}": ${(e as Error).message}` });
  }
  return undefined;
}
