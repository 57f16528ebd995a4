// The scheduler end to end, in-process: execution and caching, failure
// isolation, --only, --force, corrupt inputs recomputed, results materialised.

import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheStore } from '../cache/store.js';
import { EMIT_NODE, tempDir, writeSpec } from './helpers/specs.js';
import { runSpec } from './helpers/run.js';

const T = JSON.stringify(EMIT_NODE);

/** a -> b -> d, a -> c (c can be told to fail); e independent */
function diamond(opts: { failC?: boolean; marker: string; sleep?: number }): string {
  const m = JSON.stringify(opts.marker);
  return `pipeline: diamond
nodes:
  a:
    type: ${T}
    params: { value: 1, marker: ${m} }
  b:
    type: ${T}
    inputs: { x: a.data }
    params: { value: 2, marker: ${m} }
  c:
    type: ${T}
    inputs: { x: a.data }
    params: { value: 3, marker: ${m}, fail: ${opts.failC ? 'true' : 'false'}, sleep_ms: ${opts.sleep ?? 0} }
  d:
    type: ${T}
    inputs: { x: b.data, y: c.data }
    params: { value: 4, marker: ${m} }
  e:
    type: ${T}
    params: { value: 5, marker: ${m} }
`;
}

function executed(marker: string): string[] {
  return existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' ')[0]).sort() : [];
}

test('a cold run executes everything; a rerun takes everything from the cache', async () => {
  const dir = tempDir();
  const marker = path.join(dir, 'marker.txt');
  const spec = writeSpec(dir, diamond({ marker }));
  const cacheDir = path.join(dir, 'cache');
  const outDir = path.join(dir, 'out');
  const r1 = await runSpec(spec, { cacheDir, outDir });
  assert.is(r1.summary.status, 'ok');
  assert.equal(r1.summary.counts, { executed: 5, cached: 0, failed: 0, skipped: 0 });
  assert.equal(executed(marker), ['a', 'b', 'c', 'd', 'e']);
  // d saw both inputs' values
  const d = JSON.parse(readFileSync(path.join(outDir, 'd', 'summary.json'), 'utf8'));
  assert.equal(d, { value: 4 });
  const saved = JSON.parse(readFileSync(path.join(outDir, 'summary.json'), 'utf8'));
  assert.is(saved.pipeline, 'diamond');
  assert.equal(saved.variants, [{ id: 'default', params: {}, status: 'ok' }]);
  const r2 = await runSpec(spec, { cacheDir, outDir });
  assert.equal(r2.summary.counts, { executed: 0, cached: 5, failed: 0, skipped: 0 });
  assert.equal(executed(marker), ['a', 'b', 'c', 'd', 'e'], 'nothing ran again');
  // events: run-started first, run-finished last, and one cached event per node
  assert.is(r2.events[0].type, 'run-started');
  assert.is(r2.events.at(-1)!.type, 'run-finished');
  assert.is(r2.events.filter((e) => e.type === 'node-cached').length, 5);
});

test('a failing node skips its dependents; independent branches finish; the failure is stored', async () => {
  const dir = tempDir();
  const marker = path.join(dir, 'marker.txt');
  const spec = writeSpec(dir, diamond({ marker, failC: true }));
  const r = await runSpec(spec, { cacheDir: path.join(dir, 'cache'), outDir: path.join(dir, 'out') });
  assert.is(r.summary.status, 'failed');
  const status = Object.fromEntries(r.summary.nodes.map((n) => [n.name, n.status]));
  assert.equal(status, { a: 'executed', b: 'executed', c: 'failed', d: 'skipped', e: 'executed' });
  const c = r.summary.nodes.find((n) => n.name === 'c')!;
  assert.is(c.failure?.kind, 'error');
  assert.match(c.failure!.message, /told to fail/);
  const failed = r.events.find((e) => e.type === 'node-failed');
  assert.ok(failed && failed.type === 'node-failed' && failed.logTail.some((l) => l.includes('emitting 3')), 'last log lines travel with the failure');
  assert.equal(r.summary.variants[0].status, 'failed');
});

