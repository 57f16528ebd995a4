// Results for people: each node's report folder (and its published ports) copied
// out of the cache to `<out>/<node>/`, or `<out>/<variant>/<node>/` in a sweep.
// Copies, never links into the cache, so editing a result cannot corrupt it. A
// small state file remembers which key each folder holds, so a cached rerun
// copies nothing.

import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../cache/fs-atomic.js';
import { REPORT_PORT, type CacheEntry, type CacheStore } from '../../cache/store.js';
import type { Plan } from '../plan/build.js';

export interface MaterializedNode {
  variant: string;
  name: string;
  type: string;
  key: string;
  dir: string;
}

const STATE_FILE = '.softlab-materialized.json';

export function nodeOutDir(plan: Plan, outDir: string, variant: string, name: string): string {
  return plan.sweep ? path.join(outDir, variant, name) : path.join(outDir, name);
}

export async function materialize(plan: Plan, store: CacheStore, entries: Map<string, CacheEntry>, outDir: string): Promise<MaterializedNode[]> {
  const statePath = path.join(outDir, STATE_FILE);
  let state: Record<string, string> = {};
  try {
    state = JSON.parse(await readFile(statePath, 'utf8')) as Record<string, string>;
  } catch {
    /* first run into this folder */
  }
  const done: MaterializedNode[] = [];
  let changed = false;
  for (const v of plan.variants) {
    for (const [name, key] of v.nodes) {
      const entry = entries.get(key);
      if (!entry) continue;
      const dir = nodeOutDir(plan, outDir, v.id, name);
      const rel = path.relative(outDir, dir);
      const node = plan.byKey.get(key)!;
      done.push({ variant: v.id, name, type: node.type, key, dir });
      if (state[rel] === key) continue;
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      await store.copyPortTo(entry, REPORT_PORT, dir);
      for (const [port, spec] of Object.entries(node.nodeType.def.outputs)) {
        if (spec.publish) await store.copyPortTo(entry, port, path.join(dir, port));
      }
      state[rel] = key;
      changed = true;
    }
  }
  if (changed) await writeFileAtomic(statePath, JSON.stringify(state, null, 1), outDir);
  return done;
}
