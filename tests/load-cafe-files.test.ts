// load-cafe on files: a CAFE-style folder (generated here: small JPEGs under CAFE
// names with the Databrary prefix, `withtongue`, `b` and `-2` variants) with a CSV
// or XLSX validity sheet, a generic manifest, and every bad-input case: a one-line
// message naming the file (and row) with strict, skipped and counted without.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readDataset, type Dataset } from '../artifacts/dataset.js';
import def from '../nodes/load-cafe.js';
import { folderInput } from '../runner/folder-io.js';
import { UserInputError } from '../runner/node-api.js';
import { makeTestContext } from './helpers/node-context.js';

/** [file under images/, ratings-sheet name, counts anger..surprise] */
const FILES: [string, string, number[]][] = [
  ['sessions/6280/9977-angry_F-AA-01.jpg', '9977-angry_F-AA-01.jpg', [70, 20, 0, 0, 5, 5, 0]],
  ['angryopen_F-AA-01.jpg', 'angryopen_F-AA-01', [60, 30, 5, 0, 0, 5, 0]],
  ['disgustwithtongue_F-AA-03.jpg', 'disgustwithtongue_F-AA-03.jpg', [10, 80, 0, 5, 0, 5, 0]],
  ['neutral_M-EA-15b.jpg', 'neutral_M-EA-15b.jpg', [0, 0, 0, 2, 90, 8, 0]],
  ['neutral_M-EA-15.jpg', 'neutral_M-EA-15.jpg', [0, 0, 0, 0, 95, 5, 0]],
  ['surprise_M-EA-15.jpg', 'surprise_M-EA-15', [0, 0, 25, 5, 0, 0, 70]],
  ['happy_F-LA-07-2.jpg', 'happy_F-LA-07-2.jpg', [0, 0, 0, 97, 3, 0, 0]],
  ['sessions/6281/1234-fearfulopen_F-AS-02.jpg', 'fearfulopen_F-AS-02.jpg', [0, 0, 45, 0, 0, 5, 50]],
  ['sad_M-SA-04.png', 'sad_M-SA-04.png', [5, 5, 5, 0, 15, 70, 0]],
];
const HEADER = ['Stimulus', 'Angry', 'Disgusted', 'Fearful', 'Happy', 'Neutral', 'Sad', 'Surprised'];

const temps: string[] = [];
test.after(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

async function jpeg(file: string, shade: number): Promise<void> {
  const sharp = (await import('sharp')).default;
  const img = sharp({ create: { width: 24, height: 30, channels: 3, background: { r: shade, g: 255 - shade, b: 90 } } });
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, await (file.endsWith('.png') ? img.png() : img.jpeg()).toBuffer());
}

/** A CAFE-style folder: images/ and ratings.csv (counts) and ratings.xlsx (proportions, title row above the header). */
async function fixture(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'softlab-load-cafe-'));
  temps.push(root);
  for (const [i, [file]] of FILES.entries()) await jpeg(path.join(root, 'images', file), 20 + i * 25);
  // things a real copy contains that are not images
  await writeFile(path.join(root, 'images', '.DS_Store'), 'x');
  await writeFile(path.join(root, 'images', '._angry_F-AA-01.jpg'), 'resource fork');
  await writeFile(path.join(root, 'images', 'README.txt'), 'CAFE');
  await writeCsv(root, 'ratings.csv', FILES.map(([, name, c]) => [name, ...c.map(String)]));
  const ExcelJS = (await import('exceljs')).default;
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('Validity');
  ws.addRow(['CAFE validity data (proportion of 100 raters)']);
  ws.addRow([]);
  ws.addRow(['Image', 'Accuracy', '% anger', '% disgust', '% fear', '% happy', '% neutral', '% sad', '% surprise']);
  for (const [, name, c] of FILES) ws.addRow([name, 0, ...c.map((v) => v / 100)]);
  await wb.xlsx.writeFile(path.join(root, 'ratings.xlsx'));
  return root;
}

async function writeCsv(root: string, name: string, rows: string[][], header = HEADER): Promise<void> {
  await writeFile(path.join(root, name), [header, ...rows].map((r) => r.join(',')).join('\r\n') + '\r\n');
}

