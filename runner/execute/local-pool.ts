// The local executor: a piscina pool of worker threads, one node per worker at a
// time, created on first use (a fully cached run never starts a thread). Nodes
// marked `resources.inline` (command) run on this thread instead: their work is a
// child process, and the hand-off to a worker and back cost more than they do.

import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import type { Piscina as PiscinaPool } from 'piscina';
import { CacheStore } from '../../cache/store.js';
import type { NodeFailure } from '../events.js';
import type { StagingPool } from './staging-pool.js';
import { CODE_ROOT, codeModule, FROM_SOURCES } from '../package-paths.js';
import type { Execution, Executor, SubmitOptions } from './executor.js';
import { stagingLabel, type NodeTask, type TaskMessage, type TaskResult } from './task.js';

/** After a cancel, how long a node may take to stop before its worker is terminated. */
export const CANCEL_GRACE_MS = 3_000;

// from TypeScript sources (tests) the worker needs a bootstrap that registers tsx
const workerFile = pathToFileURL(FROM_SOURCES ? path.join(CODE_ROOT, 'runner', 'execute', 'pool-worker-dev.mjs') : codeModule('runner/execute/pool-worker')).href;

export class LocalPoolExecutor implements Executor {
  readonly name = 'local';
  readonly capabilities;
  private pool: PiscinaPool | undefined;
  private poolPromise: Promise<PiscinaPool> | undefined;
  /** staging folders reused by inline nodes, by cache directory */
  private readonly stagingPools = new Map<string, StagingPool>();
  /** staging folders being removed in the background (workers leave them to us) */
  private readonly removals = new Set<Promise<void>>();

  constructor(private readonly jobs: number) {
    this.capabilities = { sharesCacheFilesystem: true, slots: jobs };
  }

  private getPool(): Promise<PiscinaPool> {
    this.poolPromise ??= import('piscina').then(({ Piscina }) => {
      const heapMb = workerHeapMb(this.jobs);
      this.pool = new Piscina({
        filename: workerFile,
        minThreads: 0,
        maxThreads: this.jobs,
        concurrentTasksPerWorker: 1,
        idleTimeout: 60_000,
        resourceLimits: { maxOldGenerationSizeMb: heapMb },
      });
      return this.pool;
    });
    return this.poolPromise;
  }

  submit(task: NodeTask, opts: SubmitOptions): Execution {
    return task.inline ? this.submitInline(task, opts) : this.submitToWorker(task, opts);
  }

  /**
   * Run the node on this thread (`resources.inline`). A cancel aborts its signal;
   * a forced cancel, or a node still running CANCEL_GRACE_MS after a cancel, is
   * given up on: its result is reported at once (the run is ending).
   */
  private submitInline(task: NodeTask, opts: SubmitOptions): Execution {
    const soft = new AbortController();
    let giveUp!: (r: TaskResult) => void;
    const givenUp = new Promise<TaskResult>((resolve) => (giveUp = resolve));
    const cancelled = (): TaskResult => ({ ok: false, failure: stop.timedOut ? timeoutFailure(opts.timeoutMs!) : { kind: 'cancelled', message: 'cancelled' }, logTail: [] });
    const stop = stopControl(opts.timeoutMs, () => soft.abort(), () => giveUp(cancelled()));
    const result = (async (): Promise<TaskResult & { executor: string }> => {
      try {
        const [{ runTask }, { StagingPool }] = await Promise.all([import('./run-task.js'), import('./staging-pool.js')]);
        let stagingPool = this.stagingPools.get(task.cacheDir);
        if (!stagingPool) this.stagingPools.set(task.cacheDir, (stagingPool = new StagingPool(new CacheStore(task.cacheDir))));
        const running = runTask(task, (m) => opts.onMessage(m), soft.signal, { stagingPool, deferEntry: true });
        const r = await Promise.race([running, givenUp]);
        if (stop.timedOut && !r.ok) return { ok: false, failure: timeoutFailure(opts.timeoutMs!), logTail: r.logTail, executor: this.name };
        return { ...r, executor: this.name };
      } finally {
        stop.clear();
      }
    })();
    return {
      result,
      cancel(force) {
        stop.request();
        if (force) giveUp(cancelled());
      },
    };
  }

