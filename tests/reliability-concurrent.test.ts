// Several runs at once on one cache: the same spec twice (into one results
// folder, as two terminals with the default --out would) and an overlapping
// spec. All succeed, every key is computed exactly once across the runs, and
// the results are identical. And a run waiting for another's lock takes over
// when that other run is killed.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assertCacheClean, dataDigests, entriesByName, filesUnder, readSummary, removeScratch, runArgs, scratchDir, sleep, spawnCli, waitForOutput, writeSmallPipeline } from './helpers/faults.js';


test('three runs at once (same spec twice into one folder, an overlapping spec): all succeed, each key once, identical results', async () => {
  const dir = scratchDir('softlab-concurrent-');
  const cacheDir = path.join(dir, 'cache');
  const spec1 = writeSmallPipeline(path.join(dir, 'a'));
  // the overlap: the same nodes (in another folder) plus two of its own
  const spec2 = writeSmallPipeline(path.join(dir, 'b'), 'small.yaml', 'overlap');
  writeFileSync(
    spec2,
    readFileSync(spec2, 'utf8') +
      `  lab_plurality:
    type: aggregate
    inputs: { dataset: cafe.dataset }
    params: { method: plurality }
  crowd_ds:
    type: aggregate
    inputs: { responses: filter.responses }
    params: { method: dawid-skene }
`,
  );
  const shared = path.join(dir, 'out-shared');
  const out2 = path.join(dir, 'out-overlap');
  const runs = await Promise.all([
    spawnCli(runArgs(spec1, cacheDir, shared)).done,
    spawnCli(runArgs(spec1, cacheDir, shared)).done,
    spawnCli(runArgs(spec2, cacheDir, out2)).done,
  ]);
  for (const r of runs) {
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.not.match(r.stdout + r.stderr, /internal error|warning/);
  }

  // each key executed by exactly one of the three runs
  const executions = new Map<string, number>();
  const lines = runs.map((r) => r.stdout);
  const plans = [readSummary(shared), readSummary(out2)];
  const nameToKey = new Map<string, string>();
  for (const s of plans) for (const n of s.nodes) nameToKey.set(`${s.pipeline}/${n.name}`, n.key);
  [spec1, spec1, spec2].forEach((_, i) => {
    const pipeline = i < 2 ? 'small' : 'overlap';
    for (const m of lines[i].matchAll(/^\S+ started\s+(\S+) \(/gm)) {
      const key = nameToKey.get(`${pipeline}/${m[1]}`)!;
      executions.set(key, (executions.get(key) ?? 0) + 1);
    }
  });
  const allKeys = new Set(nameToKey.values());
  assert.is(allKeys.size, 10, '8 shared nodes and 2 of the overlap');
  for (const key of allKeys) assert.is(executions.get(key), 1, `key ${key.slice(0, 12)} executed once across the runs`);

  // identical results: the shared nodes' outputs are the same objects; the shared folder is whole
  const e1 = await entriesByName(cacheDir, plans[0]);
  const e2 = await entriesByName(cacheDir, plans[1]);
  for (const name of Object.keys(e1)) assert.equal(dataDigests(e1[name]), dataDigests(e2[name]), name);
  for (const name of Object.keys(e1)) {
    assert.equal(filesUnder(path.join(shared, name)), filesUnder(path.join(out2, name)), `results folder of ${name}`);
  }
  assert.equal(readFileSync(path.join(dir, 'a', 'listing.txt'), 'utf8'), readFileSync(path.join(dir, 'b', 'listing.txt'), 'utf8'), 'the command\'s out restored in both spec folders');
  await assertCacheClean(cacheDir, 'after three runs at once');

  // cached runs copy their results out at the same moment: four into one fresh folder, twice
  for (let round = 0; round < 2; round++) {
    const out = path.join(dir, `out-cached-${round}`);
    const rs = await Promise.all([0, 1, 2, 3].map(() => spawnCli(runArgs(spec1, cacheDir, out)).done));
    for (const r of rs) assert.is(r.code, 0, r.stdout + r.stderr);
    assert.equal(filesUnder(out).filter((f) => !/^report\.|^summary\.json$|^dag\.svg$/.test(f)), filesUnder(shared).filter((f) => !/^report\.|^summary\.json$|^dag\.svg$/.test(f)), 'the same results folder');
  }
});

test('a run waiting on a lock that another run holds takes over when that run is SIGKILLed', async () => {
  const dir = scratchDir('softlab-takeover-');
  const cacheDir = path.join(dir, 'cache');
  const spec = writeSmallPipeline(dir);
  const a = spawnCli(runArgs(spec, cacheDir, path.join(dir, 'out-a')));
  await waitForOutput(a, (o) => /started\s+cafe \(/.test(o));
  const b = spawnCli(runArgs(spec, cacheDir, path.join(dir, 'out-b')));
  await sleep(700); // b is polling for cafe's lock now
  a.child.kill('SIGKILL');
  const rb = await b.done;
  assert.is(rb.code, 0, rb.stdout + rb.stderr);
  const s = readSummary(path.join(dir, 'out-b'));
  assert.is(s.nodes.find((n) => n.name === 'cafe')!.status, 'executed', 'b computed what a could not finish');
  assert.equal(s.counts, { executed: 8, cached: 0, failed: 0, skipped: 0 });
  await assertCacheClean(cacheDir, 'after the takeover');
});

test.after(removeScratch);

test.run();
