// filter: the quiz rule keeps and drops exactly as documented, on a hand-made crowd.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PHASE_TASK, readResponses, readWorkers, type WorkerRow } from '../artifacts/responses.js';
import filter from '../nodes/filter.js';
import { folderInput } from '../runner/folder-io.js';
import { UserInputError } from '../runner/node-api.js';
import { datasetInput } from './fixtures/crowd/cafe-shaped.js';
import { miniDataset } from './fixtures/crowd/mini.js';
import { buildResponses, responsesInput, type Row } from './fixtures/crowd/responses.js';
import { makeTestContext } from './helpers/node-context.js';

const mini = miniDataset();
// quiz images and their lab plurality (7 classes): happy, surprise, surprise (a fear pose read as surprise), neutral, sad
const Q = ['happy_F-LA-07-2', 'surprise_F-SA-05', 'fearfulopen_M-LA-04', 'neutral_M-EA-15b', 'sad_F-AS-01'];
const T = ['angryopen_F-AA-02', 'disgustwithtongue_F-AA-03', 'happy_M-EA-06', 'neutral_F-AA-08'];

const quiz = (w: string, labels: string[], secs = 5): Row[] => labels.map((l, k) => [w, Q[k], l, 'q', secs]);
const tasks = (w: string, labels: string[], secs = 5): Row[] => labels.map((l, k) => [w, T[k], l, 't', secs]);

const ROWS: Row[] = [
  // A: all right under study5; "fear" on the fear-read-as-surprise image is wrong under 7 classes (4/5)
  ...quiz('A', ['happy', 'surprise', 'fear', 'neutral', 'sad']),
  ...tasks('A', ['anger', 'disgust', 'happy', 'neutral']),
  // B: one wrong (sad for neutral): 4/5 = 0.8
  ...quiz('B', ['happy', 'surprise', 'surprise', 'sad', 'sad']),
  ...tasks('B', ['anger', 'anger', 'happy', 'sad']),
  // C: 3/5 = 0.6
  ...quiz('C', ['happy', 'anger', 'surprise', 'sad', 'sad']),
  ...tasks('C', ['sad', 'sad', 'sad', 'sad']),
  // D: only 3 quiz answers, all right
  ...quiz('D', ['happy', 'surprise', 'surprise']),
  ...tasks('D', ['anger', 'disgust', 'happy', 'neutral']),
  // E: all right but fast (1 s per answer)
  ...quiz('E', ['happy', 'surprise', 'surprise', 'neutral', 'sad'], 1),
  ...tasks('E', ['anger', 'disgust', 'happy', 'neutral'], 1),
  // F: all right in the quiz, then "happy" on every task: 5 of 9 answers happy (56%)
  ...quiz('F', ['happy', 'surprise', 'surprise', 'neutral', 'sad']),
  ...tasks('F', ['happy', 'happy', 'happy', 'happy']),
  // G: no quiz at all
  ...tasks('G', ['anger', 'disgust', 'happy', 'neutral']),
];

async function runFilter(params: Record<string, unknown> = {}, rows: Row[] = ROWS) {
  const ds = await datasetInput(mini);
  const resp = await responsesInput(buildResponses(mini, rows));
  const run = await makeTestContext(filter, { params, inputs: { responses: resp.input, dataset: ds.input } });
  try {
    await filter.run(run.ctx);
    const kept = await readResponses(await folderInput(run.outDirs.responses, 'responses', 'filter.responses'));
    const workers = await readWorkers(await folderInput(run.outDirs.workers, 'workers', 'filter.workers'));
    const { readFile } = await import('node:fs/promises');
    const report = await readFile(`${run.outDirs.report}/report.md`, 'utf8');
    return { kept, workers: workers.workers, summary: run.summary!, report };
  } finally {
    await run.cleanup();
    await ds.cleanup();
    await resp.cleanup();
  }
}

const keptNames = (ws: WorkerRow[]) => ws.filter((w) => w.kept).map((w) => w.worker);
const row = (ws: WorkerRow[], name: string) => ws.find((w) => w.worker === name)!;

