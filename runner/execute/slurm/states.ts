// Slurm job states as softlab reads them: which ones mean "still going", and
// what a job that Slurm ended is, as a node failure with Slurm's own words.

import type { NodeFailure } from '../../events.js';
import type { SlurmJobStatus } from './commands.js';

const ACTIVE = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'STOPPED', 'RESV_DEL_HOLD']);
const STARTED = new Set(['RUNNING', 'COMPLETING', 'SIGNALING', 'STAGE_OUT']);

/** The job has not ended yet (waiting, running or finishing). */
export function isActive(state: string): boolean {
  return ACTIVE.has(state);
}

/** The job's program has started on a node. */
export function hasStarted(state: string): boolean {
  return STARTED.has(state);
}

/** Slurm's reason, when it says something ("None" says nothing). */
function reasonText(s: SlurmJobStatus): string {
  return s.reason && s.reason !== 'None' && s.reason !== '(null)' ? `, reason: ${s.reason}` : '';
}

/**
 * The failure of a node whose job Slurm ended without a result from softlab's
 * worker: time limit, memory, scancel, node failure... `status` is undefined when
 * Slurm no longer knows the job.
 */
export function slurmEndedFailure(jobId: string, status: SlurmJobStatus | undefined, outFile: string): NodeFailure {
  const see = ` (job output: ${outFile})`;
  if (!status) {
    return { kind: 'worker-died', message: `Slurm job ${jobId} ended without a result and Slurm no longer knows it${see}` };
  }
  const where = status.nodes ? ` on ${status.nodes}` : '';
  const tail = `${reasonText(status)}${see}`;
  switch (status.state) {
    case 'TIMEOUT':
      return { kind: 'timeout', message: `Slurm stopped job ${jobId}${where} at its time limit (${status.timeLimit}; TIMEOUT${tail}); raise it with slurm.time or --slurm-time`, timeoutMs: slurmTimeMs(status.timeLimit) ?? 0 };
    case 'OUT_OF_MEMORY':
      return { kind: 'out-of-memory', message: `Slurm stopped job ${jobId}${where}: it used more memory than it asked for (OUT_OF_MEMORY${tail})` };
    case 'CANCELLED':
      return { kind: 'worker-died', message: `Slurm job ${jobId}${where} was cancelled outside softlab (scancel or an administrator; CANCELLED${tail})` };
    case 'NODE_FAIL':
      return { kind: 'worker-died', message: `Slurm job ${jobId} was lost: its node${where} failed (NODE_FAIL${tail})` };
    case 'PREEMPTED':
      return { kind: 'worker-died', message: `Slurm job ${jobId}${where} was preempted by another job (PREEMPTED${tail})` };
    case 'BOOT_FAIL':
      return { kind: 'worker-died', message: `Slurm job ${jobId} could not start: its node did not boot (BOOT_FAIL${tail})` };
    case 'DEADLINE':
      return { kind: 'timeout', message: `Slurm stopped job ${jobId}${where} at its deadline (DEADLINE${tail})`, timeoutMs: 0 };
    case 'FAILED':
      return { kind: 'worker-died', message: `Slurm job ${jobId}${where} failed before softlab's worker could report (FAILED${tail})` };
    default:
      return { kind: 'worker-died', message: `Slurm job ${jobId}${where} ended ${status.state} without a result${tail}` };
  }
}

/** Slurm's time format ("UNLIMITED", "30:00", "1:00:00", "2-00:00:00") in ms; undefined when unlimited or unreadable. */
export function slurmTimeMs(t: string): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(t.trim());
  if (!m) return undefined;
  const [, d, h, min, s] = m;
  return (((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min)) * 60 + Number(s)) * 1000;
}
