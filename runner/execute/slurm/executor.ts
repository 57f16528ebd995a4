// The Slurm executor: each node the scheduler hands over becomes one sbatch job
// running softlab's own worker (`softlab exec`) on a task file in the shared
// cache directory. The submitting process never runs a node itself.
//
// Gentle with the controller: submissions go one at a time, at most
// `submit_rate` per second and `max_jobs` in the queue at once; status is one
// `squeue` for all of the run's jobs (they share the job name) per
// `poll_interval`; cancels are batched into one `scancel`. Completion, progress
// and logs come through files in the cache directory, which cost Slurm nothing.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import type { NodeFailure } from '../../events.js';
import type { NodeResources } from '../../node-api.js';
import type { Execution, Executor, ExecutorCapabilities, SubmitOptions } from '../executor.js';
import type { NodeTask, TaskResult } from '../task.js';
import { SlurmCommandError, SlurmCommands, type SlurmJobStatus } from './commands.js';
import { batchScript, EventTail, jobFiles, outputTail, pruneOldRuns, readResult, runDir, type JobEvent, type JobFiles } from './job-files.js';
import { probeSharedFilesystem, type ProbeOutcome } from './probe.js';
import { jobSettings, runSettings, sbatchArgs, type RunSettings, type SlurmFlags } from './settings.js';
import { hasStarted, isActive, slurmEndedFailure } from './states.js';
import { workerCommand } from './worker-command.js';

/** How often the job files (events, results) are looked at: file reads only, no Slurm calls. */
const FILE_TICK_MS = 250;
/** How often the files of a job that has not started yet are looked at. */
const QUEUED_CHECK_MS = 1_000;
/** After Slurm says a job ended, how long its result file may take to show up (NFS attribute caches). */
const RESULT_GRACE_MS = 3_000;
/** Never two squeue calls closer than this, even when a cancel or an odd result asks for news. */
const MIN_POLL_GAP_MS = 1_000;
const LOG_TAIL = 40;
const OLD_RUN_MS = 7 * 24 * 3600_000;

/** What the executor needs to know about each node beyond its task. */
export interface SlurmNodeInfo {
  resources: NodeResources;
  /** the node's merged `slurm:` settings (spec top level + node) */
  slurm?: Record<string, unknown>;
}

export interface SlurmExecutorOptions {
  cacheDir: string;
  /** per node key: resources and settings (from the plan) */
  nodeInfo(key: string): SlurmNodeInfo | undefined;
  /** the spec's top-level `slurm:` (run settings, probe settings) */
  topLevel?: Record<string, unknown>;
  flags?: SlurmFlags;
  commands?: SlurmCommands;
  runId?: string;
  /** overrides of the run settings (tests, benchmarks) */
  settings?: Partial<RunSettings>;
}

interface Job {
  task: NodeTask;
  opts: SubmitOptions;
  files: JobFiles;
  args: string[];
  phase: 'queued' | 'submitting' | 'submitted' | 'done';
  jobId?: string;
  started: boolean;
  cancel?: 'soft' | 'hard';
  timedOut: boolean;
  timer?: NodeJS.Timeout;
  tail: EventTail;
  status?: SlurmJobStatus;
  filesCheckedAt: number;
  /** the worker's events file says it finished (its result file is due) */
  sawFinished?: boolean;
  /** when Slurm was first seen to have ended the job (or forgotten it) */
  endedSeenAt?: number;
  /** a result saying "cancelled" that softlab did not ask for: Slurm's reason is awaited */
  heldResult?: TaskResult;
  lastReason?: string;
  logTail: string[];
  resolve(r: TaskResult & { executor: string; jobId?: string }): void;
}

export class SlurmExecutor implements Executor {
  readonly name = 'slurm';
  readonly capabilities: ExecutorCapabilities;
  readonly runId: string;
  /** every job of the run carries this name: one squeue call finds them all */
  readonly jobName: string;
  readonly commands: SlurmCommands;
  readonly settings: RunSettings;
  private readonly dir: string;
  private readonly queue: Job[] = [];
  private readonly active = new Map<string, Job>();
  private submitting = 0;
  private lastSubmitAt = 0;
  private pumping = false;
  private slotFreed: (() => void) | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private ticking = false;
  private lastPollAt = 0;
  private pollFailures = 0;
  private probe: Promise<ProbeOutcome> | undefined;
  private cancelBatch = { soft: new Set<string>(), hard: new Set<string>() };
  private cancelScheduled = false;
  private closed = false;
  private readonly succeeded: JobFiles[] = [];
  private readonly onExit = (): void => this.cancelAllSync();
  private exitHooked = false;