test('--only runs a node and its upstream; --force re-executes it and its downstream', async () => {
  const dir = tempDir();
  const marker = path.join(dir, 'marker.txt');
  const spec = writeSpec(dir, diamond({ marker }));
  const cacheDir = path.join(dir, 'cache');
  const outDir = path.join(dir, 'out');
  const r1 = await runSpec(spec, { cacheDir, outDir, only: ['b'] });
  assert.equal(r1.summary.nodes.map((n) => n.name).sort(), ['a', 'b']);
  assert.equal(executed(marker), ['a', 'b']);
  await runSpec(spec, { cacheDir, outDir });
  writeFileSync(marker, '');
  const r2 = await runSpec(spec, { cacheDir, outDir, force: ['b'] });
  assert.equal(executed(marker), ['b', 'd']);
  assert.equal(r2.summary.counts, { executed: 2, cached: 3, failed: 0, skipped: 0 });
});

test('a corrupt object read by a downstream node is recomputed, with a warning naming the node', async () => {
  const dir = tempDir();
  const marker = path.join(dir, 'marker.txt');
  const spec = writeSpec(dir, diamond({ marker }));
  const cacheDir = path.join(dir, 'cache');
  const outDir = path.join(dir, 'out');
  const r1 = await runSpec(spec, { cacheDir, outDir });
  const store = new CacheStore(cacheDir);
  const aKey = r1.summary.nodes.find((n) => n.name === 'a')!.key;
  const entry = (await store.readEntry(aKey))!;
  const obj = store.objectPath(entry.outputs.data.files['value.json'].digest);
  chmodSync(obj, 0o644);
  const text = readFileSync(obj, 'utf8');
  assert.match(text, /"value": 1/);
  writeFileSync(obj, text.replace('"value": 1', '"value": 7'));
  writeFileSync(marker, '');
  const r2 = await runSpec(spec, { cacheDir, outDir, force: ['b'] });
  assert.is(r2.summary.status, 'ok');
  const warn = r2.events.find((e) => e.type === 'warning' && /corrupt/.test(e.message));
  assert.ok(warn && warn.type === 'warning' && /corrupt/.test(warn.message) && /"a"/.test(warn.message), 'warning names the producer');
  assert.ok(executed(marker).includes('a'), 'a was recomputed');
  const good = JSON.parse(readFileSync(store.objectPath((await store.readEntry(aKey))!.outputs.data.files['value.json'].digest), 'utf8'));
  assert.is(good.value, 1);
});

test('a node timeout fails the node, not the run', async () => {
  const dir = tempDir();
  const spec = writeSpec(
    dir,
    `pipeline: t\nnodes:\n  slow:\n    type: ${T}\n    timeout: 0.3\n    params: { sleep_ms: 5000 }\n  fast:\n    type: ${T}\n`,
  );
  const t0 = Date.now();
  const r = await runSpec(spec, { cacheDir: path.join(dir, 'cache'), outDir: path.join(dir, 'out') });
  assert.ok(Date.now() - t0 < 4000);
  const slow = r.summary.nodes.find((n) => n.name === 'slow')!;
  assert.is(slow.status, 'failed');
  assert.is(slow.failure?.kind, 'timeout');
  assert.is(r.summary.nodes.find((n) => n.name === 'fast')!.status, 'executed');
});

test('cancelling a run stops running nodes and leaves no entry for them', async () => {
  const dir = tempDir();
  const spec = writeSpec(dir, `pipeline: t\nnodes:\n  slow:\n    type: ${T}\n    params: { sleep_ms: 5000 }\n`);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 400);
  const cacheDir = path.join(dir, 'cache');
  const r = await runSpec(spec, { cacheDir, outDir: path.join(dir, 'out'), signal: ac.signal });
  assert.is(r.summary.status, 'interrupted');
  const store = new CacheStore(cacheDir);
  assert.equal(await store.listEntryKeys(), []);
});

test.run();
