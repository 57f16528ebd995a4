// Run records in the cache directory: which keys each run used (so `gc` keeps
// what recent runs need) and how each node's key was derived (so `status` can
// say why a node is stale: params, inputs or code changed).

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../cache/fs-atomic.js';
import type { KeyParts } from '../../cache/key.js';
import type { Plan } from '../plan/build.js';

export interface RunRecord {
  pipeline: string;
  specFile: string;
  time: string;
  keys: string[];
  /** `<variant>/<node name>` -> how its key was made */
  nodes: Record<string, { key: string; parts: KeyParts }>;
}

function recordsDir(cacheDir: string): string {
  return path.join(cacheDir, 'runs');
}

export async function writeRunRecord(cacheDir: string, plan: Plan, keys: string[]): Promise<void> {
  const rec: RunRecord = {
    pipeline: plan.pipeline,
    specFile: path.resolve(plan.specFile),
    time: new Date().toISOString(),
    keys,
    nodes: {},
  };
  for (const v of plan.variants) for (const [name, key] of v.nodes) rec.nodes[`${v.id}/${name}`] = { key, parts: plan.byKey.get(key)!.keyParts };
  const file = path.join(recordsDir(cacheDir), `${rec.time.replace(/[:.]/g, '-')}-${process.pid}.json`);
  await writeFileAtomic(file, JSON.stringify(rec), path.join(cacheDir, 'tmp'));
}

export async function readRunRecords(cacheDir: string): Promise<{ file: string; record: RunRecord }[]> {
  const dir = recordsDir(cacheDir);
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  const out: { file: string; record: RunRecord }[] = [];
  for (const n of names) {
    try {
      out.push({ file: path.join(dir, n), record: JSON.parse(await readFile(path.join(dir, n), 'utf8')) as RunRecord });
    } catch {
      /* a record is advisory: skip unreadable ones */
    }
  }
  return out;
}

/** The newest record of a spec file, for explaining staleness. */
export async function latestRecordFor(cacheDir: string, specFile: string): Promise<RunRecord | undefined> {
  const abs = path.resolve(specFile);
  const all = await readRunRecords(cacheDir);
  for (let i = all.length - 1; i >= 0; i--) if (all[i].record.specFile === abs) return all[i].record;
  return undefined;
}
