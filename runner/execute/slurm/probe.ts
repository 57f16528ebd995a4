// Does the cluster see the cache directory? A tiny probe job writes a marker
// file (with a nonce) into it; the submitting process waits for that file to
// appear. Jobs that cannot see the cache could neither read their inputs nor
// commit their outputs, so softlab refuses the run with this check's message.
// A marker younger than a day, for the same partition, stands for a fresh check.

import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { SlurmCommandError, type SlurmCommands, type SlurmJobStatus } from './commands.js';
import { shellQuote, slurmRoot } from './job-files.js';
import type { JobSettings, RunSettings } from './settings.js';
import { hasStarted, isActive } from './states.js';

export type ProbeOutcome =
  | { ok: true; cached: boolean; host?: string; jobId?: string; ms: number }
  | { ok: false; aborted?: boolean; message: string };

export const PROBE_VALID_MS = 24 * 3600_000;
const FILE_TICK_MS = 200;
const PROBE_POLL_MAX_MS = 2_000;

export interface ProbeOptions {
  cacheDir: string;
  commands: SlurmCommands;
  job: JobSettings;
  run: RunSettings;
  jobName: string;
  signal?: AbortSignal;
  /** one line for the user (progress of a slow probe) */
  say?(line: string): void;
}

export function markerFile(cacheDir: string, partition: string | undefined): string {
  return path.join(slurmRoot(cacheDir), 'shared-fs', `${(partition ?? 'default').replace(/[^\w.-]/g, '_')}.json`);
}

async function readMarker(file: string): Promise<{ nonce?: string; host?: string; jobId?: string } | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as { nonce?: string; host?: string };
  } catch {
    return undefined;
  }
}

export async function probeSharedFilesystem(o: ProbeOptions): Promise<ProbeOutcome> {
  const started = Date.now();
  const file = markerFile(o.cacheDir, o.job.partition);
  const st = await stat(file).catch(() => undefined);
  if (st && Date.now() - st.mtimeMs < PROBE_VALID_MS && (await readMarker(file))?.host) {
    return { ok: true, cached: true, ms: Date.now() - started };
  }

  const nonce = randomBytes(8).toString('hex');
  const dir = path.dirname(file);
  const tmp = `${shellQuote(`${file}.`)}"$SLURM_JOB_ID"${shellQuote('.tmp')}`;
  // plain sh on the node: no softlab, no node, so a failure here is about the file system
  const json = `{"nonce":"${nonce}","host":"'"$(hostname)"'","jobId":"'"$SLURM_JOB_ID"'"}`;
  const wrap = `mkdir -p ${shellQuote(dir)} && printf '%s\\n' '${json}' > ${tmp} && mv -f ${tmp} ${shellQuote(file)}`;
  const args = [
    `--job-name=${o.jobName}`,
    '--output=/dev/null',
    '--chdir=/',
    '--cpus-per-task=1',
    ...(o.job.partition ? [`--partition=${o.job.partition}`] : []),
    ...(o.job.account ? [`--account=${o.job.account}`] : []),
    ...(o.job.qos ? [`--qos=${o.job.qos}`] : []),
    `--time=${o.job.time ?? '00:05:00'}`,
    ...o.job.extraArgs,
    `--wrap=${wrap}`,
  ];
  let jobId: string;
  try {
    jobId = await o.commands.submit({ args });
  } catch (e) {
    const msg = e instanceof SlurmCommandError ? e.slurmMessage : (e as Error).message;
    return { ok: false, message: `sbatch refused the job that checks the cache directory: ${msg}` };
  }

  const found = async (): Promise<{ host?: string } | undefined> => {
    const m = await readMarker(file);
    return m?.nonce === nonce ? m : undefined;
  };
  let lastPoll = 0;
  let status: SlurmJobStatus | undefined;
  let endedAt: number | undefined;
  let saidWaiting = false;
  const pollEvery = Math.min(o.run.pollIntervalMs, PROBE_POLL_MAX_MS);
  for (;;) {
    if (o.signal?.aborted) {
      await o.commands.cancel([jobId]).catch(() => undefined);
      return { ok: false, aborted: true, message: 'interrupted while checking the cache directory' };
    }
    const m = await found();
    if (m) return { ok: true, cached: false, host: m.host, jobId, ms: Date.now() - started };
    if (endedAt !== undefined) {
      if (Date.now() - endedAt > o.run.probeGraceMs) break;
      // listing the folder makes NFS clients look again instead of trusting a cached "no such file"
      await readdir(dir).catch(() => undefined);
    } else if (Date.now() - lastPoll >= pollEvery) {
      lastPoll = Date.now();
      try {
        const s = (await o.commands.jobsNamed(o.jobName)).get(jobId);
        status = s ?? status;
        if (!s || !isActive(s.state)) endedAt = Date.now();
        else if (!saidWaiting && !hasStarted(s.state) && Date.now() - started > 5_000) {
          saidWaiting = true;
          o.say?.(`waiting for Slurm to start job ${jobId}, which checks that the cluster sees the cache directory (${s.reason})`);
        }
      } catch {
        /* the controller may be busy: the marker file still tells */
      }
    }
    await new Promise((r) => setTimeout(r, FILE_TICK_MS));
  }

  const ran = status?.nodes ? ` ran on ${status.nodes} and` : '';
  const ended = status && status.state !== 'COMPLETED' ? ` (the job ended ${status.state}${status.reason && status.reason !== 'None' ? `, ${status.reason}` : ''})` : '';
  return {
    ok: false,
    message:
      `the Slurm cluster cannot see the cache directory ${o.cacheDir}: job ${jobId}${ran} wrote a marker file there that never appeared on this machine${ended}. ` +
      'Put the cache on a filesystem that every cluster node mounts at the same path (home or project space, not /tmp) and pass it with --cache-dir or SOFTLAB_CACHE_DIR',
  };
}
