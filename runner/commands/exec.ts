// `softlab exec TASK`: run one node in this process, the worker side of the
// Slurm executor. Reads the NodeTask the submitting process wrote into the
// cache directory, runs it with runTask (inputs from the cache, outputs
// committed atomically), appends progress and logs to the events file the
// runner tails, and writes the TaskResult last. Exit 0 when the node succeeded,
// 1 when it failed, 130 when it was stopped (scancel, time limit).

import { appendFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveCacheDir } from '../cli/args.js';
import { EXIT, UsageError } from '../cli/exit.js';
import { runTask } from '../execute/run-task.js';
import { filesOfTask, slurmRoot, writeResult, type JobEvent } from '../execute/slurm/job-files.js';
import type { NodeTask, TaskMessage } from '../execute/task.js';

export interface ExecFlags {
  cacheDir?: string;
}

const KEY_RE = /^[0-9a-f]{64}$/;

export async function execCommand(target: string, flags: ExecFlags): Promise<number> {
  const byKey = KEY_RE.test(target);
  const taskFile = byKey ? await findTaskFile(resolveCacheDir(flags.cacheDir), target) : path.resolve(target);
  let task: NodeTask;
  try {
    task = JSON.parse(await readFile(taskFile, 'utf8')) as NodeTask;
  } catch (e) {
    throw new UsageError(`cannot read task file ${taskFile}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!task || typeof task.key !== 'string' || typeof task.modulePath !== 'string') throw new UsageError(`${taskFile} is not a softlab task file`);
  // the task names the submitter's cache directory; --cache-dir says where this machine mounts it
  if (flags.cacheDir || byKey) task.cacheDir = resolveCacheDir(flags.cacheDir);
  const files = filesOfTask(taskFile);

  // appends are small and ordered; the runner reads only whole lines
  const append = (ev: JobEvent): void => appendFileSync(files.events, JSON.stringify(ev) + '\n');
  append({ type: 'started', host: os.hostname(), pid: process.pid, jobId: process.env.SLURM_JOB_ID, time: Date.now() });

  const abort = new AbortController();
  const onSignal = (): void => {
    if (abort.signal.aborted) process.exit(EXIT.interrupted);
    abort.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    const result = await runTask(task, (m: TaskMessage) => append({ type: 'message', message: m }), abort.signal);
    await writeResult(files.result, result);
    append({ type: 'finished', ok: result.ok, time: Date.now() });
    if (!result.ok) process.stderr.write(`softlab exec: node "${task.name}" failed: ${result.failure.message}\n`);
    return result.ok ? EXIT.ok : abort.signal.aborted ? EXIT.interrupted : EXIT.failed;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** `exec KEY`: the newest task file of that key among the Slurm runs in the cache. */
async function findTaskFile(cacheDir: string, key: string): Promise<string> {
  const root = path.join(slurmRoot(cacheDir), 'runs');
  const runs = await readdir(root).catch(() => [] as string[]);
  let best: { file: string; mtime: number } | undefined;
  for (const r of runs) {
    const file = path.join(root, r, `${key}.task.json`);
    const st = await stat(file).catch(() => undefined);
    if (st && (!best || st.mtimeMs > best.mtime)) best = { file, mtime: st.mtimeMs };
  }
  if (!best) throw new UsageError(`no task file for key ${key} under ${root} (softlab run --executor slurm writes them)`);
  return best.file;
}
