// The CLI contract: commands, exit codes (0 ok, 1 node failed, 2 bad spec or
// usage, 130 interrupted), --json, --dry-run, status, gc, verify, and two runs
// sharing one cache.

import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheStore } from '../cache/store.js';
import { cli } from './helpers/run.js';
import { EMIT_NODE, tempDir, writeSpec } from './helpers/specs.js';

const T = JSON.stringify(EMIT_NODE);

function chain(marker: string, bValue = 2, sleep = 0): string {
  return `pipeline: chain
params: { base: 1 }
nodes:
  a:
    type: ${T}
    params: { value: "\${params.base}", marker: ${JSON.stringify(marker)}, sleep_ms: ${sleep} }
  b:
    type: ${T}
    inputs: { x: a.data }
    params: { value: ${bValue}, marker: ${JSON.stringify(marker)}, sleep_ms: ${sleep} }
  c:
    type: ${T}
    inputs: { x: b.data }
    params: { marker: ${JSON.stringify(marker)} }
`;
}

function noStack(s: string): void {
  assert.not.match(s, /\n\s+at /, 'no stack trace');
}

test('validate: 0 for a valid spec, 2 with located lines for a broken one', async () => {
  const dir = tempDir();
  const good = writeSpec(dir, chain(path.join(dir, 'm')));
  const ok = await cli(['validate', good]);
  assert.is(ok.code, 0);
  assert.match(ok.stdout, /valid: pipeline "chain", 3 nodes/);
  const bad = writeSpec(dir, `pipeline: t\nnodes:\n  a:\n    type: trian-soft\n  b:\n    type: ${T}\n    params: { value: -1 }\n`, 'bad.yaml');
  const r = await cli(['validate', bad]);
  assert.is(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 2);
  assert.match(lines[0], /bad\.yaml:4:11: unknown node type "trian-soft"/);
  assert.match(lines[1], /bad\.yaml:7:22: param "value" must be >= 0/);
  noStack(r.stderr);
  const run = await cli(['run', bad, '--cache-dir', path.join(dir, 'cache')]);
  assert.is(run.code, 2);
  noStack(run.stderr);
  const missing = await cli(['run', path.join(dir, 'nope.yaml')]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /nope\.yaml:1:1: cannot read spec: no such file/);
});

test('run --json prints the summary; a rerun is fully cached; status explains staleness', async () => {
  const dir = tempDir();
  const marker = path.join(dir, 'm');
  const spec = writeSpec(dir, chain(marker));
  const cacheDir = path.join(dir, 'cache');
  const out = path.join(dir, 'out');
  const r1 = await cli(['run', spec, '--json', '--cache-dir', cacheDir, '--out', out]);
  assert.is(r1.code, 0, r1.stderr);
  const s1 = JSON.parse(r1.stdout);
  assert.is(s1.pipeline, 'chain');
  assert.is(s1.status, 'ok');
  assert.equal(s1.counts, { executed: 3, cached: 0, failed: 0, skipped: 0 });
  assert.equal(Object.keys(s1.nodes[0]).filter((k) => ['name', 'type', 'key', 'status', 'durationMs', 'variants'].includes(k)).length, 6);
  assert.equal(s1.variants, [{ id: 'default', params: {}, status: 'ok' }]);
  assert.equal(JSON.parse(readFileSync(path.join(out, 'summary.json'), 'utf8')).counts, s1.counts);
  const r2 = await cli(['run', spec, '--json', '--cache-dir', cacheDir, '--out', out]);
  assert.equal(JSON.parse(r2.stdout).counts, { executed: 0, cached: 3, failed: 0, skipped: 0 });

  const st1 = await cli(['status', spec, '--cache-dir', cacheDir]);
  assert.match(st1.stdout, /3 cached, 0 stale/);
  const st2 = await cli(['status', spec, '--cache-dir', cacheDir, '--set', 'b.value=9']);
  assert.match(st2.stdout, /cached\s+a\s/);
  assert.match(st2.stdout, /stale\s+b\s+test-emit\s+params changed \(value: 2 → 9\)/);
  assert.match(st2.stdout, /stale\s+c\s+test-emit\s+upstream "b" changed/);

  const dry = await cli(['run', spec, '--dry-run', '--cache-dir', cacheDir, '--set', 'params.base=5']);
  assert.is(dry.code, 0);
  assert.match(dry.stdout, /unique nodes: 3, cached: 0, to execute: 3/);
  assert.equal(readFileSync(marker, 'utf8').trim().split('\n').length, 3, 'dry run executed nothing');
});

