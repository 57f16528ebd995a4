// The built CLI (dist/, made by `npm run build` and by `npm install`): the esbuild
// bundle must behave as the sources do. The rest of the suite runs the sources.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir } from './helpers/specs.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILT = path.join(ROOT, 'dist', 'runner', 'cli', 'main.js');

function softlab(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BUILT, ...args], { cwd, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('the built CLI validates, reports located errors, runs, caches and takes --set', () => {
  assert.ok(existsSync(BUILT), `no build at ${BUILT}: run "npm run build"`);
  const dir = tempDir();
  mkdirSync(path.join(dir, 'out'));
  writeFileSync(
    path.join(dir, 'spec.yaml'),
    `pipeline: built
params: { word: hello }
nodes:
  make:
    type: command
    params: { run: "echo \${params.word} > out/word.txt", outs: [out/word.txt] }
  shout:
    type: command
    inputs: { word: make.outs }
    params: { run: "tr a-z A-Z < $word/out/word.txt > out/loud.txt", outs: [out/loud.txt] }
`,
  );
  writeFileSync(path.join(dir, 'bad.yaml'), 'pipeline: bad\nnodes:\n  a:\n    type: comand\n');

  const ok = softlab(['validate', 'spec.yaml'], dir);
  assert.is(ok.code, 0, ok.stderr);
  const bad = softlab(['validate', 'bad.yaml'], dir);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /^bad\.yaml:4:11: unknown node type "comand"; did you mean "command"\?/);

  const args = ['run', 'spec.yaml', '--no-tui', '--cache-dir', 'cache', '--out', 'results', '--json'];
  const r1 = softlab(args, dir);
  assert.is(r1.code, 0, r1.stderr);
  assert.equal(JSON.parse(r1.stdout).counts, { executed: 2, cached: 0, failed: 0, skipped: 0 });
  assert.is(readFileSync(path.join(dir, 'out', 'loud.txt'), 'utf8'), 'HELLO\n');
  const r2 = softlab(args, dir);
  assert.equal(JSON.parse(r2.stdout).counts, { executed: 0, cached: 2, failed: 0, skipped: 0 });
  const r3 = softlab([...args, '--set', 'params.word=bye'], dir);
  assert.is(r3.code, 0, r3.stderr);
  assert.equal(JSON.parse(r3.stdout).counts, { executed: 2, cached: 0, failed: 0, skipped: 0 });
  assert.is(readFileSync(path.join(dir, 'out', 'loud.txt'), 'utf8'), 'BYE\n');
});

test.run();
