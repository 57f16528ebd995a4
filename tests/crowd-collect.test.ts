// crowd-collect with source: simulate: determinism, the task and quiz design, and
// each worker kind's behaviour.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CAFE_EXPRESSIONS, argmax, classMerge, mergeVector, normalize } from '../artifacts/classes.js';
import type { Dataset } from '../artifacts/dataset.js';
import { PHASE_QUALIFICATION, PHASE_TASK, WORKER_KINDS, readResponses, type Responses, type WorkerKind } from '../artifacts/responses.js';
import crowdCollect from '../nodes/crowd-collect.js';
import { allocate } from '../nodes/crowd/simulate.js';
import { folderInput } from '../runner/folder-io.js';
import { UserInputError } from '../runner/node-api.js';
import { cafeShapedDataset, datasetInput } from './fixtures/crowd/cafe-shaped.js';
import { miniDataset } from './fixtures/crowd/mini.js';
import { makeTestContext } from './helpers/node-context.js';

let cafe: Dataset;
let ds: Awaited<ReturnType<typeof datasetInput>>;

test.before(async () => {
  cafe = cafeShapedDataset(1);
  ds = await datasetInput(cafe);
});
test.after(() => ds.cleanup());

async function simulate(params: Record<string, unknown> = {}) {
  const run = await makeTestContext(crowdCollect, { params, inputs: { dataset: ds.input } });
  await crowdCollect.run(run.ctx);
  const responses = await readResponses(await folderInput(run.outDirs.responses, 'responses', 'crowd.responses'));
  const files = {
    json: await readFile(path.join(run.outDirs.responses, 'responses.json'), 'utf8'),
    bin: await readFile(path.join(run.outDirs.responses, 'columns.bin')),
    report: await readFile(path.join(run.outDirs.report, 'report.md'), 'utf8'),
  };
  await run.cleanup();
  return { responses, summary: run.summary!, files };
}

const dist7 = (i: number) => normalize(cafe.counts[i]);
const index = () => new Map(cafe.images.map((im, i) => [im.id, i]));

test('deterministic for a seed; another seed gives another crowd', async () => {
  const a = await simulate({ seed: 7 });
  const b = await simulate({ seed: 7 });
  const c = await simulate({ seed: 8 });
  assert.ok(a.files.bin.equals(b.files.bin), 'same seed, same answers');
  assert.is(a.files.json, b.files.json);
  assert.not.ok(a.files.bin.equals(c.files.bin), 'another seed, other answers');
});

test('default design: 207 task images stratified by expression, disjoint clear quiz first, distinct workers per image', async () => {
  const { responses: r, summary } = await simulate();
  const ids = index();
  const quiz = new Set<number>();
  const task = new Map<number, Set<number>>();
  const seenTask = new Set<number>();
  for (let i = 0; i < r.length; i++) {
    const img = r.image[i];
    if (r.phase[i] === PHASE_QUALIFICATION) {
      quiz.add(img);
      assert.not.ok(seenTask.has(r.worker[i]), 'a worker answers the whole quiz before any task');
    } else {
      seenTask.add(r.worker[i]);
      if (!task.has(img)) task.set(img, new Set());
      const ws = task.get(img)!;
      assert.not.ok(ws.has(r.worker[i]), 'no worker answers an image twice');
      ws.add(r.worker[i]);
    }
  }
  assert.is(task.size, 207);
  for (const ws of task.values()) assert.is(ws.size, 20);
  assert.is(quiz.size, 15);
  for (const q of quiz) {
    assert.not.ok(task.has(q), 'quiz and task images are disjoint');
    const d = dist7(ids.get(r.imageIds[q])!);
    assert.ok(Math.max(...d) >= 0.8, `quiz image ${r.imageIds[q]} has a clear lab answer`);
  }
  // every worker took the whole quiz
  const quizPerWorker = new Uint32Array(r.workerIds.length);
  for (let i = 0; i < r.length; i++) if (r.phase[i] === PHASE_QUALIFICATION) quizPerWorker[r.worker[i]]++;
  assert.ok(quizPerWorker.every((n) => n === 15));
  // stratified: each expression in proportion to its share of the dataset
  const perExpr = CAFE_EXPRESSIONS.map((e) => cafe.images.filter((im) => im.expression === e).length);
  const want = allocate(207, perExpr);
  const got = CAFE_EXPRESSIONS.map((e) => [...task.keys()].filter((j) => cafe.images[ids.get(r.imageIds[j])!].expression === e).length);
  assert.equal(got, want);
  // kinds as the default mix says
  assert.equal(summary.kinds, { careful: 35, careless: 20, spammer_uniform: 15, spammer_constant: 15, biased: 15 });
  assert.is(summary.responses, 100 * 15 + 207 * 20);
  assert.is(summary.workers, 100);
  assert.is(summary.images, 207);
  assert.is(summary.skipped, 0);
  assert.is(summary.synthetic, true);
});

