// Commands run through the resident spawner (or directly, when it cannot express
// them): output lines, exit statuses and signals, environment, folder, and
// concurrent commands each get their own result.

import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runShellCommand, type ShellCommand } from '../nodes/lib/shell.js';
import { tempDir } from './helpers/specs.js';

async function run(command: string, extra: Partial<ShellCommand> = {}) {
  const lines: { stream: string; line: string }[] = [];
  const exit = await runShellCommand({
    shell: '/bin/sh',
    command,
    cwd: extra.cwd ?? process.cwd(),
    env: extra.env ?? {},
    signal: extra.signal ?? new AbortController().signal,
    onLine: (stream, line) => lines.push({ stream, line }),
    ...extra,
  });
  return { exit, out: lines.filter((l) => l.stream === 'stdout').map((l) => l.line), err: lines.filter((l) => l.stream === 'stderr').map((l) => l.line) };
}

test('lines of both streams, a last line without a newline, and the exit status', async () => {
  const r = await run('echo one; echo two >&2; printf three; exit 3');
  assert.equal(r.out, ['one', 'three']);
  assert.equal(r.err, ['two']);
  assert.equal(r.exit, { ok: true, code: 3, signal: null });
  // the spawner is reused for the next command, which starts clean
  const again = await run('echo again');
  assert.equal(again.out, ['again']);
  assert.equal(again.exit, { ok: true, code: 0, signal: null });
});

test('a command killed by a signal reports the signal', async () => {
  const r = await run('kill -TERM $$');
  assert.equal(r.exit, { ok: true, code: null, signal: 'SIGTERM' });
});

test('folder, environment (quotes and newlines intact), no stray positional parameters', async () => {
  const dir = tempDir();
  const r = await run('pwd; printf "%s|" "$A" "$B"; echo; echo "[$1][$#]"', { cwd: dir, env: { A: "it's \"quoted\"", B: 'two\nlines' } });
  assert.is(r.out[0], realpathSync(dir));
  assert.is(r.out[1], `it's "quoted"|two`);
  assert.is(r.out[2], 'lines|');
  assert.is(r.out[3], '[][0]');
});

test('what the spawner cannot express runs directly: a non-identifier variable, another shell', async () => {
  // (sh passes no such variable on to its children, but has it in its own environment)
  const odd = await run("tr '\\0' '\\n' < /proc/$$/environ | grep -c '^odd-name=1$'", { env: { 'odd-name': '1' } });
  assert.equal(odd.out, ['1']);
  const bash = await run('echo "${BASH_VERSION:+bash}"', { shell: '/bin/bash' });
  assert.equal(bash.out, ['bash']);
  const missing = await run('true', { shell: '/no/such/shell' });
  assert.is(missing.exit.ok, false);
});

test('concurrent commands each get their own output and status', async () => {
  const rs = await Promise.all([1, 2, 3].map((i) => run(`sleep 0.${i}; echo n${i}; exit ${i}`)));
  assert.equal(rs.map((r) => r.out), [['n1'], ['n2'], ['n3']]);
  assert.equal(rs.map((r) => r.exit.ok && r.exit.code), [1, 2, 3]);
});

test('an abort stops the command at once', async () => {
  const ac = new AbortController();
  const t0 = Date.now();
  setTimeout(() => ac.abort(), 100);
  const r = await run('sleep 20', { signal: ac.signal });
  assert.ok(Date.now() - t0 < 5000);
  assert.ok(r.exit.ok && r.exit.signal === 'SIGTERM', JSON.stringify(r.exit));
  const after = await run('echo still works');
  assert.equal(after.out, ['still works']);
});

test('without a writable temporary folder, commands are spawned directly', () => {
  const code = `import { runShellCommand } from ${JSON.stringify(new URL('../nodes/lib/shell.ts', import.meta.url).href)};
const lines = [];
const exit = await runShellCommand({ shell: '/bin/sh', command: 'echo fallback; exit 4', cwd: process.cwd(), env: {}, signal: new AbortController().signal, onLine: (s, l) => lines.push(l) });
console.log(JSON.stringify({ exit, lines }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: path.resolve(fileURLToPath(import.meta.url), '..', '..'),
    env: { ...process.env, TMPDIR: '/nonexistent/softlab-tmp' },
    encoding: 'utf8',
  });
  assert.is(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout.trim().split('\n').at(-1)!), { exit: { ok: true, code: 4, signal: null }, lines: ['fallback'] });
});

test.run();