async function load(root: string, params: Record<string, unknown>): Promise<{ ds: Dataset; summary: Record<string, any>; report: string }> {
  const run = await makeTestContext(def, { params: { source: 'directory', images: 'images', ratings: 'ratings.csv', size: 16, ...params }, specDir: root });
  temps.push(path.dirname(run.outDirs.report));
  await def.run(run.ctx);
  const ds = await readDataset(await folderInput(run.outDirs.dataset, 'dataset', 'cafe.dataset'));
  return { ds, summary: run.summary!, report: await readFile(path.join(run.outDirs.report, 'report.md'), 'utf8') };
}

async function failure(root: string, params: Record<string, unknown>): Promise<string> {
  try {
    await load(root, params);
  } catch (e) {
    assert.instance(e, UserInputError, String(e));
    const msg = (e as Error).message;
    assert.not.match(msg, '\n');
    return msg;
  }
  assert.unreachable('expected a UserInputError');
  return '';
}

test('a CAFE folder with a CSV of counts loads: ids, children, mouths, counts, split', async () => {
  const root = await fixture();
  const { ds, summary, report } = await load(root, {});
  assert.is(ds.source, 'directory');
  assert.is(ds.synthetic, false);
  assert.is(ds.images.length, FILES.length);
  const byId = new Map(ds.images.map((im, i) => [im.id, { im, counts: ds.counts[i] }]));
  assert.equal([...byId.keys()].sort(), [
    'angry_F-AA-01', 'angryopen_F-AA-01', 'disgustwithtongue_F-AA-03', 'fearfulopen_F-AS-02', 'happy_F-LA-07-2', 'neutral_M-EA-15', 'neutral_M-EA-15b', 'sad_M-SA-04', 'surprise_M-EA-15',
  ]);
  const a = byId.get('angry_F-AA-01')!;
  assert.equal([a.im.child, a.im.expression, a.im.mouth, a.im.sex, a.im.ethnicity, a.im.file], ['F-AA-01', 'anger', 'closed', 'F', 'AA', 'sessions/6280/9977-angry_F-AA-01.jpg']);
  assert.equal(a.counts, [70, 20, 0, 0, 5, 5, 0]);
  assert.equal([byId.get('disgustwithtongue_F-AA-03')!.im.expression, byId.get('disgustwithtongue_F-AA-03')!.im.mouth], ['disgust', 'open']);
  assert.is(byId.get('surprise_M-EA-15')!.im.mouth, 'open');
  assert.is(byId.get('neutral_M-EA-15b')!.im.child, 'M-EA-15');
  assert.is(byId.get('happy_F-LA-07-2')!.im.child, 'F-LA-07');
  assert.is(ds.pixels.length, FILES.length * 16 * 16);
  // the pixels are the files' (each file has its own shade)
  assert.ok(new Set(ds.images.map((_, i) => ds.pixels[i * 256 + 128])).size >= 5);
  // split by child
  const kidsIn = (s: string) => new Set(ds.images.filter((im) => im.split === s).map((im) => im.child));
  assert.is([...kidsIn('test')].filter((c) => kidsIn('train').has(c)).length, 0);
  assert.ok(kidsIn('test').size >= 1);
  assert.is(summary.synthetic, false);
  assert.is(summary.skipped, 0);
  assert.is(summary.children, 6);
  assert.equal(summary.lab_accuracy['angry/closed'], { n: 1, mean: 0.7, median: 0.7 });
  assert.not.match(report, 'SYNTHETIC');
  assert.match(report, 'non-image or hidden files ignored: 3');
});

test('an XLSX sheet of proportions under a title row gives the same counts; RGB works', async () => {
  const root = await fixture();
  const csv = await load(root, {});
  const xlsx = await load(root, { ratings: 'ratings.xlsx', channels: 3 });
  assert.equal(xlsx.ds.images.map((im) => im.id), csv.ds.images.map((im) => im.id));
  assert.equal(xlsx.ds.counts, csv.ds.counts);
  assert.match(xlsx.report, 'vote scale: proportions');
  assert.is(xlsx.ds.pixels.length, FILES.length * 16 * 16 * 3);
});

