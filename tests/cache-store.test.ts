// The content-addressed store: round trips, atomic commits under SIGKILL, and
// corruption that is detected, reported and never used.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheError, CacheStore } from '../cache/store.js';
import { tryLock } from '../cache/lock.js';
import { verifyCache } from '../runner/commands/verify.js';
import { ROOT, tempDir } from './helpers/specs.js';

async function commitOne(store: CacheStore, key: string, files: Record<string, string>) {
  const staging = store.makeStagingDirSync('t');
  const dir = path.join(staging, 'out');
  mkdirSync(dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return store.commit({ key, name: 'n', type: 't', durationMs: 5, softlabVersion: 'test', info: { a: 1 }, logs: ['x'] }, { data: { kind: 'files', dir } });
}

test('commit then lookup round-trips; identical files are stored once; objects are read-only', async () => {
  const store = new CacheStore(tempDir());
  await commitOne(store, 'k1', { 'a.txt': 'same', 'sub/b.txt': 'other' });
  await commitOne(store, 'k2', { 'c.txt': 'same' });
  const r = await store.lookup('k1');
  assert.ok(r.hit);
  if (!r.hit) return;
  assert.equal(Object.keys(r.entry.outputs.data.files), ['a.txt', 'sub/b.txt']);
  assert.is((await store.listObjects()).length, 2);
  const obj = store.objectPath(r.entry.outputs.data.files['a.txt'].digest);
  assert.is(statSync(obj).mode & 0o222, 0);
  assert.is((await store.lookup('nope')).hit, false);
});

test('a corrupt object is detected on read, removed, and reported by verify', async () => {
  const store = new CacheStore(tempDir());
  const e = await commitOne(store, 'k1', { 'a.txt': 'hello world' });
  const ref = e.outputs.data.files['a.txt'];
  const p = store.objectPath(ref.digest);
  chmodSync(p, 0o644);
  const buf = readFileSync(p);
  buf[3] ^= 0xff; // a flipped byte: same size, so only the digest can tell
  writeFileSync(p, buf);
  assert.ok((await store.lookup('k1')).hit, 'size-level lookup cannot see a flipped byte');
  const v = await verifyCache(store);
  assert.equal(v.findings.map((f) => f.kind).sort(), ['corrupt-object', 'corrupt-object']);
  try {
    await store.verifiedObject(ref, 'n.data/a.txt');
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.instance(err, CacheError);
    assert.match((err as Error).message, /corrupt/);
  }
  assert.not.ok(existsSync(p), 'corrupt object removed');
  const r = await store.lookup('k1');
  assert.is(r.hit, false);
  if (!r.hit) assert.is(r.miss.kind, 'missing-object');
});

test('a truncated object, a garbage entry and a missing object are each a miss with a reason', async () => {
  const store = new CacheStore(tempDir());
  const e1 = await commitOne(store, 'k1', { 'a.txt': 'aaaaaaaaaa' });
  const p1 = store.objectPath(e1.outputs.data.files['a.txt'].digest);
  chmodSync(p1, 0o644);
  truncateSync(p1, 3);
  const r1 = await store.lookup('k1');
  assert.ok(!r1.hit && r1.miss.kind === 'missing-object');
  await commitOne(store, 'k2', { 'b.txt': 'b' });
  writeFileSync(store.entryPath('k2'), '{"not": "an entry"');
  const r2 = await store.lookup('k2');
  assert.ok(!r2.hit && r2.miss.kind === 'corrupt-entry');
  const e3 = await commitOne(store, 'k3', { 'c.txt': 'c' });
  const [line, checksum] = readFileSync(store.entryPath('k3'), 'utf8').split('\n');
  const entry = JSON.parse(line);
  entry.durationMs = 999; // edited by hand: the checksum no longer matches
  writeFileSync(store.entryPath('k3'), `${JSON.stringify(entry)}\n${checksum}\n`);
  const r3 = await store.lookup('k3');
  assert.ok(!r3.hit && r3.miss.kind === 'corrupt-entry');
  void e3;
  const v = await verifyCache(store);
  assert.equal(v.findings.map((f) => f.kind).sort(), ['corrupt-entry', 'corrupt-entry', 'corrupt-object', 'missing-object']);
});

test('a commit killed at any moment leaves no entry that is not whole', async () => {
  const dir = tempDir();
  const store = new CacheStore(dir);
  const kills = [5, 40, 80, 120, 200, 300];
  for (const ms of kills) {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests/fixtures/commit-loop.ts'), dir, '24'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (out.includes('start')) {
          clearInterval(check);
          setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, ms);
        }
      }, 2);
    });
    await new Promise((r) => child.on('close', r));
  }
  // every entry present is whole, every object intact
  const keys = await store.listEntryKeys();
  assert.ok(keys.length >= 1, 'some commits finished before a kill');
  for (const key of keys) {
    const r = await store.lookup(key);
    assert.ok(r.hit, `entry ${key} must be whole`);
  }
  const v = await verifyCache(store);
  assert.equal(v.findings, []);
  // the dead processes' staging folders are cleaned up
  await store.cleanupDeadProcesses();
  assert.equal(readdirSync(path.join(dir, 'tmp')), []);
});

test('per-key locks exclude each other and a dead owner is taken over', async () => {
  const dir = tempDir();
  const store = new CacheStore(dir);
  const l1 = await tryLock(store.lockPath('k'));
  assert.ok(l1);
  assert.is(await tryLock(store.lockPath('k')), undefined);
  await l1!.release();
  const l2 = await tryLock(store.lockPath('k'));
  assert.ok(l2);
  await l2!.release();
  // a lock left by a process that no longer exists
  mkdirSync(path.dirname(store.lockPath('dead')), { recursive: true });
  writeFileSync(store.lockPath('dead'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), token: 'x', since: '' }));
  const l3 = await tryLock(store.lockPath('dead'));
  assert.ok(l3, 'stale lock must be taken over');
  await l3!.release();
});

test.run();
