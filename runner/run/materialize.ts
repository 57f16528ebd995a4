// Results for people: each node's report folder (and its published ports) copied
// out of the cache to `<out>/<node>/`, or `<out>/<variant>/<node>/` in a sweep.
// Copies, never links into the cache, so editing a result cannot corrupt it. A
// small state file remembers which key each folder holds, so a cached rerun
// copies nothing.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { faultPoint } from '../../cache/faults.js';
import { writeFileAtomic } from '../../cache/fs-atomic.js';
import { pidAlive } from '../../cache/lock.js';
import { CacheError, REPORT_PORT, type CacheEntry, type CacheStore } from '../../cache/store.js';
import type { Plan, PlanNode } from '../plan/build.js';

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

/** Which key each results folder holds (relative folder -> key). */
async function readState(outDir: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(path.join(outDir, STATE_FILE), 'utf8')) as Record<string, string>;
  } catch {
    return {}; // first run into this folder
  }
}

/** The ports of a node that are copied into its results folder. */
function copiedPorts(node: PlanNode): string[] {
  return [REPORT_PORT, ...Object.entries(node.nodeType.def.outputs).filter(([, spec]) => spec.publish).map(([port]) => port)];
}

/**
 * For the scheduler (`verifyHit`): a cache hit whose files this run will copy
 * into the results folder has those objects digest-checked first, so a corrupt
 * one is quarantined and its node recomputed instead of failing the copy.
 * Returns the problem, if any.
 */
export function hitVerifier(plan: Plan, store: CacheStore, outDir: string): (node: PlanNode, entry: CacheEntry) => Promise<string | undefined> {
  let state: Promise<Record<string, string>> | undefined;
  return async (node, entry) => {
    state ??= readState(outDir);
    const held = await state;
    if (node.variants.every((v) => held[path.relative(outDir, nodeOutDir(plan, outDir, v, node.name))] === entry.key)) return undefined;
    try {
      for (const port of copiedPorts(node)) {
        for (const [rel, ref] of Object.entries(entry.outputs[port]?.files ?? {})) await store.verifiedObject(ref, `${node.name}.${port}/${rel}`);
      }
    } catch (e) {
      if (e instanceof CacheError) return e.message;
      throw e;
    }
    return undefined;
  };
}

/**
 * Copies finished nodes' reports (and published ports) out of the cache while
 * the run goes on: `add` starts a node's copy as soon as it is done, so a cold
 * run's copying overlaps the nodes still running instead of following them all;
 * `finish` waits for the copies and records which key each folder holds. A node
 * whose objects turn out corrupt here is left out with a warning (its folder is
 * not marked as holding the key, so the next run copies it again).
 */
export class Materializer {
  private readonly ready: Promise<Record<string, string>>;
  private readonly copies = new Map<string, { entry: CacheEntry; done: Promise<void> }>();
  /** folder (relative to outDir) -> key it now holds, or null: copy failed */
  private readonly updates: Record<string, string | null> = {};

  constructor(
    private readonly plan: Plan,
    private readonly store: CacheStore,
    private readonly outDir: string,
    private readonly warn: (message: string, key: string) => void = () => undefined,
  ) {
    this.ready = (async () => {
      await mkdir(outDir, { recursive: true });
      const ours = new Set([STATE_FILE, ...plan.nodeNames]);
      for (const parent of new Set([outDir, ...plan.variants.map((v) => path.dirname(nodeOutDir(plan, outDir, v.id, '_')))])) await removeDeadTempFiles(parent, ours);
      return readState(outDir);
    })();
    this.ready.catch(() => undefined); // reported by finish()
  }

  /** A node is done: copy its results now (objects are verified as they are copied). */
  add(key: string, entry: CacheEntry): void {
    const prev = this.copies.get(key);
    if (prev?.entry === entry) return;
    // a key done again (recomputed after a corrupt object) is copied after its earlier copy
    const done = (prev?.done ?? Promise.resolve()).then(() => this.copy(key, entry));
    done.catch(() => undefined); // reported by finish()
    this.copies.set(key, { entry, done });
  }

