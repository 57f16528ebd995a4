// Tools for the reliability tests: run the CLI and hurt it (SIGKILL at a moment
// or at a named fault point, SIGINT), look at what a cache holds afterwards, and
// damage cache files the ways disks and people do.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, type Dirent } from 'node:fs';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { CacheStore, REPORT_PORT, type CacheEntry, type ObjectRef } from '../../cache/store.js';
import { verifyCache } from '../../runner/commands/verify.js';
import type { RunSummary } from '../../runner/events.js';
import { CLI } from './run.js';
import { ROOT, tempDir } from './specs.js';

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface Spawned {
  child: ChildProcess;
  /** resolves when the process has exited and its pipes are drained */
  done: Promise<ChildRun>;
  /** everything the process printed so far */
  output(): string;
}

/** Start `softlab ARGS` from the sources (plain output, as under CI). */
export function spawnCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Spawned {
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, CI: '1', SOFTLAB_FAULT_KILL_AT: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<ChildRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 }));
  });
  return { child, done, output: () => stdout + stderr };
}

/** Resolve once `pred(output)` holds (polling), or reject after `timeoutMs`. */
export async function waitForOutput(s: Spawned, pred: (out: string) => boolean, timeoutMs = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!pred(s.output())) {
    if (s.child.exitCode !== null || s.child.signalCode !== null) throw new Error(`process ended before the expected output:\n${s.output()}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for output:\n${s.output()}`);
    await sleep(10);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A small pipeline that runs in a few seconds and touches every kind of node
 * code: load-cafe (12 synthetic children, 24 px), the crowd branch (collect,
 * filter, three aggregates, agreement) and a command node with a declared out.
 */
export function writeSmallPipeline(dir: string, name = 'small.yaml', pipeline = 'small'): string {
  const spec = path.join(dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    spec,
    `pipeline: ${pipeline}
params: { seed: 3 }
nodes:
  cafe:
    type: load-cafe
    params: { source: synthetic, seed: "\${params.seed}", children: 12, size: 24 }
  crowd:
    type: crowd-collect
    inputs: { dataset: cafe.dataset }
    params: { images: 40, quiz_size: 10, workers: 30, labels_per_image: 8, seed: "\${params.seed}" }
  filter:
    type: filter
    inputs: { responses: crowd.responses, dataset: cafe.dataset }
  lab:
    type: aggregate
    inputs: { dataset: cafe.dataset }
  crowd_unfiltered:
    type: aggregate
    inputs: { responses: crowd.responses }
  crowd_filtered:
    type: aggregate
    inputs: { responses: filter.responses }
  agreement:
    type: agreement
    inputs: { reference: lab.labels, unfiltered: crowd_unfiltered.labels, filtered: crowd_filtered.labels }
  listing:
    type: command
    inputs: { labels: crowd_filtered.labels }
    params: { run: 'ls "$labels" > listing.txt', outs: [listing.txt] }
`,
  );
  return spec;
}

/** The arguments of a plain `softlab run` of `spec` into a given cache and results folder. */
export function runArgs(spec: string, cacheDir: string, outDir: string, extra: string[] = []): string[] {
  return ['run', spec, '--no-tui', '--cache-dir', cacheDir, '--out', outDir, ...extra];
}

/** Node names the plain renderer reported as finished (`done NAME (type)`). */
export function reportedDone(output: string): string[] {
  return [...output.matchAll(/^\S+ done\s+(\S+) \(/gm)].map((m) => m[1]);
}

export function readSummary(outDir: string): RunSummary {
  return JSON.parse(readFileSync(path.join(outDir, 'summary.json'), 'utf8')) as RunSummary;
}

/** Files in a folder (recursively), as paths relative to it; [] when it does not exist. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((d) => !d.isDirectory())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)))
    .sort();
}

/**
 * What every run must leave behind: `verify` finds nothing, no staging folder or
 * temporary file under tmp/, no lock or half-made lock file under locks/.
 */
export async function assertCacheClean(cacheDir: string, what = ''): Promise<void> {
  const v = await verifyCache(new CacheStore(cacheDir));
  assert.equal(v.findings, [], `${what}: verify findings`);
  const tmp = path.join(cacheDir, 'tmp');
  assert.equal(existsSync(tmp) ? readdirSync(tmp) : [], [], `${what}: leftovers in tmp/`);
  assert.equal(filesUnder(path.join(cacheDir, 'locks')), [], `${what}: leftovers in locks/`);
}

/** The entry of every node of a finished run, by node name. */
export async function entriesByName(cacheDir: string, summary: RunSummary): Promise<Record<string, CacheEntry>> {
  const store = new CacheStore(cacheDir);
  const out: Record<string, CacheEntry> = {};
  for (const n of summary.nodes) {
    const e = await store.readEntry(n.key);
    if (e) out[n.name] = e;
  }
  return out;
}

/** A node's data ports as port -> file -> digest (the report port left out: it may hold timings). */
export function dataDigests(entry: CacheEntry): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [port, pe] of Object.entries(entry.outputs)) {
    if (port === REPORT_PORT) continue;
    out[port] = Object.fromEntries(Object.entries(pe.files).map(([f, r]) => [f, r.digest]));
  }
  return out;
}

