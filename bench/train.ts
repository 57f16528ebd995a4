// Training throughput of softlab's TensorFlow.js training: images/s for the default
// net (compact ResNet, width 12, 48x48x1), the 78k yardstick (width 16) and
// ResNet-18 at 64x64x1, batch 32, Adam, on the
// wasm and cpu backends (median of several runs), with tfjs autodiff as a reference
// row, and the ratio to PyTorch on one core (bench/train-torch.py) with --torch.
//
//   node --import tsx bench/train.ts [--runs 5] [--backends wasm,cpu] [--torch] [--no-autodiff] [--breakdown]
//
// --breakdown prints where a step of each wasm network spends its CPU time, per op kind.
//
// Timings on a shared 2-core machine are noisy: both wall-clock and process CPU-time
// rates are printed (CPU time is less disturbed by other processes).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Optimizer } from '../nodes/train/optimizer.js';
import { buildModel, initWeights, trainableParams, type ArchName } from '../nodes/train/resnet.js';
import { startBackend } from '../nodes/train/run.js';
import { setEngineTimer } from '../nodes/train/engine.js';
import { makeTrainer } from '../nodes/train/trainer.js';
import { Random } from '../runner/random.js';
import { median } from './stats.js';

interface Config {
  name: string;
  arch: ArchName;
  width?: number;
  input: number;
  autodiff?: boolean;
}

// names match bench/train-torch.py's, for the ratio table
const CONFIGS: Config[] = [
  { name: 'compact w12 (default) 48x48x1', arch: 'compact', input: 48 },
  { name: 'compact w16 (78k yardstick) 48x48x1', arch: 'compact', width: 16, input: 48 },
  { name: 'resnet18 64x64x1', arch: 'resnet18', input: 64 },
];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const has = (name: string) => process.argv.includes(`--${name}`);

const RUNS_ARG = Number(arg('runs', '5'));
const BATCH_ARG = Number(arg('batch', '32'));
const BACKENDS = arg('backends', 'wasm,cpu').split(',') as ('wasm' | 'cpu')[];

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

interface Row {
  backend: string;
  config: Config;
  path: string;
  params: number;
  wall: number[];
  cpu: number[];
  batch: number;
  runs: number;
}

async function measure(backend: 'wasm' | 'cpu', cfg: Config): Promise<Row> {
  await startBackend(backend);
  // the pure-JS cpu backend is ~40x slower: fewer runs there, and ResNet-18 in batches
  // of 8 (its naive loops gain nothing from larger batches)
  const BATCH = backend === 'cpu' && cfg.arch !== 'compact' ? Math.min(BATCH_ARG, 8) : BATCH_ARG;
  const RUNS = backend === 'cpu' ? Math.min(RUNS_ARG, 3) : RUNS_ARG;
  const model = buildModel(tfl, { arch: cfg.arch, width: cfg.width, input: cfg.input, channels: 1, classes: 5 });
  await initWeights(model, new Random(1));
  const trainer = makeTrainer(model, { forceAutodiff: cfg.autodiff });
  const opt = new Optimizer({ name: 'adam', learningRate: 1e-3, schedule: 'constant', weightDecay: 0, totalSteps: 1000 });
  const r = new Random('bench');
  const x = tf.tensor4d(Float32Array.from({ length: BATCH * cfg.input * cfg.input }, () => r.uniform(0, 255)), [BATCH, cfg.input, cfg.input, 1]);
  const t = tf.softmax(tf.tensor2d(Float32Array.from({ length: BATCH * 5 }, () => r.normal(0, 2)), [BATCH, 5])) as tf.Tensor2D;
  // the cpu backend is slow: fewer steps per run there
  const heavy = backend === 'cpu' ? 1 : cfg.arch === 'compact' ? 8 : 3;
  for (let i = 0; i < (backend === 'cpu' ? 1 : 2); i++) trainer.step(x, t, opt);
  const wall: number[] = [];
  const cpu: number[] = [];
  const parts = new Map<string, number>();
  if (has('breakdown') && backend === 'wasm') setEngineTimer((label, ms) => parts.set(label, (parts.get(label) ?? 0) + ms));
  for (let run = 0; run < RUNS; run++) {
    const w0 = performance.now();
    const c0 = cpuMs();
    for (let i = 0; i < heavy; i++) trainer.step(x, t, opt);
    wall.push((heavy * BATCH * 1000) / (performance.now() - w0));
    cpu.push((heavy * BATCH * 1000) / (cpuMs() - c0));
  }
  setEngineTimer(null);
  if (parts.size) {
    const steps = RUNS * heavy;
    console.error(`  per-step CPU ms, ${backend} ${cfg.name}${cfg.autodiff ? ' (autodiff: no breakdown)' : ''}:`);
    for (const [k, v] of [...parts].sort((a, b) => b[1] - a[1])) console.error(`    ${k.padEnd(28)} ${(v / steps).toFixed(1)}`);
  }
  const row = { backend, config: cfg, path: trainer.path, params: trainableParams(model), wall, cpu, batch: BATCH, runs: RUNS };
  tf.dispose([x, t]);
  opt.dispose();
  model.dispose();
  return row;
}

