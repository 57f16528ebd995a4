// Benchmark of the crowd branch. Run: node --import tsx bench/crowd.ts [runs]
// 1. each node on a default-sized, CAFE-shaped dataset (1192 images, 207 task
//    images, 100 workers, 20 labels per image): median wall time of several runs,
//    plus the first (cold) run, which pays for importing vega in `agreement`;
// 2. importing a 1-million-row long-format CSV (crowd-collect source: csv), with
//    the process's peak RSS, then aggregating those answers (soft, Dawid-Skene).

import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { CAFE_EXPRESSIONS } from '../artifacts/classes.js';
import aggregate from '../nodes/aggregate.js';
import crowdCollect from '../nodes/crowd-collect.js';
import { folderInput } from '../runner/folder-io.js';
import { Random } from '../runner/random.js';
import { cafeShapedDataset, datasetInput } from '../tests/fixtures/crowd/cafe-shaped.js';
import { runCrowdBranch } from '../tests/fixtures/crowd/pipeline.js';
import { makeTestContext } from '../tests/helpers/node-context.js';
import { median } from './stats.js';

const RUNS = Number(process.argv[2] ?? 7);
const ms = (x: number) => `${x.toFixed(0)} ms`;

const cafe = cafeShapedDataset(1);
const ds = await datasetInput(cafe);

// ---- 1. the four nodes on default-sized data ----
const times: Record<string, number[]> = {};
let cold: Record<string, number> | undefined;
for (let i = 0; i < RUNS; i++) {
  const run = await runCrowdBranch(ds.input, { collect: { seed: i + 1 } });
  if (i === 0) cold = run.ms;
  else for (const [k, v] of Object.entries(run.ms)) (times[k] ??= []).push(v);
  await run.cleanup();
}
console.log(`crowd branch on ${cafe.images.length} CAFE-shaped images, defaults; median of ${RUNS - 1} warm runs (first run shown apart):`);
let total = 0;
for (const [k, v] of Object.entries(times)) {
  total += median(v);
  console.log(`  ${k.padEnd(18)} ${ms(median(v)).padStart(8)}   (first run ${ms(cold![k])})`);
}
console.log(`  ${'all'.padEnd(18)} ${ms(total).padStart(8)}   (first run ${ms(Object.values(cold!).reduce((a, b) => a + b, 0))})`);

// ---- 2. one million CSV rows ----
const ROWS = 1_000_000;
const tmp = await mkdtemp(path.join(os.tmpdir(), 'softlab-bench-crowd-'));
const file = path.join(tmp, 'million.csv');
{
  const out = createWriteStream(file);
  const rng = new Random('bench-csv');
  const workers = 5000;
  const perWorker = ROWS / workers;
  const ids = cafe.images.map((im) => im.id);
  let chunk = 'worker_id,image_id,label,phase,seconds\n';
  for (let w = 0; w < workers; w++) {
    for (let j = 0; j < perWorker; j++) {
      const img = ids[(w * 7 + j) % ids.length];
      chunk += `W${String(w).padStart(6, '0')},${img}.jpg,${CAFE_EXPRESSIONS[rng.int(7)]},${j < 10 ? 'qualification' : 'task'},${(1 + rng.next() * 9).toFixed(2)}\n`;
      if (chunk.length > 1 << 20) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}
const size = (await stat(file)).size;
const importTimes: number[] = [];
const rssBefore = process.memoryUsage().rss;
let responsesDir = '';
let keep: Awaited<ReturnType<typeof makeTestContext>> | undefined;
for (let i = 0; i < 3; i++) {
  const run = await makeTestContext(crowdCollect, { params: { source: 'csv', file }, inputs: { dataset: ds.input } });
  const t = performance.now();
  await crowdCollect.run(run.ctx);
  importTimes.push(performance.now() - t);
  if (i === 2) {
    keep = run;
    responsesDir = run.outDirs.responses;
  } else await run.cleanup();
}
const peak = process.resourceUsage().maxRSS / 1024;
console.log(`\nCSV import of ${ROWS.toLocaleString('en')} rows (${(size / 1e6).toFixed(0)} MB, long format, image names with .jpg):`);
console.log(`  median of 3: ${ms(median(importTimes))} (runs: ${importTimes.map(ms).join(', ')}), including writing the artifact and responses.csv`);
console.log(`  peak RSS of the whole bench process: ${peak.toFixed(0)} MB (RSS before the imports ${(rssBefore / 1e6).toFixed(0)} MB)`);

const responses = await folderInput(responsesDir, 'responses', 'million.responses');
for (const method of ['soft', 'dawid-skene']) {
  const run = await makeTestContext(aggregate, { params: { method }, inputs: { responses } });
  const t = performance.now();
  await aggregate.run(run.ctx);
  const dt = performance.now() - t;
  const s = run.summary!;
  console.log(`  aggregate ${method} on ${s.answers} task answers: ${ms(dt)}${method === 'dawid-skene' ? ` (${s.iterations} iterations)` : ''}`);
  await run.cleanup();
}
await keep?.cleanup();
await rm(tmp, { recursive: true, force: true });
await ds.cleanup();
