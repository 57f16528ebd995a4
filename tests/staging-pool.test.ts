// Staging folders reused between inline nodes: only a folder holding nothing but
// empty folders is reused (pruned to its skeleton); one with a file left is removed.

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CacheStore } from '../cache/store.js';
import { StagingPool } from '../runner/execute/staging-pool.js';
import { tempDir } from './helpers/specs.js';

test('an emptied staging folder is pruned to its skeleton and reused; one with files left is removed', () => {
  const store = new CacheStore(tempDir());
  const pool = new StagingPool(store);
  const a = pool.acquire('x');
  for (const d of ['work', 'report', 'out/outs/nested/deeper', 'out/model']) mkdirSync(path.join(a, d), { recursive: true });
  pool.release(a);
  assert.equal(readdirSync(a).sort(), ['out', 'report', 'work']);
  assert.equal(readdirSync(path.join(a, 'out')).sort(), ['model', 'outs'], 'port folders stay');
  assert.equal(readdirSync(path.join(a, 'out', 'outs')), [], 'what a node made inside a port is pruned');
  assert.is(pool.acquire('y'), a, 'the same folder is handed out again');

  mkdirSync(path.join(a, 'work', 'tmp'), { recursive: true });
  writeFileSync(path.join(a, 'work', 'tmp', 'left.bin'), 'x');
  pool.release(a);
  assert.not.ok(existsSync(a), 'a folder with a file left in it is removed');
  const b = pool.acquire('z');
  assert.is.not(b, a);
  pool.release(b);
  pool.close();
  assert.not.ok(existsSync(b), 'close removes the kept folders');
});

test.run();
