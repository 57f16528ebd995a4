// Child process for the CSV-import measurements (tests/reliability-csv.test.ts,
// bench/reliability-csv.ts): writes a long-format crowd CSV of ROWS rows over a
// CAFE-shaped dataset, then imports it with crowd-collect in this fresh process,
// so its peak RSS is the import's alone. Prints one JSON line.
// argv: ROWS WORK_DIR

import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { CAFE_EXPRESSIONS } from '../../artifacts/classes.js';
import crowdCollect from '../../nodes/crowd-collect.js';
import { Random } from '../../runner/random.js';
import { cafeShapedDataset, datasetInput } from '../fixtures/crowd/cafe-shaped.js';
import { makeTestContext } from './node-context.js';

const rows = Number(process.argv[2]);
const work = process.argv[3];
const cafe = cafeShapedDataset(1);
const ds = await datasetInput(cafe);
const file = path.join(work, `crowd-${rows}.csv`);
{
  // 5000 workers, each answering 10 quiz images then tasks; image names as files with .jpg
  const out = createWriteStream(file);
  const rng = new Random('reliability-csv');
  const ids = cafe.images.map((im) => im.id);
  const perWorker = Math.max(1, Math.ceil(rows / 5000));
  let chunk = 'worker_id,image_id,label,phase,seconds\n';
  for (let r = 0; r < rows; r++) {
    const w = Math.floor(r / perWorker);
    const j = r % perWorker;
    chunk += `W${String(w).padStart(6, '0')},${ids[(w * 7 + j) % ids.length]}.jpg,${CAFE_EXPRESSIONS[rng.int(7)]},${j < 10 ? 'qualification' : 'task'},${(1 + rng.next() * 9).toFixed(2)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}
const bytes = (await stat(file)).size;
const run = await makeTestContext(crowdCollect, { params: { source: 'csv', file }, inputs: { dataset: ds.input } });
global.gc?.();
const rssBefore = process.memoryUsage().rss;
const peakBefore = process.resourceUsage().maxRSS * 1024;
const t0 = performance.now();
await crowdCollect.run(run.ctx);
const ms = performance.now() - t0;
const peakRss = process.resourceUsage().maxRSS * 1024;
process.stdout.write(
  JSON.stringify({ rows, bytes, ms, responses: run.summary?.responses, skipped: run.summary?.skipped, rssBeforeMb: rssBefore / 1048576, peakRssMb: peakRss / 1048576, growthMb: (peakRss - Math.max(rssBefore, peakBefore)) / 1048576 }) + '\n',
);
await run.cleanup();
await ds.cleanup();