test('an explicit columns mapping overrides header detection', async () => {
  const root = await fixture();
  await writeCsv(root, 'odd.csv', FILES.map(([, name, c]) => [name, ...c.map(String)]), ['Pic', 'A', 'D', 'F', 'H', 'N', 'S', 'U']);
  const msg = await failure(root, { ratings: 'odd.csv' });
  assert.match(msg, 'odd.csv: no header row');
  const { ds } = await load(root, { ratings: 'odd.csv', columns: { file: 'Pic', anger: 'A', disgust: 'D', fear: 'F', happy: 'H', neutral: 'N', sad: 'S', surprise: 'U' } });
  assert.is(ds.images.length, FILES.length);
  const wrong = await failure(root, { ratings: 'odd.csv', columns: { file: 'Picture' } });
  assert.match(wrong, 'using columns.file = "Picture"');
  // a mapped header that exists in a sheet detection can read is still checked by name
  const named = await failure(root, { columns: { age: 'Age in years' } });
  assert.match(named, 'columns.age names "Age in years", which is not a header');
});

/** Each bad case: what to add to the fixture, and what the strict message must say. */
const BAD_CASES: { name: string; reason: string; setup: (root: string) => Promise<void>; expect: RegExp }[] = [
  {
    name: 'a file whose name does not parse',
    reason: 'name does not parse',
    setup: async (root) => jpeg(path.join(root, 'images', 'smile_kid.jpg'), 100),
    expect: /^images\/smile_kid\.jpg: the file name does not follow CAFE's scheme/,
  },
  {
    name: 'a spreadsheet row with no image',
    reason: 'row has no image',
    setup: async (root) => appendRow(root, 'sad_M-SA-09.jpg,0,0,0,0,0,100,0'),
    expect: /^ratings\.csv:11: no image file for sad_M-SA-09\.jpg under images/,
  },
  {
    name: 'an image with no row',
    reason: 'image has no row',
    setup: async (root) => jpeg(path.join(root, 'images', 'happy_M-EA-20.jpg'), 100),
    expect: /^images\/happy_M-EA-20\.jpg: no row for happy_M-EA-20 in ratings\.csv/,
  },
  {
    name: 'a row whose values do not sum sensibly',
    reason: 'bad values',
    setup: async (root) => {
      await jpeg(path.join(root, 'images', 'sad_M-SA-09.jpg'), 100);
      await appendRow(root, 'sad_M-SA-09.jpg,0,0,0,0,0,87,0');
    },
    expect: /^ratings\.csv:11: counts sum to 87, expected 100/,
  },
  {
    name: 'an undecodable image',
    reason: 'undecodable image',
    setup: async (root) => {
      await writeFile(path.join(root, 'images', 'sad_M-SA-09.jpg'), 'not a jpeg at all');
      await appendRow(root, 'sad_M-SA-09.jpg,0,0,0,0,0,100,0');
    },
    expect: /^images\/sad_M-SA-09\.jpg: cannot decode the image/,
  },
  {
    name: 'two files for one image id',
    reason: 'duplicate image',
    setup: async (root) => jpeg(path.join(root, 'images', 'sessions', '7000', '5-angryopen_F-AA-01.jpg'), 100),
    expect: /^images\/sessions\/7000\/5-angryopen_F-AA-01\.jpg: same image id angryopen_F-AA-01 as images\/angryopen_F-AA-01\.jpg/,
  },
];

async function appendRow(root: string, line: string): Promise<void> {
  const file = path.join(root, 'ratings.csv');
  await writeFile(file, (await readFile(file, 'utf8')) + line + '\r\n');
}

for (const c of BAD_CASES) {
  test(`bad input, strict: ${c.name} fails with one line naming it`, async () => {
    const root = await fixture();
    await c.setup(root);
    const msg = await failure(root, {});
    assert.match(msg, c.expect);
    assert.match(msg, 'strict: false');
  });
}

test('bad input, strict: false: every bad item is skipped and counted with its reason', async () => {
  const root = await fixture();
  await jpeg(path.join(root, 'images', 'smile_kid.jpg'), 100);
  await jpeg(path.join(root, 'images', 'happy_M-EA-20.jpg'), 100);
  await writeFile(path.join(root, 'images', 'sad_M-SA-09.jpg'), 'not a jpeg');
  await appendRow(root, 'sad_M-SA-09.jpg,0,0,0,0,0,100,0');
  await appendRow(root, 'angry_M-LA-11.jpg,0,0,0,0,0,100,0');
  await jpeg(path.join(root, 'images', 'sad_F-SA-10.jpg'), 100);
  await appendRow(root, 'sad_F-SA-10.jpg,0,0,0,0,0,37,0');
  const { ds, summary, report } = await load(root, { strict: false });
  assert.is(ds.images.length, FILES.length);
  assert.is(summary.skipped, 5);
  assert.equal(summary.skipped_by_reason, { 'name does not parse': 1, 'bad values': 1, 'row has no image': 1, 'image has no row': 1, 'undecodable image': 1 });
  assert.match(report, 'skipped 5');
  assert.match(report, '`images/smile_kid.jpg`');
  assert.match(report, '`ratings.csv:13`: counts sum to 37');
});

