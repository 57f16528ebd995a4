// The small parsers load-cafe is built from: CSV (nodes/lib/csv.ts, shared with
// the crowd and compare nodes), CAFE file names, vote scales, column detection,
// the drawing helpers of nodes/lib/images.ts, and the split.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CsvSyntaxError, findColumn, headerKey, parseCsv } from '../nodes/lib/csv.js';
import { blankImage, contactSheet, drawText, encodePng, textWidth } from '../nodes/lib/images.js';
import { imageKey, parseCafeName } from '../nodes/load-cafe/cafe-names.js';
import { detectColumns, expressionOfHeader } from '../nodes/load-cafe/columns.js';
import { assignSplit } from '../nodes/load-cafe/split.js';
import { detectScale, parseVote, roundToTotal, toCounts } from '../nodes/load-cafe/votes.js';
import { CAFE_EXPRESSIONS, type Expression } from '../artifacts/classes.js';
import { Random } from '../runner/random.js';

test('csv: BOM, CRLF, quoted commas, doubled quotes, line numbers', () => {
  const t = parseCsv('\uFEFFfile,Angry\r\n"a,b.jpg",3\r\n"say ""hi""",4\r\n');
  assert.equal(t.header, ['file', 'Angry']);
  assert.equal(t.headerLine, 1);
  assert.equal(t.rows, [
    { line: 2, cells: ['a,b.jpg', '3'] },
    { line: 3, cells: ['say "hi"', '4'] },
  ]);
});

test('csv: a quoted line break keeps later line numbers right; blank lines are skipped', () => {
  const t = parseCsv('a,b\n"x\ny",1\n\n,\nz,2\n');
  assert.equal(t.rows, [
    { line: 2, cells: ['x\ny', '1'] },
    { line: 6, cells: ['z', '2'] },
  ]);
});

test('csv: semicolon and tab delimiters are detected; no trailing newline', () => {
  assert.equal(parseCsv('a;b\n1;2').rows[0].cells, ['1', '2']);
  assert.equal(parseCsv('a\tb\n1\t2').rows[0].cells, ['1', '2']);
  assert.equal(parseCsv('a,b\r3,4').rows, [{ line: 2, cells: ['3', '4'] }]);
  assert.equal(parseCsv(''), { header: [], headerLine: 0, rows: [] });
});

test('csv: an unterminated quote is a CsvSyntaxError with its line', () => {
  try {
    parseCsv('a,b\n1,2\n"open,3\n');
    assert.unreachable();
  } catch (e) {
    assert.instance(e, CsvSyntaxError);
    assert.is((e as CsvSyntaxError).line, 3);
  }
});

