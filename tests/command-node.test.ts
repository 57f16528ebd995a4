// The `command` node: a shell step whose deps enter the key and whose outs are
// cached and restored, with inputs passed as environment variables.

import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheStore } from '../cache/store.js';
import { cli, runSpec } from './helpers/run.js';
import { tempDir, writeSpec } from './helpers/specs.js';

function pipeline(): string {
  return `pipeline: cmd
nodes:
  prep:
    type: command
    params:
      run: "tr a-z A-Z < input.txt > out/upper.txt && echo prepared"
      deps: [input.txt]
      outs: [out/upper.txt]
  count:
    type: command
    inputs: { upper: prep.outs, raw: { file: input.txt } }
    params:
      run: "wc -c < $upper/out/upper.txt | tr -d ' ' > count.txt && cat $raw > copy.txt"
      outs: [count.txt, copy.txt]
`;
}

test('runs in the spec folder, passes inputs as env vars, caches and restores outs', async () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'input.txt'), 'hello\n');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path.join(dir, 'out'));
  const spec = writeSpec(dir, pipeline());
  const opts = { cacheDir: path.join(dir, 'cache'), outDir: path.join(dir, 'results') };
  const r1 = await runSpec(spec, opts);
  assert.is(r1.summary.status, 'ok', JSON.stringify(r1.summary.nodes.map((n) => n.failure)));
  assert.is(readFileSync(path.join(dir, 'out/upper.txt'), 'utf8'), 'HELLO\n');
  assert.is(readFileSync(path.join(dir, 'count.txt'), 'utf8').trim(), '6');
  assert.is(readFileSync(path.join(dir, 'copy.txt'), 'utf8'), 'hello\n');
  const logs = r1.events.filter((e) => e.type === 'node-log').map((e) => (e.type === 'node-log' ? e.message : ''));
  assert.ok(logs.includes('prepared'), 'stdout lines become log events');

  // outs deleted by the user come back from the cache on a hit
  rmSync(path.join(dir, 'count.txt'));
  writeFileSync(path.join(dir, 'out/upper.txt'), 'edited by hand\n');
  const r2 = await runSpec(spec, opts);
  assert.equal(r2.summary.counts, { executed: 0, cached: 2, failed: 0, skipped: 0 });
  assert.is(readFileSync(path.join(dir, 'count.txt'), 'utf8').trim(), '6');
  assert.is(readFileSync(path.join(dir, 'out/upper.txt'), 'utf8'), 'HELLO\n');

  // a dependency's contents are part of the key
  writeFileSync(path.join(dir, 'input.txt'), 'hello world\n');
  const r3 = await runSpec(spec, opts);
  assert.equal(r3.summary.counts, { executed: 2, cached: 0, failed: 0, skipped: 0 });
  assert.is(readFileSync(path.join(dir, 'count.txt'), 'utf8').trim(), '12');
});

test('a missing declared out and a failing command are failures with a clear kind', async () => {
  const dir = tempDir();
  const spec = writeSpec(
    dir,
    `pipeline: bad
nodes:
  lazy:
    type: command
    params: { run: "echo nothing", outs: [never.txt] }
  broken:
    type: command
    params: { run: "echo oops >&2; exit 3" }
`,
  );
  const r = await runSpec(spec, { cacheDir: path.join(dir, 'cache'), outDir: path.join(dir, 'results') });
  const lazy = r.summary.nodes.find((n) => n.name === 'lazy')!;
  const broken = r.summary.nodes.find((n) => n.name === 'broken')!;
  assert.is(lazy.failure?.kind, 'missing-output');
  assert.match(lazy.failure!.message, /never\.txt/);
  assert.is(broken.failure?.kind, 'command-exit');
  assert.match(broken.failure!.message, /status 3/);
  const failed = r.events.find((e) => e.type === 'node-failed' && e.key === broken.key);
  assert.ok(failed && failed.type === 'node-failed' && failed.logTail.some((l) => l.includes('oops')));
  assert.not.ok(existsSync(path.join(dir, 'never.txt')));
});

test('a command that outlives its timeout is stopped with its children (commands run on the scheduler thread)', async () => {
  const dir = tempDir();
  const spec = writeSpec(
    dir,
    `pipeline: slow
nodes:
  sleepy:
    type: command
    timeout: 0.5
    params: { run: "sleep 30 & echo $! > child.pid; wait" }
`,
  );
  const t0 = Date.now();
  const r = await runSpec(spec, { cacheDir: path.join(dir, 'cache'), outDir: path.join(dir, 'results') });
  const node = r.summary.nodes.find((n) => n.name === 'sleepy')!;
  assert.is(node.failure?.kind, 'timeout');
  assert.ok(Date.now() - t0 < 10_000, 'the run ends soon after the timeout');
  const child = Number(readFileSync(path.join(dir, 'child.pid'), 'utf8'));
  await new Promise((r) => setTimeout(r, 200));
  // gone, or a zombie nobody reaps (it was orphaned; PID 1 may not reap in a container)
  const state = (() => {
    try {
      return readFileSync(`/proc/${child}/stat`, 'utf8').replace(/^.*\) /, '')[0];
    } catch {
      return 'gone';
    }
  })();
  assert.ok(state === 'gone' || state === 'Z', `the command's background child is gone too (state ${state})`);
});

