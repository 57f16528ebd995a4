// Ctrl-C: once, running nodes are cancelled and the run exits 130; twice (an
// impatient user, a node that ignores cancellation), the run stops at once,
// still exit 130, with a consistent cache: verify is clean, finished nodes are
// kept, and after a rerun no lock or temp file is left.

import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheStore } from '../cache/store.js';
import { assertCacheClean, readSummary, removeScratch, runArgs, scratchDir, sleep, spawnCli, waitForOutput, writeFaultNode } from './helpers/faults.js';
import { cli } from './helpers/run.js';
import { writeSpec } from './helpers/specs.js';

function interruptSpec(dir: string): string {
  const T = JSON.stringify(writeFaultNode(dir));
  return writeSpec(
    dir,
    `pipeline: interrupt
params: { mode: hang }
nodes:
  quick:
    type: ${T}
  # ignores cancellation: a busy loop (the rerun sets params.mode=ok)
  stubborn:
    type: ${T}
    inputs: { x: quick.data }
    params: { mode: "\${params.mode}" }
  # cancels cleanly between units of work
  polite:
    type: ${T}
    inputs: { x: quick.data }
    params: { sleep_ms: 20000, value: 2 }
  after:
    type: ${T}
    inputs: { x: polite.data }
`,
  );
}

async function startAndWait(spec: string, cacheDir: string, outDir: string) {
  const run = spawnCli(runArgs(spec, cacheDir, outDir, ['--jobs', '2']));
  await waitForOutput(run, (o) => /started\s+stubborn/.test(o) && /started\s+polite/.test(o));
  await sleep(200);
  return run;
}

test('Ctrl-C twice: exit 130 at once, cache consistent, finished nodes kept, nothing left after a rerun', async () => {
  const dir = scratchDir('softlab-int2-');
  const spec = interruptSpec(dir);
  const cacheDir = path.join(dir, 'cache');
  const outDir = path.join(dir, 'out');
  const run = await startAndWait(spec, cacheDir, outDir);
  run.child.kill('SIGINT');
  await sleep(300);
  const t0 = Date.now();
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.is(r.code, 130, r.stdout + r.stderr);
  // at once: running nodes are stopped now, and the process exits within 2 s even if a worker does not answer
  assert.ok(Date.now() - t0 < 3_000, `the second Ctrl-C stops the run at once (took ${Date.now() - t0} ms)`);
  assert.not.match(r.stdout + r.stderr, /internal error|\n\s+at /);

  const v = await cli(['verify', '--cache-dir', cacheDir]);
  assert.is(v.code, 0, v.stdout);
  const store = new CacheStore(cacheDir);
  assert.is((await store.listEntryKeys()).length, 1, 'only "quick" finished');

  const again = await spawnCli(runArgs(spec, cacheDir, outDir, ['--set', 'params.mode=ok', '--set', 'polite.sleep_ms=0'])).done;
  assert.is(again.code, 0, again.stdout + again.stderr);
  const s = readSummary(outDir);
  assert.is(s.nodes.find((n) => n.name === 'quick')!.status, 'cached');
  assert.equal(s.counts, { executed: 3, cached: 1, failed: 0, skipped: 0 });
  await assertCacheClean(cacheDir, 'after the rerun');
});

test('Ctrl-C once: running nodes are cancelled, the rest skipped, exit 130, nothing half-written', async () => {
  const dir = scratchDir('softlab-int1-');
  const spec = interruptSpec(dir);
  const cacheDir = path.join(dir, 'cache');
  const outDir = path.join(dir, 'out');
  const run = await startAndWait(spec, cacheDir, outDir);
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.is(r.code, 130, r.stdout + r.stderr);
  const s = readSummary(outDir);
  assert.is(s.status, 'interrupted');
  const by = Object.fromEntries(s.nodes.map((n) => [n.name, n]));
  assert.is(by.quick.status, 'executed');
  assert.is(by.polite.failure?.kind, 'cancelled');
  assert.is(by.stubborn.failure?.kind, 'cancelled', 'a node that ignores the cancel is stopped after the grace period');
  assert.is(by.after.status, 'skipped');
  // nothing to clean up, not even by the next run
  await assertCacheClean(cacheDir, 'right after Ctrl-C');
});

test.after(removeScratch);

test.run();
