// Run one node where it was sent (a pool worker thread, the scheduler's own thread
// for an inline node, a Slurm job): open its
// inputs from the cache, give it staging folders, run it, and commit what it
// wrote with the store's atomic protocol. Returns a typed result; never throws
// for a node's own failure.

import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CacheError, CacheStore, REPORT_PORT, type ObjectRef } from '../../cache/store.js';
import { faultPoint } from '../../cache/faults.js';
import { isNoSpace } from '../../cache/fs-atomic.js';
import type { NodeFailure } from '../events.js';
import { fileInput, folderOutput } from '../folder-io.js';
import { CancelledError, CommandExitError, MissingOutputError, UserInputError, type InputHandle, type NodeContext, type NodeDefinition } from '../node-api.js';
import { Random } from '../random.js';
import { cacheInput, CorruptInputError } from './cache-input.js';
import type { StagingPool } from './staging-pool.js';
import { stagingLabel, type NodeTask, type TaskMessage, type TaskResult } from './task.js';

const LOG_TAIL = 40;
const PROGRESS_EVERY_MS = 100;

export interface RunTaskOptions {
  /**
   * Leave the staging folder in place and name it in the result, for the caller
   * to remove off the node's critical path (the local pool does, on the main
   * thread, while the worker takes its next node). Otherwise it is removed here.
   */
  leaveStaging?: boolean;
  /** take the staging folder from this pool and give it back after (inline nodes) */
  stagingPool?: StagingPool;
  /**
   * Return as soon as the objects are stored, with the entry still being written
   * (`persisted`): the scheduler starts dependents meanwhile (inline nodes).
   */
  deferEntry?: boolean;
}

export async function runTask(task: NodeTask, send: (m: TaskMessage) => void, signal: AbortSignal, options: RunTaskOptions = {}): Promise<TaskResult> {
  const result = await runStaged(task, send, signal, options.stagingPool, options.deferEntry === true);
  if (result.staging && options.stagingPool) {
    options.stagingPool.release(result.staging);
    delete result.staging;
  } else if (result.staging && !options.leaveStaging) {
    rmSync(result.staging, { recursive: true, force: true });
    delete result.staging;
  }
  return result;
}

