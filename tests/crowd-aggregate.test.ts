// aggregate: vote shares, the plurality tie rule, lab counts, Dawid-Skene and
// one-coin (a known answer and a spammer-heavy simulated crowd), input errors.

import { readFile } from 'node:fs/promises';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { argmax, classMerge, mergeVector } from '../artifacts/classes.js';
import { readLabels, type LabelSet } from '../artifacts/labels.js';
import { readResponses, type Responses } from '../artifacts/responses.js';
import aggregate from '../nodes/aggregate.js';
import crowdCollect from '../nodes/crowd-collect.js';
import { dawidSkene } from '../nodes/crowd/aggregation.js';
import { folderInput } from '../runner/folder-io.js';
import { UserInputError, type InputHandle } from '../runner/node-api.js';
import { cafeShapedDataset, datasetInput } from './fixtures/crowd/cafe-shaped.js';
import { miniDataset } from './fixtures/crowd/mini.js';
import { buildResponses, responsesInput, type Row } from './fixtures/crowd/responses.js';
import { makeTestContext } from './helpers/node-context.js';

const mini = miniDataset();

async function runAggregate(params: Record<string, unknown>, inputs: Record<string, InputHandle>): Promise<{ labels: LabelSet; summary: Record<string, unknown>; csv: string }> {
  const run = await makeTestContext(aggregate, { params, inputs });
  try {
    await aggregate.run(run.ctx);
    const labels = await readLabels(await folderInput(run.outDirs.labels, 'labels', 'agg.labels'));
    const csv = await readFile(`${run.outDirs.labels}/labels.csv`, 'utf8');
    return { labels, summary: run.summary!, csv };
  } finally {
    await run.cleanup();
  }
}

async function withResponses<T>(rows: Row[], fn: (input: InputHandle) => Promise<T>): Promise<T> {
  const r = await responsesInput(buildResponses(mini, rows));
  try {
    return await fn(r.input);
  } finally {
    await r.cleanup();
  }
}

const H = 'happy_F-LA-07-2';
const S = 'sad_F-AS-01';
const A = 'angryopen_F-AA-02';
const ROWS: Row[] = [
  ['w1', H, 'happy', 't'],
  ['w2', H, 'happy', 't'],
  ['w3', H, 'surprise', 't'],
  ['w4', H, 'fear', 't'],
  // S: 2 sad vs 2 anger/disgust (tie between sad and anger+disgust under study5)
  ['w1', S, 'sad', 't'],
  ['w2', S, 'anger', 't'],
  ['w3', S, 'sad', 't'],
  ['w4', S, 'disgust', 't'],
  // A: 1 happy, 1 neutral: tie between the first two classes
  ['w1', A, 'neutral', 't'],
  ['w2', A, 'happy', 't'],
  // quiz answers do not count by default
  ['w1', 'neutral_M-EA-15b', 'neutral', 'q'],
  ['w2', 'neutral_M-EA-15b', 'sad', 'q'],
];

test('soft: vote shares over the merged classes (task answers only), optional smoothing', async () => {
  await withResponses(ROWS, async (responses) => {
    const { labels, summary } = await runAggregate({}, { responses });
    assert.equal(labels.classes, ['happy', 'neutral', 'sad', 'fear+surprise', 'anger+disgust']);
    assert.is(labels.origin, 'crowd');
    assert.is(labels.workers, 4);
    const by = new Map(labels.items.map((it) => [it.imageId, it]));
    assert.equal(labels.items.map((it) => it.imageId), [A, H, S], 'items in dataset order');
    assert.equal(by.get(H)!.probs, [0.5, 0, 0, 0.5, 0]);
    assert.equal(by.get(S)!.probs, [0, 0, 0.5, 0, 0.5]);
    assert.equal(by.get(A)!.probs, [0.5, 0.5, 0, 0, 0]);
    assert.is(by.get(H)!.n, 4);
    assert.is(summary.images, 3);
    assert.is(summary.answers, 10);
    const smooth = await runAggregate({ smoothing: 1 }, { responses });
    assert.equal(smooth.labels.items.find((it) => it.imageId === H)!.probs, [3 / 9, 1 / 9, 1 / 9, 3 / 9, 1 / 9]);
    const seven = await runAggregate({ merge: 'none' }, { responses });
    assert.equal(seven.labels.items.find((it) => it.imageId === H)!.probs, [0, 0, 0.25, 0.5, 0, 0, 0.25]);
  });
});