test('exit 1 when a node fails; usage errors exit 2', async () => {
  const dir = tempDir();
  const spec = writeSpec(dir, `pipeline: f\nnodes:\n  a:\n    type: ${T}\n    params: { fail: true }\n`);
  const r = await cli(['run', spec, '--cache-dir', path.join(dir, 'cache'), '--out', path.join(dir, 'out')]);
  assert.is(r.code, 1);
  assert.match(r.stdout, /FAILED/);
  const u = await cli(['run', spec, '--only', 'zzz', '--cache-dir', path.join(dir, 'cache')]);
  assert.is(u.code, 2);
  assert.match(u.stderr, /no node "zzz"/);
  const s = await cli(['run', spec, '--set', 'novalue', '--cache-dir', path.join(dir, 'cache')]);
  assert.is(s.code, 2);
  noStack(s.stderr);
  const unknown = await cli(['frobnicate']);
  assert.is(unknown.code, 2);
});

test('dag in three formats; nodes lists the types', async () => {
  const dir = tempDir();
  const spec = writeSpec(dir, chain(path.join(dir, 'm')));
  const text = await cli(['dag', spec]);
  assert.match(text.stdout, /b\s+test-emit\s+← a \(data → x\)/);
  const mermaid = await cli(['dag', spec, '--format', 'mermaid']);
  assert.match(mermaid.stdout, /^flowchart TD/);
  assert.match(mermaid.stdout, /a -->\|data → x\| b/);
  const dot = await cli(['dag', spec, '--format', 'dot']);
  assert.match(dot.stdout, /"a" -> "b" \[label="data → x"\]/);
  const nodes = await cli(['nodes', 'command']);
  assert.match(nodes.stdout, /command {2}\(v1\)/);
  assert.match(nodes.stdout, /deps: array = \[\]/);
});

test('verify finds a corrupt object (exit 1); gc frees what no run references', async () => {
  const dir = tempDir();
  const spec = writeSpec(dir, chain(path.join(dir, 'm')));
  const cacheDir = path.join(dir, 'cache');
  await cli(['run', spec, '--cache-dir', cacheDir, '--out', path.join(dir, 'out')]);
  const clean = await cli(['verify', '--cache-dir', cacheDir]);
  assert.is(clean.code, 0, clean.stdout);
  assert.match(clean.stdout, /all good/);
  const store = new CacheStore(cacheDir);
  const [obj] = await store.listObjects();
  chmodSync(obj.file, 0o644);
  writeFileSync(obj.file, readFileSync(obj.file).subarray(1));
  const bad = await cli(['verify', '--cache-dir', cacheDir]);
  assert.is(bad.code, 1);
  assert.match(bad.stdout, /corrupt-object/);
  // a run of another spec version leaves the old entries unreferenced once records expire
  const gcNone = await cli(['gc', '--cache-dir', cacheDir]);
  assert.match(gcNone.stdout, /removed 0 entries/);
  const gcAll = await cli(['gc', '--cache-dir', cacheDir, '--keep-days', '0']);
  assert.match(gcAll.stdout, /removed 3 entries/);
  assert.equal(await store.listEntryKeys(), []);
});

test('two runs at once on one cache both succeed and compute each key once', async () => {
  const dir = tempDir();
  const marker = path.join(dir, 'm');
  const spec = writeSpec(dir, chain(marker, 2, 600));
  const cacheDir = path.join(dir, 'cache');
  const [r1, r2] = await Promise.all([
    cli(['run', spec, '--json', '--cache-dir', cacheDir, '--out', path.join(dir, 'o1')]),
    cli(['run', spec, '--json', '--cache-dir', cacheDir, '--out', path.join(dir, 'o2')]),
  ]);
  assert.is(r1.code, 0, r1.stderr);
  assert.is(r2.code, 0, r2.stderr);
  const lines = readFileSync(marker, 'utf8').trim().split('\n');
  assert.equal(lines.map((l) => l.split(' ')[0]).sort(), ['a', 'b', 'c'], 'each node executed exactly once');
  const c1 = JSON.parse(r1.stdout).counts;
  const c2 = JSON.parse(r2.stdout).counts;
  assert.is(c1.executed + c2.executed, 3);
  assert.is(c1.cached + c2.cached, 3);
  assert.is(readFileSync(path.join(dir, 'o1/c/summary.json'), 'utf8'), readFileSync(path.join(dir, 'o2/c/summary.json'), 'utf8'));
});

test.run();