test('missing paths and unreadable sheets are one-line errors', async () => {
  const root = await fixture();
  assert.match(await failure(root, { images: 'nope' }), /^nope: not found \(param images\)/);
  assert.match(await failure(root, { ratings: 'nope.csv' }), /^nope\.csv: not found \(param ratings\)/);
  await writeFile(path.join(root, 'old.xls'), 'x');
  assert.match(await failure(root, { ratings: 'old.xls' }), /^old\.xls: the old \.xls format/);
  await writeFile(path.join(root, 'broken.csv'), 'Stimulus,Angry\n"angry_F-AA-01.jpg,3\n');
  assert.match(await failure(root, { ratings: 'broken.csv' }), /^broken\.csv:2: a quoted field is never closed/);
});

test('a generic manifest: paths, subjects, proportions for some expressions, optional columns', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'softlab-load-cafe-manifest-'));
  temps.push(root);
  const rows = [
    ['faces/p1/a.jpg', 'p1', 'happy', '0.8', '0.1', '0.1', '0'],
    ['faces/p1/b.jpg', 'p1', '', '0.1', '0.7', '0.2', '0'],
    ['faces/p2/a.jpg', 'p2', 'sadness', '0', '0.2', '0.8', '0'],
    ['faces/p3/a.jpg', 'p3', 'afraid', '0', '0', '0.4', '0.6'],
  ];
  for (const [i, r] of rows.entries()) await jpeg(path.join(root, 'set', r[0]), 40 + 40 * i);
  await writeFile(path.join(root, 'set', 'manifest.csv'), ['image_path,subject_id,posed,happy,neutral,sad,fear', ...rows.map((r) => r.join(','))].join('\n'));
  const run = await makeTestContext(def, { params: { source: 'manifest', manifest: 'set/manifest.csv', size: 12, raters: 10 }, specDir: root });
  temps.push(path.dirname(run.outDirs.report));
  await def.run(run.ctx);
  const ds = await readDataset(await folderInput(run.outDirs.dataset, 'dataset', 'm.dataset'));
  assert.is(ds.source, 'manifest');
  assert.equal(ds.images.map((im) => [im.id, im.child, im.expression]), [
    ['faces/p1/a', 'p1', 'happy'],
    ['faces/p1/b', 'p1', 'neutral'], // no posed value: the raters' plurality
    ['faces/p2/a', 'p2', 'sad'],
    ['faces/p3/a', 'p3', 'fear'],
  ]);
  // classes are always CAFE's 7; missing vote columns count as 0
  assert.equal(ds.counts[0], [0, 0, 0, 8, 1, 1, 0]);
  assert.equal(ds.counts[3], [0, 0, 6, 0, 0, 4, 0]);
  assert.is(ds.raters, 10);
  const report = await readFile(path.join(run.outDirs.report, 'report.md'), 'utf8');
  assert.match(report, 'expressions with no vote column (counted as 0): anger, disgust, surprise');
});

test('manifest: a row whose image is missing names the manifest row', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'softlab-load-cafe-manifest-'));
  temps.push(root);
  await jpeg(path.join(root, 'x', 'a.jpg'), 80);
  await writeFile(path.join(root, 'm.csv'), 'file,subject,happy,sad\na.jpg,s1,3,7\nb.jpg,s2,5,5\n');
  const run = await makeTestContext(def, { params: { source: 'manifest', manifest: 'm.csv', images: 'x', raters: 10 }, specDir: root });
  temps.push(path.dirname(run.outDirs.report));
  try {
    await def.run(run.ctx);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, UserInputError);
    assert.match((e as Error).message, /^m\.csv:3: image x\/b\.jpg not found/);
  }
});

test.run();
