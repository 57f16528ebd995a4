// Corruption: a byte flipped in a cached object, a truncated object, an entry
// pointing to a missing object, a garbage entry file. `softlab verify` lists
// each; a rerun detects each when it reads it, warns naming the node, recomputes
// it, and ends with the same results as before; nothing crashes.

import { cpSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheStore, REPORT_PORT, type CacheEntry } from '../cache/store.js';
import type { RunSummary } from '../runner/events.js';
import { assertCacheClean, dataDigests, deleteObject, entriesByName, firstRef, flipByte, garbageEntry, readSummary, removeScratch, runArgs, scratchDir, spawnCli, truncateObject, writeSmallPipeline } from './helpers/faults.js';
import { cli } from './helpers/run.js';


let dir: string;
let spec: string;
let cleanCache: string;
let first: { summary: RunSummary; entries: Record<string, CacheEntry> };
let detected = 0;

test.before(async () => {
  dir = scratchDir('softlab-corrupt-');
  spec = writeSmallPipeline(dir);
  cleanCache = path.join(dir, 'clean-cache');
  const r = await spawnCli(runArgs(spec, cleanCache, path.join(dir, 'out0'))).done;
  assert.is(r.code, 0, r.stdout + r.stderr);
  const summary = readSummary(path.join(dir, 'out0'));
  first = { summary, entries: await entriesByName(cleanCache, summary) };
});

test.after(() => console.log(`  corruption cases detected and recomputed: ${detected}`));

/** The damage done, one case per node, each to a node whose output something in the rerun reads. */
const CASES: { node: string; damage: string; apply: (store: CacheStore, e: CacheEntry) => void }[] = [
  // read by lab (recomputed below, as its object is missing): detected by the digest check on input
  { node: 'cafe', damage: 'a byte flipped in its dataset', apply: (s, e) => flipByte(s, e.outputs.dataset.files['meta.json']) },
  { node: 'crowd', damage: 'its responses truncated', apply: (s, e) => truncateObject(s, firstRef(e, 'responses')) },
  { node: 'lab', damage: 'its entry points to a missing object', apply: (s, e) => deleteObject(s, firstRef(e, 'labels')) },
  { node: 'agreement', damage: 'a garbage entry file', apply: (s, e) => garbageEntry(s, e.key) },
  // a leaf's report: read only when copied into the results folder
  { node: 'filter', damage: 'a byte flipped in its report', apply: (s, e) => flipByte(s, e.outputs[REPORT_PORT].files['report.md']) },
];

test('verify lists every damaged object and entry; a rerun warns for each node, recomputes it, and ends clean', async () => {
  const cacheDir = path.join(dir, 'cache');
  cpSync(cleanCache, cacheDir, { recursive: true });
  const store = new CacheStore(cacheDir);
  for (const c of CASES) c.apply(store, first.entries[c.node]);

  const v = await cli(['verify', '--cache-dir', cacheDir]);
  assert.is(v.code, 1, v.stdout + v.stderr);
  for (const c of CASES) {
    if (c.node === 'agreement') assert.match(v.stdout, `corrupt-entry: ${store.entryPath(first.entries.agreement.key)}`);
    else assert.match(v.stdout, new RegExp(`\\(node "${c.node}"\\)`), `verify names ${c.node} (${c.damage})`);
  }
  assert.match(v.stdout, /problems/);

  const out = path.join(dir, 'out1');
  const r = await spawnCli(runArgs(spec, cacheDir, out)).done;
  assert.is(r.code, 0, r.stdout + r.stderr);
  const output = r.stdout + r.stderr;
  assert.not.match(output, /internal error|\n\s+at /);
  const warnings = output.split('\n').filter((l) => /\bwarning\b/.test(l));
  for (const c of CASES) {
    assert.ok(
      warnings.some((w) => w.includes(`"${c.node}"`) || new RegExp(`warning\\s+${c.node}:`).test(w)),
      `a warning names "${c.node}" (${c.damage}):\n${warnings.join('\n')}`,
    );
    detected++;
  }
  // two nodes read the corrupt dataset: its producer is recomputed once, not once per reader
  assert.is((output.match(/started\s+cafe \(/g) ?? []).length, 1, `cafe recomputed once:\n${output}`);
  const summary = readSummary(out);
  assert.is(summary.status, 'ok');
  const status = Object.fromEntries(summary.nodes.map((n) => [n.name, n.status]));
  for (const c of CASES) assert.is(status[c.node], 'executed', `${c.node} recomputed`);
  const after = await entriesByName(cacheDir, summary);
  for (const [name, e] of Object.entries(after)) assert.equal(dataDigests(e), dataDigests(first.entries[name]), `${name}: same results as before the damage`);
  await assertCacheClean(cacheDir, 'after the rerun');
});

test('each kind of damage on its own is a miss with a reason, never a hit', async () => {
  for (const c of CASES.slice(1, 4)) {
    const cacheDir = path.join(dir, `single-${c.node}`);
    cpSync(cleanCache, cacheDir, { recursive: true });
    const store = new CacheStore(cacheDir);
    c.apply(store, first.entries[c.node]);
    const r = await store.lookup(first.entries[c.node].key);
    assert.is(r.hit, false, `${c.node}: ${c.damage}`);
  }
});

test.after(removeScratch);

test.run();