async function runStaged(task: NodeTask, send: (m: TaskMessage) => void, signal: AbortSignal, pool: StagingPool | undefined, deferEntry: boolean): Promise<TaskResult> {
  const store = new CacheStore(task.cacheDir);
  const logTail: string[] = [];
  const log = (level: 'info' | 'warn' | 'error') => (message: string) => {
    const line = level === 'info' ? message : `${level}: ${message}`;
    logTail.push(line);
    if (logTail.length > LOG_TAIL) logTail.shift();
    send({ type: 'log', level, message });
  };
  const started = Date.now();
  let staging: string | undefined;
  try {
    staging = pool ? pool.acquire(stagingLabel(task)) : store.makeStagingDirSync(stagingLabel(task));
    const mod = (await import(pathToFileURL(task.modulePath).href)) as { default: NodeDefinition };
    const def = mod.default;
    const workDir = path.join(staging, 'work');
    const reportDir = path.join(staging, 'report');
    const outDirs: Record<string, string> = Object.fromEntries(Object.keys(task.outputs).map((port) => [port, path.join(staging!, 'out', port)]));
    // a few milliseconds per node are the whole overhead budget: blocking calls for the
    // tiny steps (a thread-pool round trip costs more than the step), concurrent reads
    // for the inputs
    for (const d of [workDir, reportDir, ...Object.values(outDirs)]) mkdirSync(d, { recursive: true });
    const inputList = await Promise.all(
        Object.entries(task.inputs).map(async ([port, inp]): Promise<{ port: string; handle?: InputHandle; missing?: NodeFailure }> => {
          if (inp.origin === 'file') return { port, handle: await fileInput(inp.path, inp.source) };
          const entry = task.inputEntries?.[inp.key] ?? (await store.readEntry(inp.key));
          if (!entry) {
            return { port, missing: { kind: 'corrupt-input', message: `input ${inp.name}.${inp.port}: its cache entry is missing or unreadable`, producerKey: inp.key } };
          }
          return { port, handle: cacheInput(store, entry, inp.port, inp.kind, `${inp.name}.${inp.port}`, true) };
        }),
    );
    const inputs: Record<string, InputHandle> = {};
    for (const { port, handle, missing } of inputList) {
      if (missing) return { ...fail(missing, logTail), staging };
      inputs[port] = handle!;
    }
    const outputs: NodeContext['outputs'] = Object.fromEntries(Object.entries(outDirs).map(([port, d]) => [port, folderOutput(d)]));
    const report = folderOutput(reportDir);
    let summary: Record<string, unknown> | undefined;
    let summaryRef: ObjectRef | undefined;
    const info: Record<string, string | number | boolean> = {};
    let lastProgress = 0;
    const ctx: NodeContext = {
      name: task.name,
      type: task.type,
      key: task.key,
      params: task.params,
      specDir: task.specDir,
      inputs,
      outputs,
      report,
      workDir,
      random: new Random(task.key),
      log: { info: log('info'), warn: log('warn'), error: log('error') },
      signal,
      progress(done, total, label) {
        const now = Date.now();
        if (now - lastProgress < PROGRESS_EVERY_MS && done < total) return;
        lastProgress = now;
        send({ type: 'progress', done, total, label });
      },
      async summary(value) {
        summary = value;
        // stored as an object at once (the same bytes as report.writeJson): many nodes
        // write identical summaries, and an object that exists costs no file at all
        summaryRef = store.putBytesSync(Buffer.from(JSON.stringify(value, null, 1) + '\n'));
      },
      annotate(k, v) {
        info[k] = v;
      },
    };

    await def.run(ctx);
    if (signal.aborted) throw new CancelledError();
    faultPoint('task:ran');

    for (const port of Object.keys(task.outputs)) {
      if (port !== 'outs' && readdirSync(outDirs[port]).length === 0) {
        throw new MissingOutputError(`node wrote nothing to its output "${port}"`);
      }
    }
    const ports: Record<string, { kind: string; dir: string; stored?: Record<string, ObjectRef> }> = {
      [REPORT_PORT]: { kind: 'files', dir: reportDir, ...(summaryRef ? { stored: { 'summary.json': summaryRef } } : {}) },
    };
    for (const [port, o] of Object.entries(task.outputs)) ports[port] = { kind: o.kind, dir: outDirs[port] };
    const meta = {
      key: task.key,
      name: task.name,
      type: task.type,
      durationMs: Date.now() - started,
      softlabVersion: task.softlabVersion,
      info,
      logs: logTail.slice(-LOG_TAIL),
      summary,
    };
    if (deferEntry) {
      const { entry, body } = await store.storeObjects(meta, ports);
      const persisted = store.writeEntry(task.key, body);
      persisted.catch(() => undefined); // the caller awaits it and reports a failure
      return { ok: true, entry, persisted, staging };
    }
    const entry = await store.commit(meta, ports);
    return { ok: true, entry, staging };
  } catch (e) {
    return { ...fail(classify(e, task, signal), logTail), staging };
  }
}

function fail(failure: NodeFailure, logTail: string[]): TaskResult {
  return { ok: false, failure, logTail: logTail.slice(-LOG_TAIL) };
}

/** Turn whatever a node threw into the typed failure the runner reports. */
export function classify(e: unknown, task: Pick<NodeTask, 'cacheDir'>, signal?: AbortSignal): NodeFailure {
  if (e instanceof CancelledError || (signal?.aborted && (e as Error)?.name === 'AbortError')) return { kind: 'cancelled', message: 'cancelled' };
  if (signal?.aborted) return { kind: 'cancelled', message: 'cancelled' };
  if (e instanceof CorruptInputError) return { kind: 'corrupt-input', message: e.message, producerKey: e.producerKey };
  if (e instanceof UserInputError) return { kind: 'input', message: e.message };
  if (e instanceof CommandExitError) return { kind: 'command-exit', message: e.message, exitCode: e.exitCode, signal: e.signal };
  if (e instanceof MissingOutputError) return { kind: 'missing-output', message: e.message };
  if (e instanceof CacheError) return { kind: 'cache', message: e.message };
  if (isNoSpace(e)) {
    return { kind: 'cache', message: `no space left on the device of cache directory ${task.cacheDir}: free some space (or run "softlab gc") and rerun` };
  }
  const err = e instanceof Error ? e : new Error(String(e));
  return { kind: 'error', message: err.message.split('\n')[0] || err.name, stack: err.stack };
}
