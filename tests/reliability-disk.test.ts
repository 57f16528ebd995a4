// Disk full: the cache lives on a small tmpfs mounted by the test, which is
// filled up while a run is under way. The run fails with a clear message naming
// the cache directory and exits 1, leaves no partial entry (every entry whole,
// verify clean, no temp file or lock), and once space is freed a rerun finishes,
// taking what was done before the disk filled from the cache.

import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheStore } from '../cache/store.js';
import { assertCacheClean, readSummary, removeScratch, reportedDone, runArgs, scratchDir, spawnCli, waitForOutput, writeSmallPipeline } from './helpers/faults.js';


/** Mount a tmpfs of `size` at `dir`; false when this process may not mount (not root). */
function mountTmpfs(dir: string, size: string): boolean {
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return true;
  } catch (e) {
    console.log(`  (disk-full test not run: cannot mount a tmpfs: ${String((e as { stderr?: Buffer }).stderr ?? e).trim()})`);
    return false;
  }
}

/** Write zeros until the file system says it is full. */
function fillUp(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let bytes = 0;
  try {
    for (;;) bytes += writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return bytes;
}

test('a disk that fills mid-run: exit 1 naming the cache dir, no partial entry, a rerun completes once space is freed', async () => {
  const dir = scratchDir('softlab-disk-');
  const mnt = path.join(dir, 'small-disk');
  if (!mountTmpfs(mnt, '8m')) return;
  try {
    const spec = writeSmallPipeline(dir);
    const cacheDir = path.join(mnt, 'cache');
    const outDir = path.join(dir, 'out');
    const filler = path.join(mnt, 'filler');

    const run = spawnCli(runArgs(spec, cacheDir, outDir));
    // the first node is done; the rest are still to come when the disk fills
    await waitForOutput(run, (o) => /done\s+cafe \(/.test(o));
    const filled = fillUp(filler);
    assert.ok(filled > 0, 'something was written before the disk was full');
    const r = await run.done;
    const output = r.stdout + r.stderr;
    assert.is(r.code, 1, output);
    assert.match(output, `no space left on the device of cache directory ${cacheDir}`);
    assert.not.match(output, /internal error|\n\s+at /, 'no stack trace');
    const failed = readSummary(outDir).nodes.filter((n) => n.status === 'failed');
    assert.ok(failed.length >= 1, 'some node failed for lack of space');
    for (const n of failed) assert.is(n.failure?.kind, 'cache', `${n.name}: ${n.failure?.message}`);

    // no partial entry: every entry there is whole; nothing half-written is left
    const store = new CacheStore(cacheDir);
    for (const key of await store.listEntryKeys()) assert.ok((await store.lookup(key)).hit, `entry ${key} is whole`);
    await assertCacheClean(cacheDir, 'after the disk filled');

    rmSync(filler);
    const done = new Set(reportedDone(r.stdout));
    const again = await spawnCli(runArgs(spec, cacheDir, outDir)).done;
    assert.is(again.code, 0, again.stdout + again.stderr);
    const summary = readSummary(outDir);
    assert.is(summary.status, 'ok');
    for (const n of summary.nodes) if (done.has(n.name)) assert.is(n.status, 'cached', `${n.name} was done before the disk filled`);
    assert.ok(summary.counts.executed >= failed.length, 'what failed was computed on the rerun');
    await assertCacheClean(cacheDir, 'after the rerun');
  } finally {
    execFileSync('umount', [mnt]);
  }
});

test('a run that starts on a full disk fails cleanly (the first lock cannot be written), and runs once space is freed', async () => {
  const dir = scratchDir('softlab-disk-');
  const mnt = path.join(dir, 'small-disk');
  if (!mountTmpfs(mnt, '1m')) return;
  try {
    const spec = writeSmallPipeline(dir);
    const cacheDir = path.join(mnt, 'cache');
    const outDir = path.join(dir, 'out');
    mkdirSync(path.join(cacheDir, 'locks'), { recursive: true });
    mkdirSync(path.join(cacheDir, 'tmp'), { recursive: true });
    fillUp(path.join(mnt, 'filler'));
    const r = await spawnCli(runArgs(spec, cacheDir, outDir)).done;
    const output = r.stdout + r.stderr;
    assert.is(r.code, 1, output);
    assert.match(output, `no space left on the device of cache directory ${cacheDir}`);
    assert.not.match(output, /internal error|\n\s+at /, 'no stack trace');
    assert.is(readSummary(outDir).nodes.find((n) => n.name === 'cafe')?.failure?.kind, 'cache');
    await assertCacheClean(cacheDir, 'after a run on a full disk');
    rmSync(path.join(mnt, 'filler'));
    const again = await spawnCli(runArgs(spec, cacheDir, outDir)).done;
    assert.is(again.code, 0, again.stdout + again.stderr);
    await assertCacheClean(cacheDir, 'after the rerun');
  } finally {
    execFileSync('umount', [mnt]);
  }
});

test.after(removeScratch);

test.run();
