// The Slurm client commands softlab calls (sbatch, squeue, scancel), as typed
// functions, with a count of every call: the point of the Slurm executor is to
// be gentle with the cluster's controller, and the count is how that is shown.

import { execFile } from 'node:child_process';

/** A Slurm command failed or could not be started. */
export class SlurmCommandError extends Error {
  override readonly name = 'SlurmCommandError';
  constructor(
    message: string,
    readonly command: string,
    /** Slurm's own message (first error line of stderr), for the user */
    readonly slurmMessage: string,
    readonly notInstalled = false,
  ) {
    super(message);
  }
}

export interface SlurmCallCounts {
  sbatch: number;
  squeue: number;
  scancel: number;
}

/** A job as `squeue` reports it. */
export interface SlurmJobStatus {
  jobId: string;
  /** extended state: PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, NODE_FAIL... */
  state: string;
  /** why it waits or why it ended (`None` when Slurm gives none) */
  reason: string;
  nodes: string;
  timeLimit: string;
}

export interface SubmitRequest {
  /** sbatch options (`--job-name=...`, `--cpus-per-task=...`) */
  args: string[];
  /** path of the batch script (none with --wrap) */
  script?: string;
}

const CALL_TIMEOUT_MS = 60_000;
const FIELD_SEP = '|';

export class SlurmCommands {
  readonly calls: SlurmCallCounts = { sbatch: 0, squeue: 0, scancel: 0 };

  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  /** Submit one batch job; returns its job id. */
  async submit(req: SubmitRequest): Promise<string> {
    this.calls.sbatch++;
    const out = await this.run('sbatch', ['--parsable', ...req.args, ...(req.script ? [req.script] : [])]);
    // --parsable prints "jobid" or "jobid;cluster"
    const id = out.trim().split('\n').pop()!.split(';')[0].trim();
    if (!/^\d+(_\d+)?$/.test(id)) throw new SlurmCommandError(`sbatch printed no job id: ${out.trim()}`, 'sbatch', out.trim());
    return id;
  }

  /** Every job with this name (the run's jobs), in any state Slurm still remembers. One call. */
  async jobsNamed(name: string): Promise<Map<string, SlurmJobStatus>> {
    this.calls.squeue++;
    const out = await this.run('squeue', ['--noheader', '--states=all', `--name=${name}`, `--format=%i${FIELD_SEP}%T${FIELD_SEP}%r${FIELD_SEP}%N${FIELD_SEP}%l`]);
    return parseSqueue(out);
  }

  /** Cancel jobs (one call for all of them); `signal` sends that signal instead of ending the jobs. */
  async cancel(jobIds: string[], signal?: 'KILL'): Promise<void> {
    if (!jobIds.length) return;
    this.calls.scancel++;
    await this.run('scancel', [...(signal ? [`--signal=${signal}`, '--full'] : []), ...jobIds]);
  }

  private run(cmd: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(cmd, args, { env: this.env, timeout: CALL_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === 'ENOENT') {
          reject(new SlurmCommandError(`${cmd} not found: is this a Slurm login node? (Slurm's client commands must be on PATH)`, cmd, `${cmd} not found`, true));
          return;
        }
        const slurmMessage = firstErrorLine(stderr) || (e.killed ? `no answer within ${CALL_TIMEOUT_MS / 1000} s` : e.message.split('\n')[0]);
        reject(new SlurmCommandError(`${cmd} failed: ${slurmMessage}`, cmd, slurmMessage));
      });
    });
  }
}

/** Parse `squeue --format=%i|%T|%r|%N|%l` lines. */
export function parseSqueue(out: string): Map<string, SlurmJobStatus> {
  const jobs = new Map<string, SlurmJobStatus>();
  for (const line of out.split('\n')) {
    const parts = line.trim().split(FIELD_SEP);
    if (parts.length < 5 || !parts[0]) continue;
    const [jobId, state, reason, nodes, timeLimit] = parts;
    jobs.set(jobId, { jobId, state: state.replace(/\+$/, ''), reason, nodes, timeLimit });
  }
  return jobs;
}

/** The message of Slurm's first `error:` line ("sbatch: error: invalid partition specified: gpu" -> "invalid partition specified: gpu"). */
export function firstErrorLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.find((l) => /\berror:/.test(l)) ?? lines[0] ?? '';
  const stripped = err.replace(/^[\w.-]+(:\s*|\s+)error:\s*/, '');
  return stripped === err ? err.replace(/^[\w.-]+:\s*/, '') : stripped;
}
