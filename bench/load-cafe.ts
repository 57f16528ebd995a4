// Rendering speed of the synthetic CAFE: 1192 images (154 children) at 48x48 grey
// and 224x224 RGB, median of 5 runs each, plus the whole node at defaults
// (render + split + dataset files + report). Targets from issue 3: under 2 s and
// under 20 s. Run: node --import tsx bench/load-cafe.ts [runs]

import def from '../nodes/load-cafe.js';
import { generateSynthetic, type SyntheticOptions } from '../nodes/load-cafe/synthetic/generate.js';
import { makeTestContext } from '../tests/helpers/node-context.js';
import { median } from './stats.js';

const RUNS = Number(process.argv[2] ?? 5);

const base: SyntheticOptions = {
  seed: 1, children: 154, size: 48, channels: 1, raters: 100, ambiguousShare: 0.35, blendConcentration: 3, poseJitter: 1, lighting: 1, sensorNoise: 5,
};


async function time(fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const rows: [string, number[], number][] = [];
for (const [label, size, channels, target] of [['48x48x1', 48, 1, 2000], ['224x224x3', 224, 3, 20000]] as const) {
  const ms = await time(() => generateSynthetic({ ...base, size, channels }, () => {}));
  rows.push([`render 1192 images ${label}`, ms, target]);
}
const nodeMs = await time(async () => {
  const run = await makeTestContext(def, { params: {} });
  await def.run(run.ctx);
  await run.cleanup();
});
rows.push(['node run at defaults (incl. report)', nodeMs, NaN]);

console.log(`\nload-cafe bench, ${RUNS} runs each (times in ms; shared 2-core machine, expect noise)\n`);
console.log('| what | median | min | max | target |');
console.log('|---|---|---|---|---|');
for (const [what, ms, target] of rows) {
  console.log(`| ${what} | ${median(ms).toFixed(0)} | ${Math.min(...ms).toFixed(0)} | ${Math.max(...ms).toFixed(0)} | ${Number.isNaN(target) ? '' : `< ${target}`} |`);
}