test('a big out is hashed without blocking, cached whole and restored intact', async () => {
  const dir = tempDir();
  const spec = writeSpec(
    dir,
    `pipeline: big
nodes:
  make:
    type: command
    params: { run: "head -c 3000000 /dev/urandom > big.bin", outs: [big.bin] }
`,
  );
  const opts = { cacheDir: path.join(dir, 'cache'), outDir: path.join(dir, 'results') };
  const r1 = await runSpec(spec, opts);
  assert.is(r1.summary.status, 'ok');
  const original = readFileSync(path.join(dir, 'big.bin'));
  assert.is(original.length, 3_000_000);
  rmSync(path.join(dir, 'big.bin'));
  const r2 = await runSpec(spec, opts);
  assert.equal(r2.summary.counts, { executed: 0, cached: 1, failed: 0, skipped: 0 });
  assert.ok(readFileSync(path.join(dir, 'big.bin')).equals(original), 'the restored out is byte-identical');
});

test("a finished node's results are copied out while later nodes still run", async () => {
  const dir = tempDir();
  const results = path.join(dir, 'results');
  // "second" waits (up to 10 s) for the first node's results folder: it only
  // passes if results are copied out as each node finishes, not after the run
  const spec = writeSpec(
    dir,
    `pipeline: early
nodes:
  first:
    type: command
    params: { run: "echo 1 > one.txt", outs: [one.txt] }
  second:
    type: command
    inputs: { one: first.outs }
    params:
      env: { RESULTS: "${results}" }
      run: |
        for i in $(seq 100); do test -f "$RESULTS/first/summary.json" && break; sleep 0.1; done
        test -f "$RESULTS/first/summary.json" && echo seen > seen.txt
      outs: [seen.txt]
`,
  );
  const r = await runSpec(spec, { cacheDir: path.join(dir, 'cache'), outDir: results });
  assert.is(r.summary.status, 'ok', JSON.stringify(r.summary.nodes.map((n) => n.failure)));
  assert.is(readFileSync(path.join(dir, 'seen.txt'), 'utf8'), 'seen\n');
  assert.ok(existsSync(path.join(results, 'second', 'summary.json')));
});

test("an input folder is a shared view of the producer's objects, rebuilt when a file in it goes missing, dropped by gc", async () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'input.txt'), 'hello\n');
  mkdirSync(path.join(dir, 'out'));
  const spec = writeSpec(dir, pipeline());
  const cacheDir = path.join(dir, 'cache');
  const opts = { cacheDir, outDir: path.join(dir, 'results') };
  const r1 = await runSpec(spec, opts);
  assert.is(r1.summary.status, 'ok');
  const prepKey = r1.summary.nodes.find((n) => n.name === 'prep')!.key;
  const store = new CacheStore(cacheDir);
  const view = store.viewPath(prepKey, 'outs');
  const viewed = path.join(view, 'out', 'upper.txt');
  assert.is(readFileSync(viewed, 'utf8'), 'HELLO\n');
  // the view's file is the object itself (a hard link), not a copy
  const entry = (await store.readEntry(prepKey))!;
  assert.is(statSync(viewed).ino, statSync(store.objectPath(entry.outputs.outs.files['out/upper.txt'].digest)).ino);

  // a consumer that deleted a file from its input folder does not break the next one
  rmSync(viewed);
  const r2 = await runSpec(spec, { ...opts, force: ['count'] });
  assert.is(r2.summary.status, 'ok', JSON.stringify(r2.summary.nodes.map((n) => n.failure)));
  assert.is(readFileSync(path.join(dir, 'count.txt'), 'utf8').trim(), '6');
  assert.ok(existsSync(viewed), 'the view was rebuilt');

  // gc removes the views of the entries it removes
  const gc = await cli(['gc', '--keep-days', '0', '--cache-dir', cacheDir]);
  assert.is(gc.code, 0, gc.stderr);
  assert.not.ok(existsSync(view), 'the view of a removed entry is gone');
});

test('dependents start before an entry is stored; an entry that cannot be stored is a warning and is recomputed next run', async () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'input.txt'), 'hello\n');
  mkdirSync(path.join(dir, 'out'));
  const spec = writeSpec(dir, pipeline());
  const cacheDir = path.join(dir, 'cache');
  mkdirSync(cacheDir);
  // entries/ is a file: no entry can be written
  writeFileSync(path.join(cacheDir, 'entries'), 'not a folder');
  const opts = { cacheDir, outDir: path.join(dir, 'results') };
  const r1 = await runSpec(spec, opts);
  assert.is(r1.summary.status, 'ok', JSON.stringify(r1.summary.nodes.map((n) => n.failure)));
  assert.equal(r1.summary.counts, { executed: 2, cached: 0, failed: 0, skipped: 0 });
  const warnings = r1.events.filter((e) => e.type === 'warning').map((e) => (e.type === 'warning' ? e.message : ''));
  assert.ok(warnings.some((m) => /could not store the cache entry of node "prep"/.test(m)), warnings.join('\n'));
  assert.is(readFileSync(path.join(dir, 'count.txt'), 'utf8').trim(), '6');

  rmSync(path.join(cacheDir, 'entries'));
  const r2 = await runSpec(spec, opts);
  assert.equal(r2.summary.counts, { executed: 2, cached: 0, failed: 0, skipped: 0 }, 'nothing was cached by the first run');
  const r3 = await runSpec(spec, opts);
  assert.equal(r3.summary.counts, { executed: 0, cached: 2, failed: 0, skipped: 0 });
});

test('outs must stay inside the spec folder', async () => {
  const { planText } = await import('./helpers/specs.js');
  const { messages } = await planText('pipeline: t\nnodes:\n  a:\n    type: command\n    params: { run: x, outs: [../escape.txt] }\n');
  assert.equal(messages, ['spec.yaml:5:30: out "../escape.txt" must be a path inside the spec\'s folder (relative, no "..") [command]']);
});

test.run();