// ---- damage, as disks and people do it ----

function writable(file: string): void {
  chmodSync(file, 0o644);
}

/** Flip one byte in the middle of an object: same size, so only its digest can tell. */
export function flipByte(store: CacheStore, ref: ObjectRef): void {
  const p = store.objectPath(ref.digest);
  writable(p);
  const buf = readFileSync(p);
  buf[buf.length >> 1] ^= 0x5a;
  writeFileSync(p, buf);
}

export function truncateObject(store: CacheStore, ref: ObjectRef): void {
  const p = store.objectPath(ref.digest);
  writable(p);
  truncateSync(p, Math.floor(ref.size / 2));
}

export function deleteObject(store: CacheStore, ref: ObjectRef): void {
  unlinkSync(store.objectPath(ref.digest));
}

export function garbageEntry(store: CacheStore, key: string): void {
  writeFileSync(store.entryPath(key), '\u0000\u0007garbage{{{ not json');
}

/** The first file of a node's port in its entry. */
export function firstRef(entry: CacheEntry, port: string): ObjectRef {
  const files = entry.outputs[port]?.files ?? {};
  const first = Object.keys(files).sort()[0];
  if (!first) throw new Error(`${entry.name} has no files in ${port}`);
  return files[first];
}

// ---- a node that misbehaves on request ----

/**
 * Write the `test-fault` node module into `dir` and return its path (a plain
 * .mjs, like tests/fixtures/nodes/emit.mjs, so workers load it without tsx).
 * `mode`: ok | throw | hang (a busy loop that never looks at its signal) |
 * stall (awaits forever, ignoring its signal) | oom (allocates until the
 * worker's heap limit) | exit (ends its worker thread with process.exit).
 */
export function writeFaultNode(dir: string): string {
  const file = path.join(dir, 'fault-node.mjs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    file,
    `export default {
  type: 'test-fault',
  version: 1,
  description: 'test node: finishes, throws, hangs, stalls, exhausts memory or kills its worker',
  inputs: { '*': { kinds: ['metrics'], description: 'anything', optional: true } },
  outputs: { data: { kind: 'metrics', description: 'value.json' } },
  params: {
    type: 'object',
    properties: {
      mode: { enum: ['ok', 'throw', 'hang', 'stall', 'oom', 'exit'], default: 'ok', description: 'how to behave' },
      sleep_ms: { type: 'integer', default: 0, minimum: 0, description: 'work this long first (checking the signal)' },
      value: { type: 'number', default: 1, description: 'written to value.json' },
    },
  },
  async run(ctx) {
    for (let t = 0; t < ctx.params.sleep_ms; t += 20) {
      if (ctx.signal.aborted) throw new Error('cancelled');
      await new Promise((r) => setTimeout(r, 20));
    }
    const mode = ctx.params.mode;
    if (mode === 'throw') throw new TypeError('fault node: cannot read properties of undefined (reading "x")');
    if (mode === 'hang') for (;;) {}
    if (mode === 'stall') await new Promise(() => {});
    if (mode === 'oom') {
      const hoard = [];
      for (;;) hoard.push(new Array(1 << 16).fill(hoard.length));
    }
    if (mode === 'exit') process.exit(3);
    await ctx.outputs.data.writeJson('value.json', { value: ctx.params.value });
    await ctx.summary({ value: ctx.params.value });
  },
};
`,
  );
  return file;
}

// ---- scratch folders, removed after each test file ----

const scratch: string[] = [];

/**
 * A temp folder that `removeScratch` deletes (call it from `test.after`). Make
 * them in tests or `test.before`, not at import: uvu imports every test file
 * first, and an earlier file's `removeScratch` would delete them.
 */
export function scratchDir(prefix: string): string {
  const dir = tempDir(prefix);
  scratch.push(dir);
  return dir;
}

export function removeScratch(): void {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
}
