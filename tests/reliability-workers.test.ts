// A node that throws, hangs (busy loop or a promise that never settles),
// exhausts its worker's memory or kills its worker thread: the run reports each
// precisely, the pool replaces the worker, and the other branches finish. A
// node-level `timeout:` bounds any node.

import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertCacheClean, readSummary, removeScratch, runArgs, scratchDir, spawnCli, writeFaultNode } from './helpers/faults.js';
import { writeSpec } from './helpers/specs.js';

test('throw, hang, stall, out of memory and a dead worker: each reported, workers replaced, other branches finish', async () => {
  const dir = scratchDir('softlab-workers-');
  const T = JSON.stringify(writeFaultNode(dir));
  // a chain of healthy nodes that keeps going while the faulty ones break their workers
  const chain = [1, 2, 3, 4, 5]
    .map((i) => `  ok${i}:\n    type: ${T}\n${i > 1 ? `    inputs: { x: ok${i - 1}.data }\n` : ''}    params: { sleep_ms: 300, value: ${i} }\n`)
    .join('');
  const spec = writeSpec(
    dir,
    `pipeline: faults
nodes:
  thrower:
    type: ${T}
    params: { mode: throw }
  after_thrower:
    type: ${T}
    inputs: { x: thrower.data }
  hang:
    type: ${T}
    timeout: 1
    params: { mode: hang }
  stall:
    type: ${T}
    timeout: 0.5s
    params: { mode: stall }
  oom:
    type: ${T}
    params: { mode: oom }
  exit:
    type: ${T}
    params: { mode: exit }
${chain}`,
  );
  const cacheDir = path.join(dir, 'cache');
  const outDir = path.join(dir, 'out');
  const t0 = Date.now();
  const r = await spawnCli(runArgs(spec, cacheDir, outDir, ['--jobs', '2']), { env: { SOFTLAB_WORKER_HEAP_MB: '64' } }).done;
  const output = r.stdout + r.stderr;
  assert.is(r.code, 1, output);
  assert.ok(Date.now() - t0 < 30_000, 'bounded by the timeouts');
  const s = readSummary(outDir);
  const by = Object.fromEntries(s.nodes.map((n) => [n.name, n]));
  assert.is(by.thrower.failure?.kind, 'error');
  assert.match(by.thrower.failure!.message, 'fault node: cannot read properties');
  assert.is(by.after_thrower.status, 'skipped');
  assert.is(by.hang.failure?.kind, 'timeout');
  assert.match(by.hang.failure!.message, 'timed out after 1.0 s');
  assert.is(by.stall.failure?.kind, 'timeout');
  assert.is(by.oom.failure?.kind, 'out-of-memory', JSON.stringify(by.oom.failure));
  assert.is(by.exit.failure?.kind, 'worker-died', JSON.stringify(by.exit.failure));
  for (let i = 1; i <= 5; i++) assert.is(by[`ok${i}`].status, 'executed', `ok${i} finished`);
  for (const name of ['thrower', 'hang', 'stall', 'oom', 'exit']) assert.match(output, new RegExp(`FAILED\\s+${name} \\(test-fault\\)`), `the run reports ${name}`);
  assert.not.match(output, /internal error/);
  // the broken workers' staging folders are gone, not left for the next run to clean
  await assertCacheClean(cacheDir, 'right after the faults');
  // a later run (the pool made afresh) takes the healthy chain from the cache and leaves nothing behind
  const again = await spawnCli(runArgs(spec, cacheDir, outDir, ['--only', 'ok5'])).done;
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.equal(readSummary(outDir).counts, { executed: 0, cached: 5, failed: 0, skipped: 0 });
  await assertCacheClean(cacheDir, 'after a later run');
});

test.after(removeScratch);

test.run();