test('plurality: one-hot; ties go to the class listed first (happy > neutral > sad > fear+surprise > anger+disgust)', async () => {
  await withResponses(ROWS, async (responses) => {
    const { labels, csv } = await runAggregate({ method: 'plurality' }, { responses });
    const by = new Map(labels.items.map((it) => [it.imageId, it]));
    assert.equal(by.get(H)!.probs, [1, 0, 0, 0, 0], 'happy 2 vs fear+surprise 2: happy is listed first');
    assert.equal(by.get(S)!.probs, [0, 0, 1, 0, 0], 'sad 2 vs anger+disgust 2: sad is listed first');
    assert.equal(by.get(A)!.probs, [1, 0, 0, 0, 0]);
    assert.is(by.get(S)!.label, 2);
    assert.match(csv, /^image_id,happy,neutral,sad,fear\+surprise,anger\+disgust,label,n\n/);
    // in 7 classes the same votes split the other way: anger (index 0) beats sad
    const seven = await runAggregate({ method: 'plurality', merge: 'none' }, { responses });
    assert.is(seven.labels.classes[seven.labels.items.find((it) => it.imageId === S)!.label], 'sad');
    assert.is(seven.labels.classes[seven.labels.items.find((it) => it.imageId === H)!.label], 'happy');
  });
});

test('phase: quiz answers only when asked', async () => {
  await withResponses(ROWS, async (responses) => {
    const q = await runAggregate({ phase: 'qualification' }, { responses });
    assert.equal(q.labels.items.map((it) => [it.imageId, it.probs]), [['neutral_M-EA-15b', [0, 0.5, 0.5, 0, 0]]]);
    const all = await runAggregate({ phase: 'all' }, { responses });
    assert.is(all.labels.items.length, 4);
  });
});

test('lab counts: shares of the 100 raters, merged; plurality of the lab', async () => {
  const ds = await datasetInput(mini);
  try {
    const { labels } = await runAggregate({}, { dataset: ds.input });
    assert.is(labels.origin, 'lab');
    assert.is(labels.items.length, 9);
    const fear = labels.items.find((it) => it.imageId === 'fearfulopen_M-LA-04')!;
    assert.equal(fear.probs, [0, 0, 0.05, 0.95, 0]);
    assert.is(fear.n, 100);
    const disgust = labels.items.find((it) => it.imageId === 'disgustwithtongue_F-AA-03')!;
    assert.equal(disgust.probs, [0, 0, 0.1, 0, 0.9]);
    const seven = await runAggregate({ method: 'plurality', merge: 'none' }, { dataset: ds.input });
    assert.is(seven.labels.classes[seven.labels.items.find((it) => it.imageId === 'fearfulopen_M-LA-04')!.label], 'surprise');
  } finally {
    await ds.cleanup();
  }
});