function torchResults(): Map<string, { wall: number; cpu: number }> | null {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'softlab-bench-torch-'));
  const out = path.join(dir, 'torch.json');
  const script = fileURLToPath(new URL('./train-torch.py', import.meta.url));
  try {
    execFileSync('/usr/bin/python3', [script, '--runs', String(RUNS_ARG), '--batch', String(BATCH_ARG), '--json', out], { stdio: ['ignore', 'inherit', 'inherit'] });
    const j = JSON.parse(readFileSync(out, 'utf8')) as { results: { name: string; images_per_second: number; images_per_cpu_second: number }[] };
    return new Map(j.results.map((r) => [r.name, { wall: r.images_per_second, cpu: r.images_per_cpu_second }]));
  } catch (e) {
    console.error(`PyTorch bench failed: ${(e as Error).message.split('\n')[0]}`);
    return null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const backend of BACKENDS) {
  const cfgs = backend === 'wasm' && !has('no-autodiff') ? [...CONFIGS, { ...CONFIGS[1], name: `${CONFIGS[1].name} [tfjs autodiff]`, autodiff: true }] : CONFIGS;
  for (const cfg of cfgs) {
    rows.push(await measure(backend, cfg));
    const last = rows[rows.length - 1];
    console.error(`${backend} ${cfg.name}: ${median(last.wall).toFixed(1)} img/s wall, ${median(last.cpu).toFixed(1)} img/s cpu`);
  }
}

console.log(`\nsoftlab training throughput, Adam, median of runs (2 shared cores: noisy)\n`);
console.log('| backend | network | path | params | batch | runs | img/s (wall) | img/s (CPU time) |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.backend} | ${r.config.name} | ${r.path} | ${r.params.toLocaleString('en')} | ${r.batch} | ${r.runs} | ${median(r.wall).toFixed(1)} | ${median(r.cpu).toFixed(1)} |`);
}

if (has('torch')) {
  const torch = torchResults();
  if (torch) {
    console.log('\n| network | backend | PyTorch img/s wall / CPU | softlab img/s wall / CPU | PyTorch / softlab (wall, CPU) |');
    console.log('|---|---|---|---|---|');
    for (const r of rows) {
      const base = r.config.name.replace(/ \[tfjs autodiff\]$/, '');
      const pt = torch.get(base);
      if (pt === undefined) continue;
      const w = median(r.wall);
      const c = median(r.cpu);
      console.log(`| ${r.config.name} | ${r.backend} | ${pt.wall.toFixed(1)} / ${pt.cpu.toFixed(1)} | ${w.toFixed(1)} / ${c.toFixed(1)} | ${(pt.wall / w).toFixed(1)}x, ${(pt.cpu / c).toFixed(1)}x |`);
    }
  }
}
