// The files through which a Slurm job and the submitting process talk, all in
// the (shared) cache directory:
//   <cache>/slurm/runs/<run-id>/<key>.task.json     the NodeTask (written by the submitter)
//   <cache>/slurm/runs/<run-id>/<key>.sh            the batch script
//   <cache>/slurm/runs/<run-id>/<key>.out           the job's stdout and stderr
//   <cache>/slurm/runs/<run-id>/<key>.events.jsonl  what the worker says while it works (appended)
//   <cache>/slurm/runs/<run-id>/<key>.result.json   the TaskResult (written atomically, last)

import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { writeFileAtomic } from '../../../cache/fs-atomic.js';
import type { TaskMessage, TaskResult } from '../task.js';

/** One line of an events file. */
export type JobEvent =
  | { type: 'started'; host: string; pid: number; jobId?: string; time: number }
  | { type: 'message'; message: TaskMessage }
  | { type: 'finished'; ok: boolean; time: number };

export interface JobFiles {
  task: string;
  script: string;
  out: string;
  events: string;
  result: string;
}

export function slurmRoot(cacheDir: string): string {
  return path.join(cacheDir, 'slurm');
}

export function runDir(cacheDir: string, runId: string): string {
  return path.join(slurmRoot(cacheDir), 'runs', runId);
}

export function jobFiles(dir: string, key: string): JobFiles {
  const base = path.join(dir, key);
  return { task: `${base}.task.json`, script: `${base}.sh`, out: `${base}.out`, events: `${base}.events.jsonl`, result: `${base}.result.json` };
}

/** The files of a task file's job (the worker knows only its task file). */
export function filesOfTask(taskFile: string): JobFiles {
  return jobFiles(path.dirname(taskFile), path.basename(taskFile).replace(/\.task\.json$/, ''));
}

/** Quote a word for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function batchScript(command: string[], note: string): string {
  return `#!/bin/sh\n# ${note}\nexec ${command.map(shellQuote).join(' ')}\n`;
}

export async function writeResult(file: string, result: TaskResult): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(result), path.dirname(file));
}

/** The job's result, once its worker has written it. */
export async function readResult(file: string): Promise<TaskResult | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as TaskResult;
  } catch {
    return undefined;
  }
}

/**
 * Follows an events file as the worker appends to it: each `poll` returns the
 * complete lines added since the last one (a half-written last line waits).
 */
export class EventTail {
  private offset = 0;
  private rest = '';
  // a character split across two reads is completed by the next one
  private readonly decoder = new StringDecoder('utf8');

  constructor(readonly file: string) {}

  async poll(): Promise<JobEvent[]> {
    let size: number;
    try {
      size = (await stat(this.file)).size;
    } catch {
      return [];
    }
    if (size <= this.offset) return [];
    const buf = Buffer.alloc(size - this.offset);
    let got = 0;
    const fh = await open(this.file, 'r');
    try {
      got = (await fh.read(buf, 0, buf.length, this.offset)).bytesRead;
      this.offset += got;
    } finally {
      await fh.close();
    }
    const text = this.rest + this.decoder.write(buf.subarray(0, got));
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    const events: JobEvent[] = [];
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line) as JobEvent);
      } catch {
        /* a line torn by a crash: skip it */
      }
    }
    return events;
  }
}

/** The last lines of a job's output file, for a failure that has no log of its own. */
export async function outputTail(file: string, lines = 20): Promise<string[]> {
  try {
    const st = await stat(file);
    const fh = await open(file, 'r');
    try {
      const len = Math.min(st.size, 16_384);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, st.size - len);
      return buf.toString('utf8').split('\n').filter((l) => l.trim()).slice(-lines);
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
}

/** Remove run folders older than `maxAgeMs` (runs that ended without cleaning up). */
export async function pruneOldRuns(cacheDir: string, maxAgeMs: number, keep?: string): Promise<void> {
  const root = path.join(slurmRoot(cacheDir), 'runs');
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return;
  }
  const now = Date.now();
  await Promise.all(
    names
      .filter((n) => n !== keep)
      .map(async (n) => {
        const dir = path.join(root, n);
        const st = await stat(dir).catch(() => undefined);
        if (st && now - st.mtimeMs > maxAgeMs) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }),
  );
}
