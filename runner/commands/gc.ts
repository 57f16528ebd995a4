// `softlab gc`: remove cache entries no recent run (or given spec) references,
// then the objects no remaining entry holds, and say what was freed.

import { rm, stat, unlink } from 'node:fs/promises';
import { CacheStore } from '../../cache/store.js';
import { resolveCacheDir } from '../cli/args.js';
import { EXIT, UsageError } from '../cli/exit.js';
import { readRunRecords } from '../run/records.js';
import { loadPlanOrReport } from './load-plan.js';

/** Objects younger than this are left alone: a running commit may be about to reference them. */
const YOUNG_OBJECT_MS = 60 * 60 * 1000;

export async function gcCommand(opts: { spec: string[]; keepDays: string; dryRun?: boolean; cacheDir?: string }): Promise<number> {
  const keepDays = Number(opts.keepDays);
  if (!(keepDays >= 0)) throw new UsageError(`--keep-days ${opts.keepDays}: expected a number >= 0`);
  const store = new CacheStore(resolveCacheDir(opts.cacheDir));
  const keep = new Set<string>();
  for (const spec of opts.spec) {
    const plan = await loadPlanOrReport(spec, {});
    if (!plan) return EXIT.usage;
    for (const n of plan.nodes) keep.add(n.key);
  }
  const cutoff = Date.now() - keepDays * 86_400_000;
  const oldRecords: string[] = [];
  for (const { file, record } of await readRunRecords(store.root)) {
    if (Date.parse(record.time) >= cutoff) for (const k of record.keys) keep.add(k);
    else oldRecords.push(file);
  }
  const removedEntries: string[] = [];
  const held = new Set<string>();
  for (const key of await store.listEntryKeys()) {
    if (keep.has(key)) {
      const e = await store.readEntry(key);
      if (e) for (const p of Object.values(e.outputs)) for (const ref of Object.values(p.files)) held.add(ref.digest);
      continue;
    }
    removedEntries.push(key);
    if (!opts.dryRun) await unlink(store.entryPath(key)).catch(() => undefined);
  }
  // views hard-link objects: a removed entry's view would keep its objects' space in use
  if (!opts.dryRun) await store.removeViews(new Set(await store.listEntryKeys()));
  let freedBytes = 0;
  let removedObjects = 0;
  for (const { digest, file } of await store.listObjects()) {
    if (held.has(digest)) continue;
    const st = await stat(file).catch(() => undefined);
    if (!st || Date.now() - st.mtimeMs < YOUNG_OBJECT_MS) continue;
    freedBytes += st.size;
    removedObjects++;
    if (!opts.dryRun) await rm(file, { force: true });
  }
  if (!opts.dryRun) for (const f of oldRecords) await unlink(f).catch(() => undefined);
  const verb = opts.dryRun ? 'would remove' : 'removed';
  process.stdout.write(
    `${verb} ${removedEntries.length} entr${removedEntries.length === 1 ? 'y' : 'ies'} and ${removedObjects} object${removedObjects === 1 ? '' : 's'}, ` +
      `${opts.dryRun ? 'freeing' : 'freed'} ${formatBytes(freedBytes)} (kept ${keep.size} keys referenced by runs of the last ${keepDays} days${opts.spec.length ? ' and the given specs' : ''})\n`,
  );
  return EXIT.ok;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