  private submitToWorker(task: NodeTask, opts: SubmitOptions): Execution {
    const channel = new MessageChannel();
    const hard = new AbortController();
    channel.port1.on('message', (m: TaskMessage) => opts.onMessage(m));
    const stop = stopControl(opts.timeoutMs, () => channel.port1.postMessage({ type: 'cancel' }), () => hard.abort());
    const started = Date.now();
    const result = (async (): Promise<TaskResult & { executor: string }> => {
      try {
        const pool = await this.getPool();
        const r = (await pool.run({ task, port: channel.port2 }, { transferList: [channel.port2] as never, signal: hard.signal })) as TaskResult;
        if (r.staging) this.removeInBackground(r.staging);
        delete r.staging;
        if (stop.timedOut && !r.ok) return { ok: false, failure: timeoutFailure(opts.timeoutMs!), logTail: r.logTail, executor: this.name };
        return { ...r, executor: this.name };
      } catch (e) {
        // the worker was terminated or died: it could not remove its staging folder itself
        await new CacheStore(task.cacheDir).removeStaging(stagingLabel(task)).catch(() => undefined);
        const why = { timedOut: stop.timedOut, cancelled: stop.requested, timeoutMs: opts.timeoutMs, elapsed: Date.now() - started };
        return { ok: false, failure: workerFailure(e, why), logTail: [], executor: this.name };
      } finally {
        stop.clear();
        channel.port1.close();
      }
    })();
    return {
      result,
      cancel(force) {
        stop.request();
        if (force) hard.abort();
      },
    };
  }

  /** Remove a finished task's staging folder while its worker takes the next node. */
  private removeInBackground(dir: string): void {
    const p: Promise<void> = rm(dir, { recursive: true, force: true })
      .catch(() => undefined)
      .finally(() => this.removals.delete(p));
    this.removals.add(p);
  }

  async close(): Promise<void> {
    for (const p of this.stagingPools.values()) p.close();
    this.stagingPools.clear();
    await Promise.all(this.removals);
    const pool = this.pool;
    this.pool = undefined;
    this.poolPromise = undefined;
    if (pool) await pool.destroy();
  }
}

/**
 * A node's timeout and cancel grace: `request` asks the node to stop (once, by
 * `ask`); `giveUp` follows CANCEL_GRACE_MS later unless `clear` comes first. The
 * timeout makes the same request.
 */
function stopControl(timeoutMs: number | undefined, ask: () => void, giveUp: () => void) {
  let requested = false;
  let timedOut = false;
  let grace: NodeJS.Timeout | undefined;
  const request = (): void => {
    if (requested) return;
    requested = true;
    ask();
    grace = setTimeout(giveUp, CANCEL_GRACE_MS);
    grace.unref();
  };
  const timer = timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        request();
      }, timeoutMs)
    : undefined;
  return {
    request,
    get requested() {
      return requested;
    },
    get timedOut() {
      return timedOut;
    },
    clear() {
      if (timer) clearTimeout(timer);
      if (grace) clearTimeout(grace);
    },
  };
}

/**
 * Each worker's heap limit in MB: 60% of the machine's memory shared by the
 * slots, at least 2 GB; `SOFTLAB_WORKER_HEAP_MB` sets it (lower it to make a
 * runaway node fail sooner, as the reliability tests do).
 */
export function workerHeapMb(jobs: number): number {
  const fromEnv = Number(process.env.SOFTLAB_WORKER_HEAP_MB);
  if (Number.isFinite(fromEnv) && fromEnv > 0) return Math.floor(fromEnv);
  return Math.max(2048, Math.floor(((os.totalmem() / 1048576) * 0.6) / jobs));
}

function timeoutFailure(timeoutMs: number): NodeFailure {
  return { kind: 'timeout', message: `timed out after ${formatMs(timeoutMs)} (the node's "timeout")`, timeoutMs };
}

function workerFailure(e: unknown, s: { timedOut: boolean; cancelled: boolean; timeoutMs?: number; elapsed: number }): NodeFailure {
  if (s.timedOut) return timeoutFailure(s.timeoutMs!);
  if (s.cancelled) return { kind: 'cancelled', message: 'cancelled' };
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ERR_WORKER_OUT_OF_MEMORY' || /out of memory/i.test(err?.message ?? '')) {
    return { kind: 'out-of-memory', message: 'the node ran out of memory in its worker (the worker was replaced)' };
  }
  return { kind: 'worker-died', message: `the worker running the node died: ${err?.message ?? String(e)}` };
}

function formatMs(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}
