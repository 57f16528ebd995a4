// aggregate's `images` input, which the default sweep uses for a fair comparison
// (the lab's labels for exactly the images the crowd labelled): lab counts or crowd
// answers restricted to the images of a responses or labels artifact, missing
// images counted, no overlap refused in one line.

import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readLabels, writeLabels, type LabelSet } from '../artifacts/labels.js';
import aggregate from '../nodes/aggregate.js';
import { folderInput, folderOutput } from '../runner/folder-io.js';
import { UserInputError, type InputHandle } from '../runner/node-api.js';
import { datasetInput } from './fixtures/crowd/cafe-shaped.js';
import { miniDataset } from './fixtures/crowd/mini.js';
import { buildResponses, responsesInput, type Row } from './fixtures/crowd/responses.js';
import { makeTestContext } from './helpers/node-context.js';
import { tempDir } from './helpers/specs.js';

const mini = miniDataset();
const H = 'happy_F-LA-07-2';
const S = 'sad_F-AS-01';
const A = 'angryopen_F-AA-02';
const N = 'neutral_M-EA-15b';

// task answers on H and S; a quiz answer on N (not a task image)
const ROWS: Row[] = [
  ['w1', H, 'happy', 't'],
  ['w2', H, 'happy', 't'],
  ['w1', S, 'sad', 't'],
  ['w2', S, 'neutral', 't'],
  ['w1', N, 'neutral', 'q'],
];

async function run(params: Record<string, unknown>, inputs: Record<string, InputHandle>) {
  const r = await makeTestContext(aggregate, { params, inputs, name: 'agg' });
  try {
    await aggregate.run(r.ctx);
    const labels = await readLabels(await folderInput(r.outDirs.labels, 'labels', 'agg.labels'));
    return { labels, summary: r.summary!, logs: r.logs };
  } finally {
    await r.cleanup();
  }
}

async function labelsInput(ids: string[]): Promise<InputHandle> {
  const dir = path.join(tempDir(), 'labels');
  const set: LabelSet = { classes: ['happy', 'neutral', 'sad', 'fear+surprise', 'anger+disgust'], merge: 'study5', method: 'soft', origin: 'crowd', items: ids.map((imageId) => ({ imageId, probs: [1, 0, 0, 0, 0], label: 0, n: 1 })) };
  await writeLabels(folderOutput(dir), set);
  return folderInput(dir, 'labels', 'other.labels');
}

test('lab counts for exactly the images the crowd answered in the task', async () => {
  const ds = await datasetInput(mini);
  const resp = await responsesInput(buildResponses(mini, ROWS));
  try {
    const all = await run({}, { dataset: ds.input });
    const only = await run({}, { dataset: ds.input, images: resp.input });
    assert.equal(only.labels.items.map((it) => it.imageId), [H, S], 'dataset order, quiz-only image left out');
    assert.is(only.labels.origin, 'lab');
    // the same distributions as without the restriction
    for (const it of only.labels.items) assert.equal(it, all.labels.items.find((x) => x.imageId === it.imageId));
    assert.equal(only.summary.restricted_to, { source: resp.input.source, images: 2, missing: 0 });
    assert.is(only.summary.images, 2);
    assert.not.ok('restricted_to' in all.summary);
    // with phase: all, the quiz image counts too
    const withQuiz = await run({ phase: 'all' }, { dataset: ds.input, images: resp.input });
    assert.equal(withQuiz.labels.items.map((it) => it.imageId), [N, H, S]);
  } finally {
    await ds.cleanup();
    await resp.cleanup();
  }
});

test('crowd answers restricted to a label set; images it lacks are counted and warned about', async () => {
  const resp = await responsesInput(buildResponses(mini, ROWS));
  try {
    const only = await run({}, { responses: resp.input, images: await labelsInput([H, A]) });
    assert.equal(only.labels.items.map((it) => [it.imageId, it.probs]), [[H, [1, 0, 0, 0, 0]]]);
    assert.is(only.labels.workers, 2);
    assert.equal(only.summary.restricted_to, { source: 'other.labels', images: 2, missing: 1 });
    assert.ok(only.logs.some((l) => l === 'warn: 1 of the 2 images of other.labels are not in ' + resp.input.source), only.logs.join('\n'));
  } finally {
    await resp.cleanup();
  }
});

test('no image in common is a one-line user error', async () => {
  const ds = await datasetInput(mini);
  try {
    const none = await labelsInput(['not-in-the-dataset']);
    try {
      await run({}, { dataset: ds.input, images: none });
      assert.unreachable('should throw');
    } catch (e) {
      assert.instance(e, UserInputError);
      assert.is((e as Error).message, `${ds.input.source}: none of the 1 images of other.labels are here; connect images from the same dataset`);
    }
  } finally {
    await ds.cleanup();
  }
});

test.run();
