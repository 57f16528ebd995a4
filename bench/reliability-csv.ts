// Benchmark: crowd-collect importing a long-format crowd CSV of 1 million rows
// (and smaller ones, for how time and memory scale), each import in a fresh
// child process so its peak RSS is its own. Run: node --import tsx bench/reliability-csv.ts [runs]
// The bar: 1M rows in under 10 s, in bounded memory (the file is
// streamed; what grows is the typed answer columns and the duplicate check).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';

const RUNS = Number(process.argv[2] ?? 3);
const child = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'helpers', 'csv-import-child.ts');

interface Measure {
  rows: number;
  bytes: number;
  ms: number;
  responses: number;
  growthMb: number;
  peakRssMb: number;
}

console.log(`crowd-collect CSV import, median of ${RUNS} runs each in a fresh process (2 shared cores: timings are noisy)`);
for (const rows of [100_000, 300_000, 1_000_000]) {
  const ms: number[] = [];
  const growth: number[] = [];
  const peak: number[] = [];
  let last: Measure | undefined;
  for (let i = 0; i < RUNS; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'softlab-bench-csv-'));
    try {
      last = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', child, String(rows), dir]).toString()) as Measure;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if (last.responses !== rows) throw new Error(`imported ${last.responses} of ${rows} rows`);
    ms.push(last.ms);
    growth.push(last.growthMb);
    peak.push(last.peakRssMb);
  }
  const m = median(ms);
  console.log(
    `  ${rows.toLocaleString('en').padStart(9)} rows (${(last!.bytes / 1e6).toFixed(0)} MB): ${(m / 1000).toFixed(2)} s (${Math.round(rows / (m / 1000)).toLocaleString('en')} rows/s; runs ${ms.map((x) => (x / 1000).toFixed(2)).join(', ')}), ` +
      `memory growth ${median(growth).toFixed(0)} MB (${((median(growth) * 1048576) / rows).toFixed(0)} B/row), peak RSS ${median(peak).toFixed(0)} MB`,
  );
}