  /** Copy whatever of `entries` was not added yet, wait for every copy, and record the folders' keys. */
  async finish(entries: Map<string, CacheEntry>): Promise<MaterializedNode[]> {
    for (const [key, entry] of entries) this.add(key, entry);
    const state = await this.ready;
    for (const c of this.copies.values()) await c.done;
    const out: MaterializedNode[] = [];
    for (const v of this.plan.variants) {
      for (const [name, key] of v.nodes) {
        if (!entries.has(key)) continue;
        const dir = nodeOutDir(this.plan, this.outDir, v.id, name);
        const rel = path.relative(this.outDir, dir);
        const held = rel in this.updates ? this.updates[rel] : state[rel];
        if (held === key) out.push({ variant: v.id, name, type: this.plan.byKey.get(key)!.type, key, dir });
      }
    }
    if (Object.keys(this.updates).length) {
      // another run may have written the state meanwhile (two runs into one folder): apply our changes to its latest version
      const latest = { ...(await readState(this.outDir)) };
      for (const [rel, key] of Object.entries(this.updates)) {
        if (key === null) delete latest[rel];
        else latest[rel] = key;
      }
      await writeFileAtomic(path.join(this.outDir, STATE_FILE), JSON.stringify(latest, null, 1), this.outDir);
    }
    return out;
  }

  private places: Map<string, { variant: string; name: string }[]> | undefined;

  /** Where a key's results go: every (variant, node name) that has it (identical nodes share a key). */
  private placesOf(key: string): { variant: string; name: string }[] {
    if (!this.places) {
      this.places = new Map();
      for (const v of this.plan.variants) {
        for (const [name, k] of v.nodes) {
          let list = this.places.get(k);
          if (!list) this.places.set(k, (list = []));
          list.push({ variant: v.id, name });
        }
      }
    }
    return this.places.get(key) ?? [];
  }

  private async copy(key: string, entry: CacheEntry): Promise<void> {
    const state = await this.ready;
    const node = this.plan.byKey.get(key);
    if (!node) return;
    for (const { variant, name } of this.placesOf(key)) {
      const dir = nodeOutDir(this.plan, this.outDir, variant, name);
      const rel = path.relative(this.outDir, dir);
      if ((rel in this.updates ? this.updates[rel] : state[rel]) === key) continue;
      try {
        await replaceDir(dir, async (fresher) => {
          for (const port of copiedPorts(node)) await this.store.copyPortTo(entry, port, port === REPORT_PORT ? fresher : path.join(fresher, port));
        });
      } catch (e) {
        if (!(e instanceof CacheError)) throw e;
        this.warn(`could not copy the results of node "${name}": ${e.message}`, key);
        this.updates[rel] = null;
        continue;
      }
      this.updates[rel] = key;
      faultPoint('materialize:copied');
    }
  }
}

/**
 * Fill a fresh sibling folder, then swap it in for `dir`: a reader (or a second
 * run copying into the same results folder) never sees a half-copied folder,
 * and the last run to finish wins. Sibling names carry the pid, so what a
 * killed run leaves is recognised and removed (removeDeadTempFiles).
 */
async function replaceDir(dir: string, fill: (fresh: string) => Promise<void>): Promise<void> {
  const tag = `${process.pid}.${randomBytes(4).toString('hex')}`;
  const fresh = `${dir}.${tag}.tmp`;
  await mkdir(fresh, { recursive: true });
  try {
    await fill(fresh);
    faultPoint('materialize:filled');
    for (let attempt = 0; ; attempt++) {
      const old = `${dir}.${tag}.old${attempt}`;
      await rename(dir, old).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      try {
        await rename(fresh, dir);
        await rm(old, { recursive: true, force: true });
        return;
      } catch (e) {
        await rm(old, { recursive: true, force: true });
        // another run swapped its copy in between our two renames: move it aside too
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 5) throw e;
      }
    }
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
}

/**
 * What runs killed while materialising left in a results folder: the state
 * file's temp files, half-copied and set-aside node folders (`<name>.<pid>.<hex>.tmp|oldN`
 * for a name in `ours`, whose process is gone).
 */
async function removeDeadTempFiles(dir: string, ours: Set<string>): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const m = /^(.+)\.(\d+)\.[0-9a-f]+\.(?:tmp|old\d+)$/.exec(name);
    if (m && ours.has(m[1]) && !pidAlive(Number(m[2]))) await rm(path.join(dir, name), { recursive: true, force: true });
  }
}
