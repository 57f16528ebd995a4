// Slurm settings: per job (partition, account, qos, time, extra sbatch args)
// from the spec's top-level `slurm:`, the node's `slurm:` and the --slurm-*
// flags, and per run (max_jobs, poll_interval, submit_rate, probe_grace) from the
// top level. Precedence follows --executor: flags > node > top level.

import type { NodeResources } from '../../node-api.js';
import { durationMs } from '../../spec/schema.js';

/** The `--slurm-*` flags of `softlab run`. */
export interface SlurmFlags {
  partition?: string;
  account?: string;
  qos?: string;
  time?: string;
  /** extra sbatch arguments, appended after the spec's */
  args?: string[];
}

export interface JobSettings {
  partition?: string;
  account?: string;
  qos?: string;
  /** sbatch --time value */
  time?: string;
  extraArgs: string[];
}

export interface RunSettings {
  /** jobs of this run in Slurm's queue at once (pending or running) */
  maxJobs: number;
  /** between two `squeue` calls */
  pollIntervalMs: number;
  /** submissions per second at most */
  submitRate: number;
  /** after the probe job ended, how long its marker file may take to show up (NFS caches) */
  probeGraceMs: number;
}

export const RUN_DEFAULTS: RunSettings = { maxJobs: 100, pollIntervalMs: 5_000, submitRate: 10, probeGraceMs: 10_000 };

/** The spec's `slurm:` keys (the schema in runner/spec/schema.ts checks their types). */
export const JOB_KEYS = ['partition', 'account', 'qos', 'time', 'extra_args'] as const;
export const RUN_KEYS = ['max_jobs', 'poll_interval', 'submit_rate', 'probe_grace'] as const;

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined;
}

function args(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string' && v.trim()) return v.trim().split(/\s+/);
  return [];
}

/** A job's settings: `merged` is the plan node's `slurm` (top level merged with the node's). */
export function jobSettings(merged: Record<string, unknown> | undefined, flags: SlurmFlags = {}): JobSettings {
  const m = merged ?? {};
  return {
    partition: flags.partition ?? str(m.partition),
    account: flags.account ?? str(m.account),
    qos: flags.qos ?? str(m.qos),
    time: flags.time ?? str(m.time),
    extraArgs: [...args(m.extra_args), ...(flags.args ?? [])],
  };
}

export function runSettings(top: Record<string, unknown> | undefined): RunSettings {
  const t = top ?? {};
  const dur = (v: unknown, d: number): number => (typeof v === 'number' || typeof v === 'string' ? durationMs(v) : d);
  return {
    maxJobs: typeof t.max_jobs === 'number' ? t.max_jobs : RUN_DEFAULTS.maxJobs,
    pollIntervalMs: dur(t.poll_interval, RUN_DEFAULTS.pollIntervalMs),
    submitRate: typeof t.submit_rate === 'number' ? t.submit_rate : RUN_DEFAULTS.submitRate,
    probeGraceMs: dur(t.probe_grace, RUN_DEFAULTS.probeGraceMs),
  };
}

/** A node's resource needs and settings as sbatch options (extra args last, so they win). */
export function sbatchArgs(s: JobSettings, res: NodeResources): string[] {
  const out: string[] = [];
  if (s.partition) out.push(`--partition=${s.partition}`);
  if (s.account) out.push(`--account=${s.account}`);
  if (s.qos) out.push(`--qos=${s.qos}`);
  if (s.time) out.push(`--time=${s.time}`);
  out.push(`--cpus-per-task=${Math.max(1, res.threads ?? 1)}`);
  if (res.memoryMb) out.push(`--mem=${Math.ceil(res.memoryMb)}M`);
  if (res.gpus) out.push(`--gres=gpu:${res.gpus}`);
  out.push(...s.extraArgs);
  return out;
}
