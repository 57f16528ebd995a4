// Runner-core benchmark: generated DAGs of trivial `command` nodes (50, 200, 1000)
// run cold and fully cached through the compiled CLI, the per-node overhead
// beyond the commands themselves, and the same DAGs' up-to-date checks with
// Snakemake and GNU make for a ratio.
//
// Overhead per node: the serial (--jobs 1) cold run minus Node's start-up and
// minus the same commands run one after another by bash, over the node count.
// "Marginal" is the same difference between two sizes over their node counts:
// what one more node costs, without the run's fixed costs (spec, report).
//
//   npm run build && node --import tsx bench/runner.ts [--sizes 50,200,1000] [--runs 5] [--no-snakemake]
//
// Snakemake comes from Debian (`apt-get install -y snakemake`), installed here if
// absent; CI never runs this script.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, option } from './stats.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'runner', 'cli', 'main.js');

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => option(name, dflt, args);
const sizes = opt('sizes', '50,200,1000').split(',').map(Number);
const runs = Number(opt('runs', '5'));
const withSnakemake = !args.includes('--no-snakemake');

/** Parents of node i in a layered DAG: the previous node and one further back (a long-range edge). */
function parents(i: number): number[] {
  if (i === 0) return [];
  const p = [i - 1];
  if (i >= 4) p.push(Math.floor(i / 2));
  return p;
}

function writeSoftlabSpec(dir: string, n: number): void {
  const lines = [`pipeline: bench-${n}`, 'nodes:'];
  for (let i = 0; i < n; i++) {
    const ps = parents(i);
    lines.push(`  n${i}:`, '    type: command');
    if (ps.length) lines.push(`    inputs: { ${ps.map((p, k) => `p${k}: n${p}.outs`).join(', ')} }`);
    // read the parents, write a small file of our own (outputs must not grow along the chain)
    const cat = ps.length ? ps.map((p, k) => `"$p${k}/out/n${p}.txt"`).join(' ') : '/dev/null';
    lines.push(`    params: { run: 'cat ${cat} > /dev/null; echo ${i} > out/n${i}.txt', outs: [out/n${i}.txt] }`);
  }
  writeFileSync(path.join(dir, 'spec.yaml'), lines.join('\n') + '\n');
}

function writeSnakefile(dir: string, n: number): void {
  const rules = [`rule all:\n    input: ${JSON.stringify(Array.from({ length: n }, (_, i) => `smk/n${i}.txt`))}\n`];
  for (let i = 0; i < n; i++) {
    const ps = parents(i);
    const inputs = ps.map((p) => `"smk/n${p}.txt"`).join(', ');
    const cat = ps.length ? ps.map((p) => `smk/n${p}.txt`).join(' ') : '/dev/null';
    rules.push(`rule n${i}:\n${ps.length ? `    input: ${inputs}\n` : ''}    output: "smk/n${i}.txt"\n    shell: "cat ${cat} > /dev/null; echo ${i} > {output}"\n`);
  }
  writeFileSync(path.join(dir, 'Snakefile'), rules.join('\n'));
}

function writeMakefile(dir: string, n: number): void {
  const lines = [`all: ${Array.from({ length: n }, (_, i) => `mk/n${i}.txt`).join(' ')}`, '', 'mk:', '\tmkdir -p mk', ''];
  for (let i = 0; i < n; i++) {
    const ps = parents(i).map((p) => `mk/n${p}.txt`);
    lines.push(`mk/n${i}.txt: ${ps.join(' ')} | mk`, `\tcat ${ps.join(' ') || '/dev/null'} > /dev/null; echo ${i} > $@`, '');
  }
  writeFileSync(path.join(dir, 'Makefile'), lines.join('\n'));
}