  constructor(private readonly o: SlurmExecutorOptions) {
    this.settings = { ...runSettings(o.topLevel), ...o.settings };
    this.capabilities = { sharesCacheFilesystem: true, slots: this.settings.maxJobs };
    this.commands = o.commands ?? new SlurmCommands();
    this.runId = o.runId ?? `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;
    this.jobName = `softlab-${this.runId}`;
    this.dir = runDir(o.cacheDir, this.runId);
  }

  /**
   * Check once that the cluster sees the cache directory (a probe job); every
   * submission waits for this. Call it early to refuse a run before it starts.
   */
  checkCluster(signal?: AbortSignal, say?: (line: string) => void): Promise<ProbeOutcome> {
    this.probe ??= probeSharedFilesystem({
      cacheDir: this.o.cacheDir,
      commands: this.commands,
      job: jobSettings(this.o.topLevel, this.o.flags),
      run: this.settings,
      jobName: `${this.jobName}-probe`,
      signal,
      say,
    }).then((r) => {
      if (!r.ok && r.aborted) this.probe = undefined; // an interrupted check can be asked again
      return r;
    });
    return this.probe;
  }

  submit(task: NodeTask, opts: SubmitOptions): Execution {
    let resolve!: Job['resolve'];
    const result = new Promise<TaskResult & { executor: string; jobId?: string }>((r) => (resolve = r));
    const info = this.o.nodeInfo(task.key);
    const files = jobFiles(this.dir, task.key);
    const job: Job = {
      task,
      opts,
      files,
      args: [
        `--job-name=${this.jobName}`,
        `--comment=softlab node ${task.name} ${task.key.slice(0, 12)}`,
        `--output=${files.out}`,
        `--chdir=${task.specDir}`,
        ...sbatchArgs(jobSettings(info?.slurm, this.o.flags), info?.resources ?? {}),
      ],
      phase: 'queued',
      started: false,
      timedOut: false,
      tail: new EventTail(files.events),
      filesCheckedAt: 0,
      logTail: [],
      resolve,
    };
    if (this.closed) {
      this.finish(job, { ok: false, failure: { kind: 'cancelled', message: 'the Slurm executor was closed' }, logTail: [] });
    } else {
      this.queue.push(job);
      void this.pump();
    }
    return { result, cancel: (force) => this.cancelJob(job, !!force) };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) this.finish(job, cancelled());
    const left = [...this.active.values()];
    if (left.length) {
      await this.commands.cancel(left.map((j) => j.jobId!)).catch(() => undefined);
      for (const job of left) this.finish(job, cancelled());
    }
    this.stopTicker();
    this.hookExit(false);
    // keep the files of failed jobs (their messages point at them); drop the rest
    await Promise.all(this.succeeded.splice(0).map((f) => Promise.all(Object.values(f).map((p) => rm(p, { force: true })))));
    const rest = await readdir(this.dir).catch(() => undefined);
    if (rest && rest.length === 0) await rmdir(this.dir).catch(() => undefined);
    this.slotFreed?.();
  }

  // --- submission -------------------------------------------------------------

  private inFlight(): number {
    return this.active.size + this.submitting;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length && !this.closed) {
        const probe = await this.checkCluster();
        if (!probe.ok) {
          const failure: NodeFailure = probe.aborted ? { kind: 'cancelled', message: 'cancelled' } : { kind: 'cache', message: probe.message };
          for (const job of this.queue.splice(0)) this.finish(job, { ok: false, failure, logTail: [] });
          break;
        }
        if (this.inFlight() >= this.settings.maxJobs) {
          await new Promise<void>((r) => (this.slotFreed = r));
          continue;
        }
        const wait = this.lastSubmitAt + 1000 / this.settings.submitRate - Date.now();
        if (wait > 0) await sleep(wait);
        const job = this.queue.shift();
        if (!job) break;
        if (job.cancel) {
          this.finish(job, cancelled());
          continue;
        }
        this.lastSubmitAt = Date.now();
        await this.submitOne(job);
      }
    } finally {
      this.pumping = false;
    }
  }

  private async submitOne(job: Job): Promise<void> {
    job.phase = 'submitting';
    this.submitting++;
    try {
      await mkdir(this.dir, { recursive: true });
      if (this.active.size === 0 && this.succeeded.length === 0) void pruneOldRuns(this.o.cacheDir, OLD_RUN_MS, this.runId);
      // a retried key (corrupt input) must not read the previous attempt's files
      await Promise.all([rm(job.files.events, { force: true }), rm(job.files.result, { force: true })]);
      await writeFile(job.files.task, JSON.stringify(job.task));
      await writeFile(job.files.script, batchScript(workerCommand(this.o.cacheDir, job.files.task), `softlab node "${job.task.name}" (${job.task.type}), key ${job.task.key}`), { mode: 0o755 });
      job.jobId = await this.commands.submit({ args: job.args, script: job.files.script });
    } catch (e) {
      const message =
        e instanceof SlurmCommandError
          ? e.notInstalled
            ? e.message
            : `sbatch refused the job of node "${job.task.name}": ${e.slurmMessage} (sbatch ${job.args.filter((a) => !/^--(job-name|comment|output|chdir)=/.test(a)).join(' ')})`
          : `could not prepare the Slurm job of node "${job.task.name}": ${(e as Error).message}`;
      this.finish(job, { ok: false, failure: { kind: 'input', message }, logTail: [] });
      return;
    } finally {
      this.submitting--;
    }
    job.phase = 'submitted';
    this.active.set(job.jobId, job);
    this.hookExit(true);
    this.log(job, 'info', `submitted as Slurm job ${job.jobId}`);
    if (job.cancel) this.requestCancel(job);
    this.startTicker();
  }

  // --- watching ---------------------------------------------------------------

  private startTicker(): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => void this.tick(), FILE_TICK_MS);
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now0 = Date.now();
      for (const job of [...this.active.values()]) {
        // a job still in the queue has written nothing yet: look less often (one stat per job is NFS traffic)
        if (!job.started && job.endedSeenAt === undefined && now0 - job.filesCheckedAt < QUEUED_CHECK_MS) continue;
        job.filesCheckedAt = now0;
        await this.readJobFiles(job);
      }
      if (this.active.size && Date.now() - this.lastPollAt >= this.settings.pollIntervalMs) await this.poll();
      const now = Date.now();
      for (const job of [...this.active.values()]) {
        if (job.endedSeenAt !== undefined && now - job.endedSeenAt >= RESULT_GRACE_MS) await this.finishEnded(job);
      }
      if (this.active.size === 0) this.stopTicker();
    } finally {
      this.ticking = false;
    }
  }

  private async readJobFiles(job: Job): Promise<void> {
    for (const ev of await job.tail.poll()) if (this.onJobEvent(job, ev)) job.sawFinished = true;
    // the worker writes its result, then says "finished"; Slurm's verdict also sends us looking
    if (job.sawFinished || job.endedSeenAt !== undefined) {
      const r = await readResult(job.files.result);
      if (r) await this.onResult(job, r);
    }
  }

  private onJobEvent(job: Job, ev: JobEvent): boolean {
    if (ev.type === 'started') {
      this.markStarted(job, ev.host);
    } else if (ev.type === 'message') {
      const m = ev.message;
      if (m.type === 'log') {
        job.logTail.push(m.level === 'info' ? m.message : `${m.level}: ${m.message}`);
        if (job.logTail.length > LOG_TAIL) job.logTail.shift();
      }
      job.opts.onMessage(m);
    } else if (ev.type === 'finished') {
      return true;
    }
    return false;
  }

  private markStarted(job: Job, host?: string): void {
    if (job.started) return;
    job.started = true;
    this.log(job, 'info', `Slurm job ${job.jobId} running${host ? ` on ${host}` : ''}`);
    // the node's own `timeout:` counts from when it runs, not from when it was queued
    if (job.opts.timeoutMs) {
      job.timer = setTimeout(() => {
        job.timedOut = true;
        this.cancelJob(job, false);
      }, job.opts.timeoutMs);
    }
  }

  /** One squeue call for every job of the run. */
  private async poll(): Promise<void> {
    this.lastPollAt = Date.now();
    // only jobs submitted before the call can be judged by its answer
    const asked = [...this.active.values()];
    let statuses: Map<string, SlurmJobStatus>;
    try {
      statuses = await this.commands.jobsNamed(this.jobName);
      this.pollFailures = 0;
    } catch (e) {
      // a busy controller: say so once, keep watching the files, try again next interval
      if (this.pollFailures++ === 0) for (const job of this.active.values()) this.log(job, 'warn', `squeue failed (${(e as Error).message}); retrying`);
      return;
    }
    for (const job of asked) {
      if (job.phase === 'done') continue;
      const s = statuses.get(job.jobId!);
      if (s) job.status = s;
      if (s && isActive(s.state)) {
        job.endedSeenAt = undefined;
        if (hasStarted(s.state)) this.markStarted(job, s.nodes);
        else if (s.reason !== job.lastReason && s.reason !== 'None') {
          job.lastReason = s.reason;
          this.log(job, 'info', `Slurm job ${job.jobId} waiting in the queue (${s.reason})`);
        }
        continue;
      }
      job.endedSeenAt ??= Date.now();
      if (job.heldResult) {
        this.finishWith(job, job.heldResult);
        continue;
      }
      await this.readJobFiles(job);
    }
  }

  private async onResult(job: Job, r: TaskResult): Promise<void> {
    if (job.phase === 'done') return;
    if (!r.ok && r.failure.kind === 'cancelled' && !job.cancel) {
      // the worker was stopped, but not by softlab: Slurm's state says why (time limit, scancel...)
      if (job.status && !isActive(job.status.state)) {
        this.finishWith(job, r);
      } else {
        job.heldResult = r;
        this.pollSoon();
      }
      return;
    }
    this.finishWith(job, r);
  }

  /** Slurm ended the job and no result came: Slurm's reason is the failure. */
  private async finishEnded(job: Job): Promise<void> {
    const r = (await readResult(job.files.result)) ?? cancelled();
    this.finishWith(job, r, r.ok ? [] : await outputTail(job.files.out));
  }

  /** Final word on a submitted job: what the worker said, corrected by what softlab and Slurm know. */
  private finishWith(job: Job, r: TaskResult, outTail: string[] = []): void {
    if (job.phase === 'done') return;
    let result = r;
    if (!r.ok) {
      const logTail = r.logTail.length ? r.logTail : job.logTail.length ? job.logTail : outTail;
      if (job.timedOut) {
        result = { ok: false, failure: { kind: 'timeout', message: `timed out after ${formatMs(job.opts.timeoutMs!)} (the node's "timeout")`, timeoutMs: job.opts.timeoutMs! }, logTail };
      } else if (job.cancel) {
        result = { ok: false, failure: { kind: 'cancelled', message: 'cancelled' }, logTail };
      } else if (r.failure.kind === 'cancelled') {
        result = { ok: false, failure: slurmEndedFailure(job.jobId!, job.status, job.files.out), logTail: [...logTail, ...outTail.filter((l) => !logTail.includes(l))].slice(-LOG_TAIL) };
      } else {
        result = { ...r, logTail };
      }
    } else {
      this.succeeded.push(job.files);
    }
    this.finish(job, result);
  }

  private finish(job: Job, r: TaskResult): void {
    if (job.phase === 'done') return;
    job.phase = 'done';
    if (job.timer) clearTimeout(job.timer);
    if (job.jobId) this.active.delete(job.jobId);
    if (this.active.size === 0) this.hookExit(false);
    job.resolve({ ...r, executor: this.name, ...(job.jobId ? { jobId: job.jobId } : {}) });
    const wake = this.slotFreed;
    this.slotFreed = undefined;
    wake?.();
  }

  // --- cancelling -------------------------------------------------------------

  private cancelJob(job: Job, force: boolean): void {
    if (job.phase === 'done') return;
    const level = force ? 'hard' : 'soft';
    if (job.cancel === 'hard' || job.cancel === level) return;
    job.cancel = level;
    if (job.phase === 'queued') {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.finish(job, cancelled());
      return;
    }
    if (job.phase === 'submitted') this.requestCancel(job);
    // 'submitting': submitOne cancels it once it has a job id
  }

  /** Cancels requested in one go (Ctrl-C cancels every running node) become one scancel. */
  private requestCancel(job: Job): void {
    (job.cancel === 'hard' ? this.cancelBatch.hard : this.cancelBatch.soft).add(job.jobId!);
    if (this.cancelScheduled) return;
    this.cancelScheduled = true;
    setImmediate(() => {
      this.cancelScheduled = false;
      const soft = [...this.cancelBatch.soft];
      const hard = [...this.cancelBatch.hard];
      this.cancelBatch = { soft: new Set(), hard: new Set() };
      if (soft.length) void this.commands.cancel(soft).catch((e: Error) => this.warnAll(soft, `scancel failed: ${e.message}`));
      if (hard.length) void this.commands.cancel(hard, 'KILL').catch((e: Error) => this.warnAll(hard, `scancel failed: ${e.message}`));
      this.pollSoon();
    });
  }

  private warnAll(ids: string[], message: string): void {
    for (const id of ids) {
      const job = this.active.get(id);
      if (job) this.log(job, 'warn', message);
    }
  }

  /** Ask for news at the next tick, within MIN_POLL_GAP_MS of the last squeue. */
  private pollSoon(): void {
    this.lastPollAt = Math.min(this.lastPollAt, Date.now() - this.settings.pollIntervalMs + MIN_POLL_GAP_MS);
  }

  private hookExit(on: boolean): void {
    if (on === this.exitHooked) return;
    this.exitHooked = on;
    if (on) process.on('exit', this.onExit);
    else process.off('exit', this.onExit);
  }

  /** On a hard exit (a second Ctrl-C that does not wait), leave no job of ours behind. */
  private cancelAllSync(): void {
    const ids = [...this.active.keys()];
    if (!ids.length) return;
    try {
      spawnSync('scancel', ids, { timeout: 10_000, stdio: 'ignore' });
    } catch {
      /* nothing more to do on the way out */
    }
  }

  private log(job: Job, level: 'info' | 'warn', message: string): void {
    job.opts.onMessage({ type: 'log', level, message });
  }
}

function cancelled(): TaskResult {
  return { ok: false, failure: { kind: 'cancelled', message: 'cancelled' }, logTail: [] };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function formatMs(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}