function byKind(r: Responses): Map<WorkerKind, number[]> {
  const m = new Map<WorkerKind, number[]>(WORKER_KINDS.map((k) => [k, []]));
  r.workerKinds!.forEach((k, w) => m.get(k)!.push(w));
  return m;
}

test('uniform spammers answer near-uniformly; constant spammers give one label', async () => {
  const { responses: r } = await simulate({ mix: { careful: 0, careless: 0, spammer_uniform: 0.5, spammer_constant: 0.5, biased: 0 }, workers: 40, labels_per_image: 20 });
  const kinds = byKind(r);
  const uniform = new Set(kinds.get('spammer_uniform'));
  const counts = new Array(7).fill(0);
  const labelsOf = new Map<number, Set<number>>();
  for (let i = 0; i < r.length; i++) {
    if (uniform.has(r.worker[i])) counts[r.label[i]]++;
    else {
      if (!labelsOf.has(r.worker[i])) labelsOf.set(r.worker[i], new Set());
      labelsOf.get(r.worker[i])!.add(r.label[i]);
    }
  }
  const n = counts.reduce((a, b) => a + b, 0);
  assert.ok(n > 2000, `enough answers (${n})`);
  const chi2 = counts.reduce((s, c) => s + (c - n / 7) ** 2 / (n / 7), 0);
  assert.ok(chi2 < 22.46, `uniform spammers' label counts fit uniform (chi2 ${chi2.toFixed(1)} < 22.46, df 6, p 0.001): ${counts}`);
  assert.is(labelsOf.size, 20);
  for (const s of labelsOf.values()) assert.is(s.size, 1);
});

test('careful workers pass the quiz; careless and spammers mostly do not', async () => {
  const { responses: r } = await simulate({ seed: 3 });
  const m5 = classMerge('study5');
  const ids = index();
  const correct = new Float64Array(r.workerIds.length);
  const total = new Float64Array(r.workerIds.length);
  for (let i = 0; i < r.length; i++) {
    if (r.phase[i] !== PHASE_QUALIFICATION) continue;
    const gold = argmax(mergeVector(cafe.counts[ids.get(r.imageIds[r.image[i]])!], m5));
    total[r.worker[i]]++;
    if (m5.mapIndex[r.label[i]] === gold) correct[r.worker[i]]++;
  }
  const mean = (ws: number[]) => ws.reduce((s, w) => s + correct[w] / total[w], 0) / ws.length;
  const kinds = byKind(r);
  const careful = kinds.get('careful')!;
  assert.ok(mean(careful) >= 0.95, `careful mean quiz accuracy ${mean(careful)}`);
  for (const w of careful) assert.ok(correct[w] / total[w] >= 0.8, `careful worker ${r.workerIds[w]} accuracy ${correct[w] / total[w]}`);
  assert.ok(mean(kinds.get('careless')!) < 0.8, `careless ${mean(kinds.get('careless')!)}`);
  assert.ok(mean(kinds.get('spammer_uniform')!) < 0.45, `uniform ${mean(kinds.get('spammer_uniform')!)}`);
  assert.ok(mean(kinds.get('spammer_constant')!) < 0.45, `constant ${mean(kinds.get('spammer_constant')!)}`);
});