test('input errors: exactly one of responses/dataset; no Dawid-Skene on lab counts; 5-class answers cannot give 7', async () => {
  const ds = await datasetInput(mini);
  const resp = await responsesInput(buildResponses(mini, ROWS));
  const five: Responses = { ...buildResponses(mini, ROWS), labelMerge: 'study5', classes: ['happy', 'neutral', 'sad', 'fear+surprise', 'anger+disgust'] };
  const resp5 = await responsesInput({ ...five, label: five.label.map(() => 0) });
  const expectError = async (params: Record<string, unknown>, inputs: Record<string, InputHandle>, re: RegExp) => {
    try {
      await runAggregate(params, inputs);
      assert.unreachable(`expected ${re}`);
    } catch (e) {
      assert.instance(e, UserInputError, String(e));
      assert.match((e as Error).message, re);
    }
  };
  try {
    await expectError({}, {}, /connect exactly one input: responses \(crowd answers\) or dataset \(lab counts\)$/);
    await expectError({}, { responses: resp.input, dataset: ds.input }, /connect exactly one input.*, not both/);
    await expectError({ method: 'dawid-skene' }, { dataset: ds.input }, /method dawid-skene needs each answer's worker/);
    await expectError({ merge: 'none' }, { responses: resp5.input }, /cannot be split into 7: set merge: study5/);
    await expectError({ phase: 'task' }, { responses: (await responsesInput(buildResponses(mini, [['w', H, 'happy', 'q']]))).input }, /no task answers to aggregate/);
  } finally {
    await ds.cleanup();
    await resp.cleanup();
    await resp5.cleanup();
  }
});

function table(rows: [item: number, worker: number, cls: number][], items: number, workers: number) {
  return {
    items,
    workers,
    classes: 5,
    item: Int32Array.from(rows.map((r) => r[0])),
    worker: Int32Array.from(rows.map((r) => r[1])),
    cls: Uint8Array.from(rows.map((r) => r[2])),
  };
}

test('Dawid-Skene on a known case: 3 reliable workers outvoted by 4 who always say happy', () => {
  const truth = Array.from({ length: 20 }, (_, i) => i % 5);
  const rows: [number, number, number][] = [];
  truth.forEach((t, i) => {
    for (let w = 0; w < 3; w++) rows.push([i, w, t]);
    for (let w = 3; w < 7; w++) rows.push([i, w, 0]);
  });
  const t = table(rows, truth.length, 7);
  const res = dawidSkene(t, { oneCoin: false, tolerance: 1e-8, maxIterations: 200 });
  const hard = truth.map((_, i) => argmax(res.probs.subarray(i * 5, i * 5 + 5)));
  assert.equal(hard, truth, 'every item recovered (plurality says happy for all)');
  assert.ok(res.converged);
  for (let w = 0; w < 3; w++) assert.ok(res.skill[w] > 0.95, `reliable worker ${w} skill ${res.skill[w]}`);
  for (let w = 3; w < 7; w++) assert.ok(res.skill[w] < 0.4, `constant worker ${w} skill ${res.skill[w]}`);
  const again = dawidSkene(t, { oneCoin: false, tolerance: 1e-8, maxIterations: 200 });
  assert.equal(Array.from(again.probs), Array.from(res.probs), 'deterministic');
  // one-coin cannot tell: a worker who always agrees with the majority looks accurate to it
});

test('Dawid-Skene and one-coin on a known case: 2 reliable workers against 3 spammers who sometimes agree', () => {
  // every item: workers 0 and 1 right; spammers 2-4 wrong, agreeing on one wrong label on every third item
  const truth = Array.from({ length: 30 }, (_, i) => (i * 2) % 5);
  const rows: [number, number, number][] = [];
  truth.forEach((t, i) => {
    rows.push([i, 0, t], [i, 1, t]);
    for (let s = 0; s < 3; s++) rows.push([i, 2 + s, i % 3 === 0 ? (t + 1) % 5 : (t + 1 + s) % 5]);
  });
  const t = table(rows, truth.length, 5);
  const plurality = truth.map((_, i) => {
    const v = [0, 0, 0, 0, 0];
    rows.filter((r) => r[0] === i).forEach((r) => v[r[2]]++);
    return argmax(v);
  });
  assert.is(plurality.filter((p, i) => p === truth[i]).length, 20, 'plurality misses the 10 items where the spammers agree');
  for (const oneCoin of [false, true]) {
    const res = dawidSkene(t, { oneCoin, tolerance: 1e-8, maxIterations: 500 });
    const hard = truth.map((_, i) => argmax(res.probs.subarray(i * 5, i * 5 + 5)));
    assert.equal(hard, truth, `${oneCoin ? 'one-coin' : 'dawid-skene'} recovers every item`);
  }
});

test('Dawid-Skene recovers the careful workers\' labels better than plurality on a spammer-heavy simulated crowd', async () => {
  const cafe = cafeShapedDataset(1);
  const ds = await datasetInput(cafe);
  const run = await makeTestContext(crowdCollect, {
    params: { seed: 11, workers: 60, labels_per_image: 15, mix: { careful: 0.3, careless: 0.1, spammer_uniform: 0.25, spammer_constant: 0.35, biased: 0 } },
    inputs: { dataset: ds.input },
  });
  try {
    await crowdCollect.run(run.ctx);
    const responses = await folderInput(run.outDirs.responses, 'responses', 'crowd.responses');
    const r = await readResponses(responses);
    const m5 = classMerge('study5');
    // what the careful workers say about each image (plurality of their answers, 5 classes)
    const carefulVotes = new Map<string, number[]>();
    for (let i = 0; i < r.length; i++) {
      if (r.phase[i] !== 1 || r.workerKinds![r.worker[i]] !== 'careful') continue;
      const id = r.imageIds[r.image[i]];
      if (!carefulVotes.has(id)) carefulVotes.set(id, [0, 0, 0, 0, 0]);
      carefulVotes.get(id)![m5.mapIndex[r.label[i]]]++;
    }
    const lab = new Map(cafe.images.map((im, i) => [im.id, argmax(mergeVector(cafe.counts[i], m5))]));
    const score = (labels: LabelSet) => {
      let careful = 0;
      let carefulN = 0;
      let labOk = 0;
      for (const it of labels.items) {
        const v = carefulVotes.get(it.imageId);
        if (v && Math.max(...v) >= 2) {
          carefulN++;
          if (it.label === argmax(v)) careful++;
        }
        if (it.label === lab.get(it.imageId)) labOk++;
      }
      return { careful: careful / carefulN, lab: labOk / labels.items.length };
    };
    const plurality = score((await runAggregate({ method: 'plurality' }, { responses })).labels);
    const ds1 = await runAggregate({ method: 'dawid-skene' }, { responses });
    const dsScore = score(ds1.labels);
    assert.ok(dsScore.careful >= plurality.careful + 0.1, `careful labels: dawid-skene ${dsScore.careful.toFixed(3)} vs plurality ${plurality.careful.toFixed(3)}`);
    assert.ok(dsScore.lab >= plurality.lab + 0.1, `lab labels: dawid-skene ${dsScore.lab.toFixed(3)} vs plurality ${plurality.lab.toFixed(3)}`);
    assert.ok(ds1.summary.converged, 'EM converged');
    const again = await runAggregate({ method: 'dawid-skene' }, { responses });
    assert.equal(again.labels, ds1.labels, 'deterministic');
  } finally {
    await run.cleanup();
    await ds.cleanup();
  }
});

test.run();
