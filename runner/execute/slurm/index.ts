// The Slurm executor as `softlab run` uses it: built from a plan, and the
// question of whether this run will submit anything at all (a fully cached run
// must not wait for a probe job).

import type { CacheStore } from '../../../cache/store.js';
import type { Plan } from '../../plan/build.js';
import { forcedKeys, selectNodes } from '../../run/scheduler.js';
import { SlurmExecutor } from './executor.js';
import type { RunSettings, SlurmFlags } from './settings.js';

export { SlurmExecutor } from './executor.js';
export type { SlurmFlags } from './settings.js';

export function slurmExecutorForPlan(plan: Pick<Plan, 'byKey' | 'slurm'>, cacheDir: string, flags: SlurmFlags = {}, settings?: Partial<RunSettings>): SlurmExecutor {
  return new SlurmExecutor({
    cacheDir,
    nodeInfo: (key) => {
      const n = plan.byKey.get(key);
      return n ? { resources: n.resources, slurm: n.slurm } : undefined;
    },
    topLevel: plan.slurm,
    flags,
    settings,
  });
}

/** Will this run hand a node to Slurm? (some selected Slurm node is not in the cache, or is forced) */
export async function runSubmitsToSlurm(plan: Plan, store: CacheStore, only: string[] = [], force: string[] = []): Promise<boolean> {
  const selected = selectNodes(plan, only).filter((n) => n.executor === 'slurm');
  if (!selected.length) return false;
  const forced = forcedKeys(selectNodes(plan, only), plan, force);
  for (const n of selected) {
    if (forced.has(n.key) || !(await store.lookup(n.key)).hit) return true;
  }
  return false;
}