test('default rule (accuracy >= 0.8 on 5 classes, >= 5 quiz answers): keeps A, B, E, F', async () => {
  const { kept, workers, summary } = await runFilter();
  assert.equal(keptNames(workers), ['A', 'B', 'E', 'F']);
  assert.is(row(workers, 'A').quizAccuracy, 1);
  assert.is(row(workers, 'B').quizAccuracy, 0.8);
  assert.is(row(workers, 'C').quizAccuracy, 0.6);
  assert.is(row(workers, 'C').reason, 'quiz accuracy 60% < 80%');
  assert.is(row(workers, 'D').reason, 'too few quiz answers (3 < 5)');
  assert.is(row(workers, 'G').reason, 'too few quiz answers (0 < 5)');
  assert.is(row(workers, 'G').quizAccuracy, null);
  assert.is(row(workers, 'A').answers, 4);
  assert.is(row(workers, 'A').quizAnswers, 5);
  // the output holds only kept workers' task answers
  assert.is(kept.length, 16);
  assert.equal(kept.workerIds, ['A', 'B', 'E', 'F']);
  for (let i = 0; i < kept.length; i++) assert.is(kept.phase[i], PHASE_TASK);
  assert.is(summary.kept, 4);
  assert.is(summary.workers, 7);
  assert.is(summary.task_answers_in, 28);
  assert.is(summary.task_answers_kept, 16);
});

test('merge: none compares on 7 classes, so "fear" for a face read as surprise is wrong', async () => {
  const { workers } = await runFilter({ merge: 'none' });
  assert.is(row(workers, 'A').quizAccuracy, 0.8);
  assert.ok(row(workers, 'A').kept);
  const strict = await runFilter({ merge: 'none', min_accuracy: 0.85 });
  assert.equal(keptNames(strict.workers), ['E', 'F']);
});

test('min_accuracy is inclusive and min_quiz_answers counts quiz answers', async () => {
  assert.equal(keptNames((await runFilter({ min_accuracy: 0.81 })).workers), ['A', 'E', 'F']);
  assert.equal(keptNames((await runFilter({ min_accuracy: 0.6, min_quiz_answers: 3 })).workers), ['A', 'B', 'C', 'D', 'E', 'F']);
  assert.equal(keptNames((await runFilter({ min_accuracy: 0, min_quiz_answers: 0 })).workers), ['A', 'B', 'C', 'D', 'E', 'F', 'G']);
});

test('optional rules: too fast (median seconds) and straight-lining (one label share)', async () => {
  const fast = await runFilter({ min_seconds: 2 });
  assert.equal(keptNames(fast.workers), ['A', 'B', 'F']);
  assert.is(row(fast.workers, 'E').reason, 'too fast (median 1.0 s < 2 s)');
  const straight = await runFilter({ max_same_label_share: 0.5 });
  assert.equal(keptNames(straight.workers), ['A', 'B', 'E']);
  assert.match(row(straight.workers, 'F').reason, /^one label on 55\.6% of answers \(> 50%\)$/);
  assert.equal(straight.summary.dropped_by_reason, { 'too few quiz answers': 2, 'quiz accuracy below min_accuracy': 1, 'straight-lining (max_same_label_share)': 2 });
  // several failed rules are all listed
  const both = await runFilter({ min_seconds: 2, max_same_label_share: 0.5, min_accuracy: 1 });
  assert.is(row(both.workers, 'B').reason, 'quiz accuracy 80% < 100%');
});

test('report says what was kept', async () => {
  const { report } = await runFilter();
  assert.match(report, /Kept \*\*4 of 7 workers\*\*/);
  assert.match(report, /Task answers kept: 16 of 28/);
});

test('quiz answers on an image the dataset lacks are a user error', async () => {
  const other = { ...mini, images: mini.images.slice(1), counts: mini.counts.slice(1), pixels: mini.pixels.slice(1) };
  const ds = await datasetInput(other);
  const resp = await responsesInput(buildResponses(mini, [['A', 'angryopen_F-AA-02', 'anger', 'q']]));
  const run = await makeTestContext(filter, { inputs: { responses: resp.input, dataset: ds.input } });
  try {
    await filter.run(run.ctx);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UserInputError);
    assert.match((e as Error).message, /quiz image "angryopen_F-AA-02" is not in the dataset/);
  } finally {
    await run.cleanup();
    await ds.cleanup();
    await resp.cleanup();
  }
});

test.run();
