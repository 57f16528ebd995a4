// crowd-collect with source: csv: the long layout, MTurk batch results, mapped
// columns, and every bad-row case with its message and row number.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CAFE_EXPRESSIONS } from '../artifacts/classes.js';
import { PHASE_TASK, readResponses, type Responses } from '../artifacts/responses.js';
import crowdCollect from '../nodes/crowd-collect.js';
import { folderInput } from '../runner/folder-io.js';
import { UserInputError, type InputHandle } from '../runner/node-api.js';
import { datasetInput } from './fixtures/crowd/cafe-shaped.js';
import { miniDataset } from './fixtures/crowd/mini.js';
import { makeTestContext } from './helpers/node-context.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'crowd');
let ds: Awaited<ReturnType<typeof datasetInput>>;
let tmp: string;

test.before(async () => {
  ds = await datasetInput(miniDataset());
  tmp = await mkdtemp(path.join(os.tmpdir(), 'softlab-crowd-csv-'));
});
test.after(async () => {
  await ds.cleanup();
  await rm(tmp, { recursive: true, force: true });
});

async function importCsv(params: Record<string, unknown>, specDir = FIXTURES, dataset: InputHandle = ds.input) {
  const run = await makeTestContext(crowdCollect, { params: { source: 'csv', ...params }, inputs: { dataset }, specDir });
  try {
    await crowdCollect.run(run.ctx);
    const responses = await readResponses(await folderInput(run.outDirs.responses, 'responses', 'crowd.responses'));
    return { responses, summary: run.summary!, run };
  } finally {
    await run.cleanup();
  }
}

/** Import a CSV text written to a temp file; returns the result or the thrown error. */
async function importText(text: string, params: Record<string, unknown> = {}): Promise<{ responses?: Responses; summary?: Record<string, unknown>; error?: Error }> {
  const file = `case-${Math.random().toString(36).slice(2)}.csv`;
  await writeFile(path.join(tmp, file), text);
  try {
    const r = await importCsv({ file, ...params }, tmp);
    return { responses: r.responses, summary: r.summary };
  } catch (e) {
    return { error: e as Error };
  }
}

function rowsOf(r: Responses): string[] {
  const out: string[] = [];
  for (let i = 0; i < r.length; i++) {
    const s = r.seconds[i];
    out.push(`${r.workerIds[r.worker[i]]} ${r.imageIds[r.image[i]]} ${r.classes[r.label[i]]} ${r.phase[i] === PHASE_TASK ? 'task' : 'qual'} ${Number.isNaN(s) ? '-' : +s.toFixed(2)}`);
  }
  return out;
}

test('long format: synonyms, phases, seconds, file names and Databrary paths matched to ids', async () => {
  const { responses, summary } = await importCsv({ file: 'long.csv' });
  assert.equal(rowsOf(responses), [
    'w01 happy_F-LA-07-2 happy qual 4.2',
    'w01 surprise_F-SA-05 surprise qual 5',
    'w01 angryopen_F-AA-02 anger task 6.1',
    'w01 sad_F-AS-01 sad task 7.25',
    'w02 happy_F-LA-07-2 neutral qual 1.1',
    'w02 surprise_F-SA-05 fear qual 0.9',
    'w02 angryopen_F-AA-02 disgust task -',
    'w02 sad_F-AS-01 neutral task 1',
  ]);
  assert.is(responses.labelMerge, 'none');
  assert.equal(responses.classes, CAFE_EXPRESSIONS);
  assert.is(summary.responses, 8);
  assert.is(summary.workers, 2);
  assert.is(summary.images, 2); // images with task answers
  assert.is(summary.skipped, 0);
});

test('MTurk batch results: WorkerId, WorkTimeInSeconds, Input.image_url, Answer.emotion; rejected assignments left out', async () => {
  const { responses, summary } = await importCsv({ file: 'mturk-batch-results.csv' });
  assert.is(summary.format, 'mturk');
  assert.is(responses.length, 18);
  assert.is(summary.rejected, 1);
  assert.is(summary.skipped, 0);
  assert.equal(responses.workerIds, ['A1B2C3D4E5F6G7', 'A3KX9QW2ZPLM0N', 'AZ81JQ0Y4TRE2']);
  const rows = rowsOf(responses);
  assert.is(rows[0], 'A1B2C3D4E5F6G7 angryopen_F-AA-02 anger task 5');
  assert.ok(rows.includes('A3KX9QW2ZPLM0N fearfulopen_M-LA-04 fear task 13'), rows.join('\n'));
  assert.ok(rows.includes('A3KX9QW2ZPLM0N neutral_M-EA-15b neutral task 15'), 'Calm is neutral');
  for (let i = 0; i < responses.length; i++) assert.is(responses.phase[i], PHASE_TASK);
});

test('mapped columns import another platform\'s export (Microworkers-like)', async () => {
  const text = [
    'Campaign,Task ID,Worker,Photo,Emotion,Duration,Stage',
    'c1,t1,mw-77,/img/happy_F-LA-07-2.png,Joy,3,quiz',
    'c1,t2,mw-77,/img/sad_F-AS-01.png,SADNESS,4.5,main',
  ].join('\n');
  const { responses, error } = await importText(text, { columns: { worker: 'Worker', image: 'Photo', label: 'Emotion', seconds: 'Duration', phase: 'Stage' } });
  assert.not.ok(error, error?.message);
  assert.equal(rowsOf(responses!), ['mw-77 happy_F-LA-07-2 happy qual 3', 'mw-77 sad_F-AS-01 sad task 4.5']);
});