test('header matching ignores case, spaces and punctuation', () => {
  assert.is(headerKey(' Image_ID '), 'imageid');
  assert.is(findColumn(['Stimulus', 'Image ID'], ['image id', 'file']), 1);
  assert.is(findColumn(['x'], ['y']), -1);
  assert.is(expressionOfHeader('% Angry'), 'anger');
  assert.is(expressionOfHeader('n_happiness'), 'happy');
  assert.is(expressionOfHeader('Afraid votes'), 'fear');
  assert.is(expressionOfHeader('Expression'), undefined);
  const cols = detectColumns(['Stimulus', 'Anger', 'Disgusted', 'Fearful', 'Happy', 'Calm', 'Sadness', 'Surprised', 'Posed'], {}, ['file', 'expression']);
  assert.equal(cols.votes, [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(cols.meta, { file: 0, expression: 8 });
  // an explicit mapping wins
  assert.equal(detectColumns(['Pic', 'Angry'], { file: 'pic' }, ['file']).meta, { file: 0 });
});

test('CAFE names: variants, prefix, withtongue, surprise', () => {
  assert.equal(parseCafeName('sessions/6280/9977-angry_F-AA-01.jpg'), { id: 'angry_F-AA-01', child: 'F-AA-01', expression: 'anger', mouth: 'closed', sex: 'F', ethnicity: 'AA' });
  assert.equal(parseCafeName('angryopen_F-AA-02.jpg')?.mouth, 'open');
  const tongue = parseCafeName('disgustwithtongue_F-AA-03.jpg')!;
  assert.equal([tongue.expression, tongue.mouth, tongue.id], ['disgust', 'open', 'disgustwithtongue_F-AA-03']);
  const b = parseCafeName('neutral_M-EA-15b.jpg')!;
  assert.equal([b.id, b.child], ['neutral_M-EA-15b', 'M-EA-15']);
  const two = parseCafeName('happy_F-LA-07-2.JPG')!;
  assert.equal([two.id, two.child], ['happy_F-LA-07-2', 'F-LA-07']);
  assert.is(parseCafeName('surprise_M-EA-15.jpg')?.mouth, 'open');
  assert.is(parseCafeName('fearfulopen_F-SA-04.png')?.expression, 'fear');
  for (const bad of ['smile_F-AA-01.jpg', 'angry-F-AA-01.jpg', 'happywithtongue_F-AA-01.jpg', 'angry_X-AA-01.jpg', 'angry_F-AA.jpg', 'notes.txt']) {
    assert.is(parseCafeName(bad), undefined, bad);
  }
  assert.is(imageKey('9977-angry_F-AA-01.jpg'), 'angry_f-aa-01');
  assert.is(imageKey('Angry_F-AA-01'), 'angry_f-aa-01');
});

test('votes: scale detection and conversion to counts', () => {
  assert.is(detectScale([[0.5, 0.5], [0.2, 0.8]]), 'proportions');
  assert.is(detectScale([[50, 50], [20, 80]]), 'counts');
  assert.is(detectScale([[33.3, 66.7], [50, 50]]), 'percent');
  assert.is(parseVote(' 65% '), 0.65);
  assert.is(parseVote(''), 0);
  assert.ok(Number.isNaN(parseVote('n/a')));
  assert.equal(roundToTotal([1, 1, 1], 100), [34, 33, 33]);
  assert.equal(toCounts([0.333, 0.333, 0.334], 'proportions', 100), { counts: [33, 33, 34], rescaled: false });
  assert.equal(toCounts([60, 40], 'counts', 100), { counts: [60, 40], rescaled: false });
  assert.equal(toCounts([59, 40], 'counts', 100), { counts: [60, 40], rescaled: true });
  assert.match((toCounts([50, 37], 'counts', 100) as { error: string }).error, 'sum to 87');
  assert.match((toCounts([0.5, 0.2], 'proportions', 100) as { error: string }).error, 'sum to 0.7');
  assert.match((toCounts([2.5, 97.5], 'counts', 100) as { error: string }).error, 'whole numbers');
  assert.match((toCounts([0, 0], 'counts', 100) as { error: string }).error, 'all vote values are 0');
  assert.match((toCounts([NaN, 1], 'counts', 100) as { error: string }).error, 'not a number');
});

test('split: whole children, about the test fraction, stratified by expression, seeded', () => {
  const rng = new Random(5);
  const images: { child: string; expression: Expression }[] = [];
  for (let c = 0; c < 50; c++) for (let k = 0; k < 8; k++) images.push({ child: `C${c}`, expression: CAFE_EXPRESSIONS[rng.int(7)] });
  const split = assignSplit(images, 0.2, new Random(1));
  const testKids = new Set(images.filter((_, i) => split[i] === 'test').map((im) => im.child));
  const trainKids = new Set(images.filter((_, i) => split[i] === 'train').map((im) => im.child));
  assert.is(testKids.size, 10);
  assert.is([...testKids].filter((c) => trainKids.has(c)).length, 0);
  for (const e of CAFE_EXPRESSIONS) {
    const of = images.map((im, i) => ({ im, s: split[i] })).filter((x) => x.im.expression === e);
    const share = of.filter((x) => x.s === 'test').length / of.length;
    assert.ok(Math.abs(share - 0.2) < 0.05, `${e}: ${share}`);
  }
  assert.equal(assignSplit(images, 0.2, new Random(1)), split);
  assert.not.equal(assignSplit(images, 0.2, new Random(2)), split);
  assert.ok(assignSplit(images, 0, new Random(1)).every((s) => s === 'train'));
});

test('images: text, contact sheet layout and PNG encoding', async () => {
  const img = blankImage(40, 12, 1, 255);
  const w = drawText(img, 1, 1, 'Ab1', 0);
  assert.is(w, textWidth('Ab1'));
  assert.ok(img.data.some((v) => v === 0));
  const tile = { image: blankImage(10, 10, 1, 128), caption: ['x'], strips: [{ values: [0.5, 0.5], highlight: 0 }] };
  const sheet = contactSheet([tile, tile, tile], { columns: 2, classes: ['a', 'b'] });
  assert.is(sheet.channels, 3);
  assert.ok(sheet.width >= 2 * 100 && sheet.height > 2 * 100);
  const png = await encodePng(sheet);
  assert.equal([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]);
  const sharp = (await import('sharp')).default;
  const meta = await sharp(png).metadata();
  assert.equal([meta.width, meta.height], [sheet.width, sheet.height]);
});

test.run();