test('decisive careful workers give the lab plurality; biased ones swap at most two classes, consistently; careless ones click at random', async () => {
  // a very high sharpening makes careful answers the lab's top class where it leads clearly
  const { responses: r } = await simulate({ careful_sharpen: 60, bias_strength: 1, careless_random: 0.5, mix: { careful: 1, careless: 1, spammer_uniform: 0, spammer_constant: 0, biased: 1 }, workers: 60 });
  const ids = index();
  const top = r.imageIds.map((id) => {
    const d = dist7(ids.get(id)!);
    const s = [...d].sort((a, b) => b - a);
    return s[0] - s[1] >= 0.1 ? argmax(d) : -1; // clear leader only
  });
  const kinds = r.workerKinds!;
  const swaps = new Map<number, Map<number, Set<number>>>();
  let carefulOff = 0;
  let carelessOff = 0;
  let carelessN = 0;
  for (let i = 0; i < r.length; i++) {
    const t = top[r.image[i]];
    if (t < 0) continue;
    const w = r.worker[i];
    const a = r.label[i];
    if (kinds[w] === 'careful' && a !== t) carefulOff++;
    if (kinds[w] === 'careless') {
      carelessN++;
      if (a !== t) carelessOff++;
    }
    if (kinds[w] === 'biased' && a !== t) {
      if (!swaps.has(w)) swaps.set(w, new Map());
      const m = swaps.get(w)!;
      if (!m.has(t)) m.set(t, new Set());
      m.get(t)!.add(a);
    }
  }
  assert.is(carefulOff, 0, 'careful answers are the clear lab leader');
  // random clicks land off the leader 6/7 of the time: 0.5 * 6/7 = 0.43
  assert.ok(Math.abs(carelessOff / carelessN - 0.43) < 0.05, `careless off-share ${carelessOff / carelessN}`);
  assert.ok(swaps.size >= 15, `most biased workers show their confusion (${swaps.size} of 20)`);
  const m5 = classMerge('study5');
  for (const m of swaps.values()) {
    assert.ok(m.size <= 2, 'at most two confused classes');
    for (const [from, tos] of m) {
      assert.is(tos.size, 1, 'a confusion always goes to the same class');
      assert.is.not(m5.mapIndex[from], m5.mapIndex[[...tos][0]], 'confusions cross the merged classes');
    }
  }
});

test('speeds: spammers answer fastest, careful workers slowest', async () => {
  const { responses: r } = await simulate({ seed: 2 });
  const kinds = r.workerKinds!;
  const med = (k: WorkerKind) => {
    const v: number[] = [];
    for (let i = 0; i < r.length; i++) if (kinds[r.worker[i]] === k) v.push(r.seconds[i]);
    v.sort((a, b) => a - b);
    return v[v.length >> 1];
  };
  assert.ok(med('spammer_constant') < med('spammer_uniform'));
  assert.ok(med('spammer_uniform') < med('careless'));
  assert.ok(med('careless') < med('biased'));
  assert.ok(med('biased') < med('careful'));
  assert.ok(Math.abs(med('careful') - 7) < 1.5, `careful median ${med('careful')} s near the default 7 s`);
});

test('bad simulate params: too few workers for labels_per_image, too small a dataset', async () => {
  const p = (over: Record<string, unknown>) => ({ source: 'simulate', labels_per_image: 20, workers: 100, mix: { careful: 1, careless: 0, spammer_uniform: 0, spammer_constant: 0, biased: 0 }, ...over }) as never;
  assert.equal(crowdCollect.check!(p({ labels_per_image: 30, workers: 10 })).map((x) => x.param), ['labels_per_image']);
  assert.equal(crowdCollect.check!(p({ mix: { careful: 0, careless: 0, spammer_uniform: 0, spammer_constant: 0, biased: 0 } })).map((x) => x.param), ['mix']);
  const mini = await datasetInput(miniDataset());
  const run = await makeTestContext(crowdCollect, { params: {}, inputs: { dataset: mini.input } });
  try {
    await crowdCollect.run(run.ctx);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UserInputError);
    assert.match((e as Error).message, /the dataset has 9 images, fewer than images \+ quiz_size = 222/);
  } finally {
    await run.cleanup();
    await mini.cleanup();
  }
});

test('the responses.csv beside the artifact re-imports to the same answers', async () => {
  const run = await makeTestContext(crowdCollect, { params: { seed: 5, images: 30, workers: 12, labels_per_image: 4, quiz_size: 5 }, inputs: { dataset: ds.input } });
  await crowdCollect.run(run.ctx);
  const sim = await readResponses(await folderInput(run.outDirs.responses, 'responses', 'sim'));
  const back = await makeTestContext(crowdCollect, { params: { source: 'csv', file: 'responses.csv' }, inputs: { dataset: ds.input }, specDir: run.outDirs.responses });
  await crowdCollect.run(back.ctx);
  const imp = await readResponses(await folderInput(back.outDirs.responses, 'responses', 'imp'));
  assert.is(imp.length, sim.length);
  for (let i = 0; i < sim.length; i++) {
    assert.is(imp.workerIds[imp.worker[i]], sim.workerIds[sim.worker[i]]);
    assert.is(imp.imageIds[imp.image[i]], sim.imageIds[sim.image[i]]);
    assert.is(imp.label[i], sim.label[i]);
    assert.is(imp.phase[i], sim.phase[i]);
    assert.ok(Math.abs(imp.seconds[i] - sim.seconds[i]) < 0.006);
  }
  assert.match(await readFile(path.join(run.outDirs.report, 'report.md'), 'utf8'), /Simulated crowd \(synthetic\)/);
  await run.cleanup();
  await back.cleanup();
});

test.run();