test('answers naming merged classes put the whole import in the study\'s 5 classes', async () => {
  const { responses } = await importText('worker_id,image_id,label\na,sad_F-AS-01,Fear + Surprise\na,happy_F-LA-07-2,happy\nb,sad_F-AS-01,anger\n');
  assert.is(responses!.labelMerge, 'study5');
  assert.equal(rowsOf(responses!).map((r) => r.split(' ')[2]), ['fear+surprise', 'happy', 'anger+disgust']);
});

const BAD: [string, string, RegExp][] = [
  ['unknown image', 'worker_id,image_id,label\na,happy_F-LA-07-2,happy\na,nobody_X-XX-99.jpg,sad\n', /^case-\w+\.csv:3: unknown image "nobody_X-XX-99\.jpg"/],
  ['unknown label', 'worker_id,image_id,label\na,happy_F-LA-07-2,happy\nb,happy_F-LA-07-2,confused\n', /:3: unknown label "confused"/],
  ['duplicate answer', 'worker_id,image_id,label\na,happy_F-LA-07-2,happy\nb,sad_F-AS-01,sad\na,happy_F-LA-07-2.jpg,neutral\n', /:4: worker a already answered image "happy_F-LA-07-2\.jpg" \(task\)/],
  ['empty cell', 'worker_id,image_id,label\na,happy_F-LA-07-2,happy\n,sad_F-AS-01,sad\n', /:3: empty worker_id cell/],
  ['empty label', 'worker_id,image_id,label\na,happy_F-LA-07-2,\n', /:2: empty label cell/],
  ['bad seconds', 'worker_id,image_id,label,seconds\na,happy_F-LA-07-2,happy,fast\n', /:2: "fast" in seconds is not a number/],
  ['unknown phase', 'worker_id,image_id,label,phase\na,happy_F-LA-07-2,happy,warmup\n', /:2: unknown phase "warmup"/],
  ['row number after a quoted newline', 'worker_id,image_id,label,note\na,happy_F-LA-07-2,happy,"two\nlines"\nb,x_Y-ZZ-01,sad,\n', /:3: unknown image "x_Y-ZZ-01"/],
];

for (const [name, text, message] of BAD) {
  test(`bad CSV (${name}): strict fails with the row; strict: false skips and counts`, async () => {
    const strict = await importText(text);
    assert.instance(strict.error, UserInputError, `${name}: expected a UserInputError, got ${strict.error}`);
    assert.match(strict.error!.message, message);
    assert.match(strict.error!.message, /set strict: false/);
    assert.not.match(strict.error!.message, /\n/, 'one line');
    const lax = await importText(text, { strict: false });
    assert.not.ok(lax.error, lax.error?.message);
    assert.is(lax.summary!.skipped, 1);
    assert.is(Object.values(lax.summary!.skipped_by_reason as Record<string, number>).reduce((a, b) => a + b, 0), 1);
  });
}

test('unterminated quote, missing columns and an empty file are user errors on row 1 or the quote\'s row', async () => {
  const quote = await importText('worker_id,image_id,label\na,happy_F-LA-07-2,"happy\n');
  assert.instance(quote.error, UserInputError);
  assert.match(quote.error!.message, /:2: a quoted field opened on row 2 is never closed/);
  const missing = await importText('worker,picture,answer\na,b,c\n');
  assert.instance(missing.error, UserInputError);
  assert.match(missing.error!.message, /:1: no worker column: expected "worker_id" \(long format\); the header has worker, picture, answer; set columns\.worker/);
  const mapped = await importText('worker_id,image_id,label\n', { columns: { seconds: 'Time' } });
  assert.match(mapped.error!.message, /:1: no column "Time" \(columns\.seconds\)/);
  const empty = await importText('');
  assert.match(empty.error!.message, /:1: the file is empty/);
  const mturk = await importText('WorkerId,Input.image,Input.url,Answer.x\n', { format: 'mturk' });
  assert.match(mturk.error!.message, /several input\.\* columns \(Input\.image, Input\.url\); set columns\.image/i);
});

test('a missing file is a one-line user error', async () => {
  try {
    await importCsv({ file: 'does-not-exist.csv' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UserInputError);
    assert.match((e as Error).message, /^does-not-exist\.csv: file not found/);
  }
});

test('params: csv needs a file; fileDeps names it', () => {
  assert.equal(crowdCollect.check!({ ...defaults(), source: 'csv', file: '' }), [{ param: 'file', message: 'source: csv needs `file`, the export to import' }]);
  assert.equal(crowdCollect.fileDeps!({ ...defaults(), source: 'csv', file: 'data/mturk.csv' }), ['data/mturk.csv']);
  assert.equal(crowdCollect.fileDeps!({ ...defaults(), source: 'simulate', file: '' }), []);
});

function defaults() {
  return { source: 'simulate', labels_per_image: 3, workers: 5, mix: { careful: 1, careless: 0, spammer_uniform: 0, spammer_constant: 0, biased: 0 } } as never as Parameters<NonNullable<typeof crowdCollect.check>>[0];
}

test.run();
