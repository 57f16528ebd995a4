// The crowd branch end to end on a CAFE-shaped dataset with every default: the
// study's finding holds (filtered crowd agrees with the lab at least as well as the
// unfiltered one in every class, and clearly better overall).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cafeShapedDataset, datasetInput } from './fixtures/crowd/cafe-shaped.js';
import { runCrowdBranch, type CrowdBranchRun } from './fixtures/crowd/pipeline.js';

let ds: Awaited<ReturnType<typeof datasetInput>>;
let run: CrowdBranchRun;

test.before(async () => {
  ds = await datasetInput(cafeShapedDataset(1));
  run = await runCrowdBranch(ds.input);
});
test.after(async () => {
  await run.cleanup();
  await ds.cleanup();
});

test('filtered agrees with the lab at least as well as unfiltered in every class', () => {
  const [u, f] = run.agreementJson.sets;
  assert.is(u.name, 'unfiltered');
  assert.is(f.name, 'filtered');
  assert.is(u.images, 207);
  assert.is(f.images, 207);
  for (let k = 0; k < u.perClass.length; k++) {
    const uc = u.perClass[k];
    const fc = f.perClass[k];
    assert.ok(uc.images > 0, `class ${uc.class} has task images`);
    assert.ok(fc.share! >= uc.share!, `${fc.class}: filtered ${fc.share} >= unfiltered ${uc.share}`);
  }
});

test('unfiltered agreement is weak, filtered strong, and filtered distributions are closer to the lab', () => {
  const [u, f] = run.agreementJson.sets;
  assert.ok(u.overall < 0.9, `unfiltered overall ${u.overall}`);
  assert.ok(Math.min(...u.perClass.map((c) => c.share!)) < 0.8, 'some class below 80% unfiltered');
  assert.ok(f.overall > 0.95, `filtered overall ${f.overall}`);
  assert.ok(f.overall - u.overall > 0.05);
  assert.ok(f.meanL1 < u.meanL1 && f.meanJS < u.meanJS);
  assert.is(u.workers, 100);
  assert.ok(f.workers < u.workers);
});

test('the quiz keeps every careful worker and no spammer', () => {
  const kept = run.runs.filter.summary!.kept_by_kind as Record<string, string>;
  assert.is(kept.careful, '35/35');
  assert.is(kept.spammer_uniform, '0/15');
  assert.is(kept.spammer_constant, '0/15');
});

test('each node reports its headline figures', () => {
  for (const name of ['crowd', 'filter', 'crowd_unfiltered', 'crowd_filtered', 'lab', 'agreement']) {
    assert.ok(run.runs[name].summary, `${name} wrote summary.json`);
  }
  const s = run.runs.crowd.summary!;
  for (const k of ['responses', 'workers', 'images', 'skipped']) assert.ok(k in s, `crowd-collect summary has ${k}`);
});

test.run();
