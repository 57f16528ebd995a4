// How long `compare` takes on a study-sized test set (240 images, 2 models, all
// charts and a 12-image gallery), and how long the run report takes to build from
// a finished run. The first run in a process pays for loading vega, sharp and jstat
// ("cold"); the median is over the runs after it.
//
//   node --import tsx bench/compare.ts [runs=5]

import { rm } from 'node:fs/promises';
import compare from '../nodes/compare.js';
import { writeRunReport } from '../runner/report/index.js';
import { datasetInput, makeDataset, makePredictions, predictionsInput, tempDir } from '../tests/fixtures/compare/build.js';
import { makeFinishedRun } from '../tests/fixtures/compare/run-fixture.js';
import { makeTestContext } from '../tests/helpers/node-context.js';
import { median } from './stats.js';

const runs = Number(process.argv[2] ?? 5);


async function timeCompare(root: string, gallery: number): Promise<number[]> {
  const ds = makeDataset({ images: 720, size: 48 }); // every third child held out: 240 test images
  const inputs = {
    reference: await datasetInput(ds, root),
    onehot: await predictionsInput(makePredictions(ds, 'onehot'), root, 'onehot'),
    soft: await predictionsInput(makePredictions(ds, 'soft'), root, 'soft'),
  };
  const times: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const run = await makeTestContext(compare, { inputs, params: { gallery } });
    const t0 = performance.now();
    await compare.run(run.ctx);
    times.push(performance.now() - t0);
    if (i === 0) console.log(`compare: ${run.summary?.n} images, 2 models, gallery ${gallery}`);
    await run.cleanup();
  }
  return times;
}

async function main(): Promise<void> {
  const root = await tempDir('bench-compare');
  try {
    for (const gallery of [12, 0]) {
      const t = await timeCompare(root, gallery);
      console.log(`  gallery ${gallery}: cold ${t[0].toFixed(0)} ms, warm median ${median(t.slice(1)).toFixed(0)} ms (runs: ${t.slice(1).map((x) => x.toFixed(0)).join(', ')})`);
    }
    const { input, outDir } = await makeFinishedRun(root, { images: 720, gallery: 12 });
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await writeRunReport(input, outDir);
      times.push(performance.now() - t0);
    }
    console.log(`run report (6 nodes, compare with 240 images and a 12-image gallery): median ${median(times).toFixed(0)} ms (runs: ${times.map((x) => x.toFixed(0)).join(', ')})`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
