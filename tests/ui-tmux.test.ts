// End to end: `softlab run pipelines/cafe-quick.yaml` in a real terminal (tmux),
// with the pane captured twice while it runs and once after it ends.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI } from './helpers/run.js';
import { ROOT, tempDir } from './helpers/specs.js';

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the live view draws the DAG while it runs and leaves the final frame', async () => {
  assert.is(spawnSync('tmux', ['-V']).status, 0, 'tmux is needed (Debian package tmux; .ci/run installs it)');
  const dir = tempDir();
  const session = `softlab-e2e-${process.pid}`;
  const cmd = [
    `cd ${JSON.stringify(ROOT)}`,
    // a real terminal: no CI variable, so the Ink view is chosen
    `env -u CI -u CONTINUOUS_INTEGRATION TERM=xterm-256color ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(CLI)} run pipelines/cafe-quick.yaml --cache-dir ${JSON.stringify(path.join(dir, 'cache'))} --out ${JSON.stringify(path.join(dir, 'out'))}`,
    'echo "EXIT=$?"',
    'sleep 600',
  ].join('; ');
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', cmd);
  const during: string[] = [];
  let final = '';
  try {
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      await sleep(400);
      const pane = tmux('capture-pane', '-p', '-t', session);
      if (/EXIT=\d+/.test(pane)) {
        final = pane;
        break;
      }
      // a frame taken while a training node runs, with its progress bar
      if (/softlab cafe-quick/.test(pane) && /▶/.test(pane)) during.push(pane);
    }
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
  }
  assert.ok(during.length >= 2, `captured ${during.length} frames of the running view`);
  const mid = during[Math.floor(during.length / 2)];
  assert.match(mid, /softlab cafe-quick/);
  assert.match(mid, /cafe\s+load-cafe/, 'rows name nodes and types');
  assert.match(mid, /(onehot|soft)\s+train-(onehot|soft)/);
  assert.match(mid, /\d+ executed · \d+ cached · \d+ failed · \d+ skipped/);
  assert.not.match(mid, /\x1b\[/, 'capture-pane gives text, not escape codes');
  assert.ok(final, 'the run ended within the time limit');
  assert.match(final, /EXIT=0/);
  assert.match(final, /10 executed · 0 cached · 0 failed · 0 skipped/);
  assert.match(final, /results .*out/);
  assert.match(final, /report .*report\.html/);
});

test.run();
