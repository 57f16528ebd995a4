// Broken data through the whole runner: truncated, zero-byte and non-image files
// in a CAFE folder (load-cafe), and crowd CSVs with a BOM, CRLF, quoted commas,
// missing and extra columns, duplicate rows, labels outside the class set, and
// workers with no quiz answers (crowd-collect, filter). With `strict` (the
// default) each is a one-line `input` failure naming the file (and row) and
// saying what to do; with `strict: false` each is skipped and counted by reason.
// One spec holds every case, so one run checks them all.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { removeScratch, scratchDir } from './helpers/faults.js';
import type { RunSummaryNode } from '../runner/events.js';
import { runSpec } from './helpers/run.js';
import { writeSpec } from './helpers/specs.js';

/** [CAFE file name, lab counts anger..surprise] */
const IMAGES: [string, number[]][] = [
  ['angry_F-AA-01.jpg', [70, 20, 0, 0, 5, 5, 0]],
  ['happy_F-AA-01.jpg', [0, 0, 0, 97, 3, 0, 0]],
  ['sad_M-EA-02.jpg', [5, 5, 5, 0, 15, 70, 0]],
  ['neutral_M-EA-02.jpg', [0, 0, 0, 2, 90, 8, 0]],
  ['fearful_F-LA-03.jpg', [0, 0, 45, 0, 0, 5, 50]],
  ['surprise_F-LA-03.jpg', [0, 0, 25, 5, 0, 0, 70]],
  ['disgust_M-AS-04.jpg', [10, 80, 0, 5, 0, 5, 0]],
];
const BROKEN_IMAGE = 'happy_M-SA-09.jpg';
const HEADER = 'Stimulus,Angry,Disgusted,Fearful,Happy,Neutral,Sad,Surprised';

let root: string;
let nodes: Record<string, RunSummaryNode>;
let rejected = 0;

/** A CAFE-style folder `name/` (images + ratings.csv); `broken` replaces one image's bytes. */
async function cafeFolder(name: string, broken?: Buffer): Promise<void> {
  const sharp = (await import('sharp')).default;
  const dir = path.join(root, name, 'images');
  mkdirSync(dir, { recursive: true });
  const rows = [HEADER];
  for (const [i, [file, counts]] of IMAGES.entries()) {
    const img = sharp({ create: { width: 20, height: 24, channels: 3, background: { r: 30 * i, g: 200 - 20 * i, b: 90 } } });
    writeFileSync(path.join(dir, file), await img.jpeg().toBuffer());
    rows.push([file, ...counts].join(','));
  }
  if (broken) {
    writeFileSync(path.join(dir, BROKEN_IMAGE), broken);
    rows.push([BROKEN_IMAGE, 0, 0, 0, 100, 0, 0, 0].join(','));
  }
  writeFileSync(path.join(root, name, 'ratings.csv'), rows.join('\n') + '\n');
}

