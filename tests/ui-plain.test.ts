// Plain lines, the JSON mode, and which renderer a run gets.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultPipelineNodes, defaultPipelineTimeline, runStarted, T0 } from '../bench/ui-events.js';
import type { RunEvent } from '../runner/events.js';
import { formatClock } from '../runner/ui/format.js';
import { chooseRendererKind, createRenderer, type RendererOptions } from '../runner/ui/renderer.js';

function sink() {
  const chunks: string[] = [];
  return { stream: { write: (c: string) => chunks.push(c) } as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

function runPlain(events: RunEvent[], extra: Partial<RendererOptions> = {}) {
  const out = sink();
  const err = sink();
  const r = createRenderer('plain', { stdout: out.stream, stderr: err.stream, onCancel: () => {}, backend: 'wasm', ...extra });
  for (const e of events) r.onEvent(e);
  return { out: out.text(), err: err.text(), lines: out.text().split('\n').filter(Boolean) };
}

/** The lines without their timestamps (checked separately). */
const bodies = (lines: string[]) => lines.map((l) => l.slice(9));

test('clock format is local HH:MM:SS', () => {
  assert.is(formatClock(new Date(2025, 0, 15, 9, 3, 4).getTime()), '09:03:04');
});

test('plain: one timestamped line per step, durations, the final summary', () => {
  const { out, lines } = runPlain(defaultPipelineTimeline({ trainMs: 8000 }));
  assert.not.match(out, /\u001B/, 'no escape codes');
  for (const l of lines) assert.match(l, /^\d\d:\d\d:\d\d \S/);
  const b = bodies(lines);
  assert.is(b[0], 'run      cafe-soft-labels: 10 nodes (0 cached), 2 workers, backend wasm, piscina, cache .softlab/cache');
  assert.ok(b.includes('started  crowd (crowd-collect)'));
  assert.ok(b.includes('done     crowd (crowd-collect) in 0.6s'));
  assert.ok(b.includes('done     onehot (train-onehot) in 8.0s (backend wasm, acc 0.791)'));
  assert.match(b.at(-1)!, /^finished ok in 11s: 10 executed, 0 cached, 0 failed, 0 skipped; results in runs\/2025-01-15-120304 \(report runs\/2025-01-15-120304\/report\.html\)$/);
  // info-level node logs stay out of the way; progress lines are rationed (below)
  assert.not.match(out, /working/);
});

test('plain: progress at most every interval per node, with label and ETA', () => {
  const { lines } = runPlain(defaultPipelineTimeline({ trainMs: 8000 }));
  const progress = bodies(lines).filter((l) => l.startsWith('progress'));
  // two 8 s trainings at one line per 5 s: one line each (at 5 s), none for the short nodes
  assert.is(progress.length, 2, progress.join('\n'));
  assert.match(progress[0], /^progress onehot \(train-onehot\) 62% · epoch 8\/12 · loss [\d.]+ · acc [\d.]+ · \d+ img\/s · ETA 3\.0s$/);
  const every2s = runPlain(defaultPipelineTimeline({ trainMs: 8000 }), { progressIntervalMs: 2000 }).lines.filter((l) => l.includes('progress onehot'));
  assert.is(every2s.length, 4, "at 2, 4, 6 and 8 s");
});

test('plain: a failure with its reason and the last log lines; skipped with reason; warnings', () => {
  const events = defaultPipelineTimeline({ trainMs: 8000, failSoft: true });
  events.splice(3, 0, { type: 'warning', time: T0 + 10, message: 'cache object 3f2a was corrupt;\nrecomputed', key: 'k-cafe' });
  events.splice(3, 0, { type: 'node-log', time: T0 + 10, key: 'k-cafe', level: 'warn', message: '\u001B[33m2 images unreadable\u001B[0m' });
  const { out, lines } = runPlain(events);
  assert.not.match(out, /\u001B/, 'escape codes from a node are removed too');
  const b = bodies(lines);
  const i = b.findIndex((l) => l.startsWith('FAILED'));
  assert.is(b[i], 'FAILED   soft (train-soft) after 4.0s: out-of-memory: the worker ran out of memory (heap limit 2048 MB)');
  assert.match(b[i + 1], /^ {9}\| epoch \d+: loss/);
  assert.is(b[i + 2], '         | allocating 512 MB tensor for batch 64');
  assert.ok(b.includes('skipped  compare (compare): input soft failed'));
  assert.ok(b.includes('warning  cafe: cache object 3f2a was corrupt; / recomputed'));
  assert.ok(b.includes('warn     cafe: 2 images unreadable'));
  assert.match(b.at(-1)!, /^finished FAILED in \S+: 7 executed, 0 cached, 1 failed, 2 skipped;/);
});

test('plain: sweep nodes are named with their variant', () => {
  const nodes = defaultPipelineNodes().slice(0, 1);
  const v = (id: string) => ({ ...nodes[0], key: `k-${id}`, variants: [id] });
  const start = runStarted([v('a'), v('b')], [{ id: 'a', params: {} }, { id: 'b', params: {} }]);
  const { lines } = runPlain([start, { type: 'node-started', time: T0 + 1, key: 'k-b' }]);
  assert.is(bodies(lines)[1], 'started  cafe[b] (load-cafe)');
});

test('json: stdout holds only the summary; the lines go to stderr', async () => {
  const out = { chunks: [] as string[] };
  const err = { chunks: [] as string[] };
  const r = createRenderer('json', {
    stdout: { write: (c: string) => out.chunks.push(c) } as unknown as NodeJS.WriteStream,
    stderr: { write: (c: string) => err.chunks.push(c) } as unknown as NodeJS.WriteStream,
    onCancel: () => {},
  });
  const events = defaultPipelineTimeline({ trainMs: 500 });
  for (const e of events) r.onEvent(e);
  await r.close();
  const last = events.at(-1)!;
  assert.ok(last.type === 'run-finished');
  assert.is(out.chunks.join(''), JSON.stringify(last.summary, null, 2) + '\n');
  assert.equal(JSON.parse(out.chunks.join('')), last.summary);
  const errText = err.chunks.join('');
  assert.match(errText, /^\d\d:\d\d:\d\d run {6}cafe-soft-labels/);
  assert.match(errText, /\d\d:\d\d:\d\d finished ok/);
});

test('chooseRendererKind', () => {
  const tty = { isTTY: true, env: {} };
  assert.is(chooseRendererKind(tty), 'ink');
  assert.is(chooseRendererKind({ ...tty, isTTY: false }), 'plain');
  assert.is(chooseRendererKind({ ...tty, noTui: true }), 'plain');
  assert.is(chooseRendererKind({ ...tty, json: true }), 'json');
  assert.is(chooseRendererKind({ isTTY: false, env: {}, json: true }), 'json');
  assert.is(chooseRendererKind({ ...tty, env: { CI: 'true' } }), 'plain');
  assert.is(chooseRendererKind({ ...tty, env: { CI: '1' } }), 'plain');
  assert.is(chooseRendererKind({ ...tty, env: { CONTINUOUS_INTEGRATION: 'yes' } }), 'plain');
  assert.is(chooseRendererKind({ ...tty, env: { CI: 'false' } }), 'ink');
  assert.is(chooseRendererKind({ ...tty, env: { CI: '0' } }), 'ink');
  assert.is(chooseRendererKind({ ...tty, env: { TERM: 'dumb' } }), 'plain');
});

test('plain and JSON never load Ink or React: no static import reaches them', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    // static imports only (`import type` is erased); `await import()` is how Ink is reached
    for (const m of src.matchAll(/^import\s+(?!type\b)[^'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)) {
      const spec = m[1] ?? m[2];
      assert.not.ok(/^(ink|react|ink-testing-library)(\/|$)/.test(spec), `${path.relative(root, file)} imports ${spec}`);
      if (spec.startsWith('.')) {
        const base = path.resolve(path.dirname(file), spec).replace(/\.js$/, '');
        visit([`${base}.ts`, `${base}.tsx`].find((f) => { try { readFileSync(f); return true; } catch { return false; } })!);
      }
    }
  };
  visit(path.join(root, 'runner/ui/renderer.ts'));
  assert.ok(seen.has(path.join(root, 'runner/ui/live.ts')) && seen.has(path.join(root, 'runner/ui/plain.ts')));
  assert.not.ok([...seen].some((f) => f.includes('/ink/')), 'the ink folder is only reached dynamically');
});

test.run();