function time(cmd: string, argv: string[], cwd: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: '1' } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr?.toString().slice(0, 500)}`);
  return ms;
}

const best = (xs: number[]): number => Math.min(...xs);

/**
 * Flush and let the disk settle before a timed run. On this VM's ext4 (mounted
 * with discard), file creation runs 10-20x slower for seconds after a large
 * deletion, so without this a run would pay for the previous run's clean-up.
 */
function settle(): void {
  spawnSync('sync');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
}

/** Run folders are removed at the end, not between timed runs (see settle). */
const leftovers: string[] = [];

function ensureSnakemake(): boolean {
  if (spawnSync('snakemake', ['--version']).status === 0) return true;
  console.error('installing Debian snakemake for the comparison...');
  const r = spawnSync('bash', ['-c', 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq snakemake >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq snakemake >/dev/null)'], { stdio: 'inherit' });
  return r.status === 0 && spawnSync('snakemake', ['--version']).status === 0;
}

if (!existsSync(CLI)) {
  console.error('build first: npm run build');
  process.exit(2);
}
const haveSnakemake = withSnakemake && ensureSnakemake();
const rows: string[][] = [];
/** per size: median serial cold run and the commands alone, for the marginal overhead between sizes */
const serialBySize: { n: number; serial: number; bare: number }[] = [];
const jobs = os.availableParallelism();

for (const n of sizes) {
  const cold: number[] = [];
  const coldSerial: number[] = [];
  const cached: number[] = [];
  for (let r = 0; r < runs; r++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), `softlab-bench-${n}-`));
    mkdirSync(path.join(dir, 'out'));
    writeSoftlabSpec(dir, n);
    settle();
    cold.push(time('node', [CLI, 'run', 'spec.yaml', '--no-tui', '--cache-dir', 'cache', '--out', 'res'], dir));
    cached.push(time('node', [CLI, 'run', 'spec.yaml', '--no-tui', '--cache-dir', 'cache', '--out', 'res'], dir));
    // one job: wall time per node minus the command's own cost is the scheduling overhead
    settle();
    coldSerial.push(time('node', [CLI, 'run', 'spec.yaml', '--no-tui', '--jobs', '1', '--cache-dir', 'cache2', '--out', 'res2'], dir));
    leftovers.push(dir);
  }
  // the commands alone, run one after another by a shell (the floor any runner pays)
  const dir = mkdtempSync(path.join(os.tmpdir(), `softlab-bench-cmd-${n}-`));
  mkdirSync(path.join(dir, 'out'));
  const script = Array.from({ length: n }, (_, i) => `sh -c 'cat ${parents(i).map((p) => `out/n${p}.txt`).join(' ') || '/dev/null'} > /dev/null; echo ${i} > out/n${i}.txt'`).join('\n');
  writeFileSync(path.join(dir, 'cmds.sh'), script);
  settle();
  const bare = median(Array.from({ length: runs }, () => time('bash', ['cmds.sh'], dir)));
  const startup = median(Array.from({ length: runs }, () => time('node', [CLI, '--version'], dir)));
  const overhead = (median(coldSerial) - startup - bare) / n;
  // what one more node costs: the slope between this size and the previous one, so
  // the run's fixed costs (parsing the spec, the report) are not spread over its nodes
  const prev = serialBySize.at(-1);
  const marginal = prev ? (median(coldSerial) - prev.serial - (bare - prev.bare)) / (n - prev.n) : NaN;
  serialBySize.push({ n, serial: median(coldSerial), bare });

  let smk = NaN;
  let mk = NaN;
  writeMakefile(dir, n);
  time('make', ['-s', '-j', String(jobs)], dir);
  mk = best(Array.from({ length: runs }, () => time('make', ['-s', '-q'], dir)));
  if (haveSnakemake) {
    writeSnakefile(dir, n);
    time('snakemake', ['-c', String(jobs), '--quiet'], dir);
    smk = best(Array.from({ length: Math.max(3, Math.min(runs, 5)) }, () => time('snakemake', ['-c', '1', '-n', '--quiet'], dir)));
  }
  leftovers.push(dir);
  rows.push([
    String(n),
    median(cold).toFixed(0),
    median(cached).toFixed(0),
    best(cached).toFixed(0),
    overhead.toFixed(2),
    Number.isNaN(marginal) ? 'n/a' : marginal.toFixed(2),
    Number.isNaN(smk) ? 'n/a' : smk.toFixed(0),
    Number.isNaN(smk) ? 'n/a' : (best(cached) / smk).toFixed(3),
    mk.toFixed(0),
  ]);
}

for (const dir of leftovers) rmSync(dir, { recursive: true, force: true });

const header = ['nodes', 'cold ms (median)', 'cached ms (median)', 'cached ms (best)', 'overhead ms/node', 'marginal overhead ms/node', 'snakemake -n ms (best)', 'softlab/snakemake', 'make -q ms (best)'];
console.log(`\nsoftlab runner bench on ${os.cpus().length} cores, ${runs} runs each (node ${process.version})`);
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