/** The pieces of a broken data set, each in its own folder. */
async function brokenImages(): Promise<Record<string, Buffer>> {
  const sharp = (await import('sharp')).default;
  const noise = Buffer.alloc(48 * 48 * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251;
  const jpeg = await sharp(noise, { raw: { width: 48, height: 48, channels: 3 } }).jpeg().toBuffer();
  return {
    truncated: jpeg.subarray(0, jpeg.length >> 1),
    zero: Buffer.alloc(0),
    notimage: Buffer.from('<html><body>404 Not Found</body></html>\n'),
  };
}

const csv = (lines: string[], eol = '\n'): string => lines.join(eol) + eol;
const ids = IMAGES.map(([f]) => f.replace('.jpg', ''));

/** Crowd CSVs (long layout) over the good folder's images. */
const CSVS: Record<string, string> = {
  // BOM, CRLF line ends, a quoted comma in a free-text column, an image given as a quoted path with a comma-free name
  bom_crlf_quoted: '\uFEFF' + csv(['worker_id,image_id,label,phase,note', `w1,${ids[0]},anger,task,"looks cross, maybe sad"`, `w1,"images/${ids[1]}.jpg",happy,task,"smiling, clearly"`, `w2,${ids[0]},disgust,task,`], '\r\n'),
  missing_column: csv(['worker_id,image_id,answer', `w1,${ids[0]},anger`]),
  // columns the importer does not use are ignored, and so are extra cells at the end of a row
  extra_columns: csv(['worker_id,image_id,label,country,hit_id', `w1,${ids[0]},anger,NZ,h1`, `w2,${ids[0]},sad,FR,h2,unexpected,cells`]),
  duplicate_row: csv(['worker_id,image_id,label', `w1,${ids[0]},anger`, `w2,${ids[2]},sad`, `w1,${ids[0]},anger`]),
  unknown_label: csv(['worker_id,image_id,label', `w1,${ids[0]},anger`, `w2,${ids[1]},contempt`]),
  // everything at once, strict: false: skipped and counted by reason
  lax: csv(['worker_id,image_id,label', `w1,${ids[0]},anger`, `w1,${ids[0]},anger`, `w2,${ids[1]},contempt`, `w3,nobody_X-XX-99,sad`, `w4,${ids[2]},`, `w5,${ids[3]},neutral`]),
  // w1 and w2 took the quiz; w3 never did
  quiz: csv([
    'worker_id,image_id,label,phase',
    ...['w1', 'w2'].flatMap((w) => IMAGES.slice(0, 5).map(([f], i) => `${w},${f.replace('.jpg', '')},${['anger', 'happy', 'sad', 'neutral', 'surprise'][i]},qualification`)),
    ...['w1', 'w2', 'w3'].map((w) => `${w},${ids[6]},disgust,task`),
  ]),
};

test.before(async () => {
  root = scratchDir('softlab-broken-data-');
  await cafeFolder('good');
  for (const [name, bytes] of Object.entries(await brokenImages())) {
    await cafeFolder(`img_${name}`, bytes);
  }
  // one folder with every broken image, for strict: false
  const sharpFolder = path.join(root, 'img_all', 'images');
  await cafeFolder('img_all');
  const broken = await brokenImages();
  const extra = ['happy_M-SA-09.jpg', 'happy_M-SA-10.jpg', 'happy_M-SA-11.jpg'];
  Object.values(broken).forEach((b, i) => writeFileSync(path.join(sharpFolder, extra[i]), b));
  writeFileSync(path.join(root, 'img_all', 'ratings.csv'), [HEADER, ...IMAGES.map(([f, c]) => [f, ...c].join(',')), ...extra.map((f) => `${f},0,0,0,100,0,0,0`)].join('\n') + '\n');
  for (const [name, text] of Object.entries(CSVS)) writeFileSync(path.join(root, `${name}.csv`), text);

  const load = (name: string, folder: string, strict = true) =>
    `  ${name}:\n    type: load-cafe\n    params: { source: directory, images: ${folder}/images, ratings: ${folder}/ratings.csv, size: 12, strict: ${strict} }\n`;
  const crowd = (name: string, strict = true) => `  csv_${name}:\n    type: crowd-collect\n    inputs: { dataset: good.dataset }\n    params: { source: csv, file: ${name}.csv, strict: ${strict} }\n`;
  const spec = writeSpec(
    root,
    'pipeline: broken-data\nnodes:\n' +
      load('good', 'good') +
      load('img_truncated', 'img_truncated') +
      load('img_zero', 'img_zero') +
      load('img_notimage', 'img_notimage') +
      load('img_lax', 'img_all', false) +
      Object.keys(CSVS)
        .map((n) => crowd(n, n !== 'lax'))
        .join('') +
      '  quiz_filter:\n    type: filter\n    inputs: { responses: csv_quiz.responses, dataset: good.dataset }\n    params: { min_quiz_answers: 5, min_accuracy: 0.6 }\n',
  );
  const r = await runSpec(spec, { cacheDir: path.join(root, 'cache'), outDir: path.join(root, 'out'), jobs: 2 });
  nodes = Object.fromEntries(r.summary.nodes.map((n) => [n.name, n]));
});

/** A node that failed on bad input: one line, naming where, saying what to do. */
function refused(name: string, where: RegExp, what: RegExp): string {
  const n = nodes[name];
  assert.is(n.status, 'failed', `${name} should fail`);
  assert.is(n.failure?.kind, 'input', `${name}: ${JSON.stringify(n.failure)}`);
  const msg = n.failure!.message;
  assert.not.match(msg, /\n/, 'one line');
  assert.match(msg, where);
  assert.match(msg, what);
  rejected++;
  return msg;
}

test('images: truncated, zero-byte and not-an-image files each fail with one line naming the file', () => {
  assert.is(nodes.good.status, 'executed');
  refused('img_truncated', /^img_truncated\/images\/happy_M-SA-09\.jpg: cannot decode the image \(the JPEG data is cut short: the file is truncated\); replace or remove the file/, /set strict: false/);
  refused('img_zero', /^img_zero\/images\/happy_M-SA-09\.jpg: cannot decode the image \(the file is empty, 0 bytes\); replace or remove the file/, /set strict: false/);
  refused('img_notimage', /^img_notimage\/images\/happy_M-SA-09\.jpg: cannot decode the image \(not an image: the content is not JPEG, PNG, GIF, WebP, TIFF or BMP\); replace or remove the file/, /set strict: false/);
});

test('images, strict: false: the three broken files are skipped and counted; the rest load', () => {
  const n = nodes.img_lax;
  assert.is(n.status, 'executed');
  assert.is(n.summary?.images, IMAGES.length);
  assert.is(n.summary?.skipped, 3);
  assert.equal(n.summary?.skipped_by_reason, { 'undecodable image': 3 });
});

test('CSV with a BOM, CRLF line ends and quoted commas imports every row', () => {
  const n = nodes.csv_bom_crlf_quoted;
  assert.is(n.status, 'executed', JSON.stringify(n.failure));
  assert.is(n.summary?.responses, 3);
  assert.is(n.summary?.skipped, 0);
});

test('CSV with extra columns and extra cells: they are ignored', () => {
  const n = nodes.csv_extra_columns;
  assert.is(n.status, 'executed', JSON.stringify(n.failure));
  assert.is(n.summary?.responses, 2);
});

test('CSV with a missing column, a duplicate row, a label outside the class set: one line each, with the row', () => {
  refused('csv_missing_column', /^missing_column\.csv:1: no label column: expected "label" \(long format\); the header has worker_id, image_id, answer/, /set columns\.label/);
  refused('csv_duplicate_row', /^duplicate_row\.csv:4: worker w1 already answered image "angry_F-AA-01" \(task\) on an earlier row/, /set strict: false to skip such rows/);
  refused('csv_unknown_label', /^unknown_label\.csv:3: unknown label "contempt" \(expected one of anger, disgust, fear, happy, neutral, sad, surprise or a synonym\)/, /set strict: false/);
});

test('CSV, strict: false: every bad row skipped and counted by reason', () => {
  const n = nodes.csv_lax;
  assert.is(n.status, 'executed', JSON.stringify(n.failure));
  assert.is(n.summary?.responses, 2);
  assert.is(n.summary?.skipped, 4);
  assert.equal(n.summary?.skipped_by_reason, { 'duplicate answer': 1, 'unknown label': 1, 'unknown image': 1, 'empty cell': 1 });
});

test('a worker with no quiz answers is kept out by filter, counted as "too few quiz answers"', () => {
  const f = nodes.quiz_filter;
  assert.is(f.status, 'executed', JSON.stringify(f.failure));
  assert.is(f.summary?.workers, 3);
  assert.is(f.summary?.kept, 2);
  assert.equal(f.summary?.dropped_by_reason, { 'too few quiz answers': 1 });
});

test.after(() => console.log(`  bad inputs rejected with a one-line message: ${rejected}`));

test.after(removeScratch);

test.run();
