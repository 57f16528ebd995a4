// The one-machine Slurm cluster for tests (tests/helpers/slurm-cluster.sh does
// the work): start it if it is not running, point SLURM_CONF at it, and stop it
// afterwards only if this process started it (CI starts it once for the suite).

import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './specs.js';

export const CLUSTER_SCRIPT = path.join(ROOT, 'tests', 'helpers', 'slurm-cluster.sh');

export interface TestCluster {
  /** slurm.conf of the cluster (also set as process.env.SLURM_CONF) */
  conf: string;
  stateDir: string;
  /** a folder the submitting side sees but the compute node does not (an empty tmpfs there) */
  nodeLocalDir: string;
  startedHere: boolean;
}

export function slurmInstalled(): boolean {
  return spawnSync('sh', ['-c', 'command -v slurmctld && command -v munged && command -v sbatch'], { stdio: 'ignore' }).status === 0;
}

let cluster: TestCluster | undefined;

export function ensureCluster(): TestCluster {
  if (cluster) return cluster;
  const running = spawnSync('bash', [CLUSTER_SCRIPT, 'status'], { encoding: 'utf8' }).status === 0;
  const r = spawnSync('bash', [CLUSTER_SCRIPT, 'start'], { encoding: 'utf8', timeout: 90_000 });
  if (r.status !== 0) throw new Error(`could not start the test Slurm cluster: ${r.stderr || r.stdout}`);
  const m = /export SLURM_CONF=(\S+)/.exec(r.stdout);
  if (!m) throw new Error(`slurm-cluster.sh start printed no SLURM_CONF: ${r.stdout}`);
  process.env.SLURM_CONF = m[1];
  const stateDir = path.dirname(path.dirname(m[1]));
  cluster = { conf: m[1], stateDir, nodeLocalDir: path.join(stateDir, 'node-local'), startedHere: !running };
  return cluster;
}

export function stopClusterIfStartedHere(): void {
  if (cluster?.startedHere) spawnSync('bash', [CLUSTER_SCRIPT, 'stop'], { stdio: 'ignore', timeout: 60_000 });
  cluster = undefined;
}

export interface TestJob {
  jobId: string;
  state: string;
  reason: string;
  name: string;
}

/** The cluster's jobs as squeue lists them (for assertions; not the executor's own calls). */
export function listJobs(name?: string): TestJob[] {
  const out = execFileSync('squeue', ['--noheader', '--states=all', '--format=%i|%T|%r|%j', ...(name ? [`--name=${name}`] : [])], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [jobId, state, reason, jobName] = l.trim().split('|');
      return { jobId, state, reason, name: jobName };
    });
}

export function scancel(jobId: string): void {
  execFileSync('scancel', [jobId]);
}

/** Wait until `pred` holds, polling; throws after `ms`. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000, every = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
