// agreement: the study's table on a hand-made case with a known answer, the
// distances against scipy, the report files, and input errors.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeLabels, type LabelSet } from '../artifacts/labels.js';
import agreement from '../nodes/agreement.js';
import { jsDistance as jensenShannon, l1Distance as l1 } from '../nodes/lib/distributions.js';
import { folderInput, folderOutput } from '../runner/folder-io.js';
import { UserInputError, type InputHandle } from '../runner/node-api.js';
import { makeTestContext } from './helpers/node-context.js';

const CLASSES = ['happy', 'neutral', 'sad', 'fear+surprise', 'anger+disgust'];
const set = (origin: 'lab' | 'crowd', method: string, items: [string, number[], number][], workers?: number): LabelSet => ({
  classes: CLASSES,
  merge: 'study5',
  method,
  origin,
  ...(workers ? { workers } : {}),
  items: items.map(([imageId, probs, label]) => ({ imageId, probs, label, n: 10 })),
});

const LAB = set('lab', 'soft', [
  ['i1', [0.8, 0.1, 0.1, 0, 0], 0],
  ['i2', [0.6, 0.4, 0, 0, 0], 0],
  ['i3', [0, 0.7, 0.3, 0, 0], 1],
  ['i4', [0, 0, 0.5, 0.5, 0], 2],
  ['i5', [0, 0, 0, 0.2, 0.8], 4],
  ['i6', [0, 0, 0, 0, 1], 4],
]);
const UNFILTERED = set(
  'crowd',
  'soft',
  [
    ['i1', [0.5, 0.5, 0, 0, 0], 0], // agree
    ['i2', [0.2, 0.8, 0, 0, 0], 1], // disagree
    ['i3', [0.25, 0.25, 0.25, 0.25, 0], 0], // disagree
    ['i4', [0, 0, 1, 0, 0], 2], // agree
    ['i5', [0, 0, 0, 0, 1], 4], // agree
    ['i6', [0.4, 0, 0, 0, 0.6], 4], // agree
    ['not-in-lab', [1, 0, 0, 0, 0], 0],
  ],
  30,
);
const FILTERED = set('crowd', 'soft', LAB.items.filter((it) => it.imageId !== 'i3').map((it) => [it.imageId, it.probs, it.label]), 12);

let tmp: string;
test.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'softlab-agreement-'));
});
test.after(() => rm(tmp, { recursive: true, force: true }));

async function labelsInput(name: string, labels: LabelSet): Promise<InputHandle> {
  const dir = path.join(tmp, name + Math.random().toString(36).slice(2));
  await writeLabels(folderOutput(dir), labels);
  return folderInput(dir, 'labels', `${name}.labels`);
}

async function runAgreement(inputs: Record<string, InputHandle>) {
  const run = await makeTestContext(agreement, { inputs });
  try {
    await agreement.run(run.ctx);
    const read = (dir: string, f: string) => readFile(path.join(dir, f), 'utf8');
    return {
      json: JSON.parse(await read(run.outDirs.agreement, 'agreement.json')),
      md: await read(run.outDirs.report, 'agreement.md'),
      report: await read(run.outDirs.report, 'report.md'),
      svg: await read(run.outDirs.report, 'agreement.svg'),
      summary: run.summary!,
      logs: run.logs,
    };
  } finally {
    await run.cleanup();
  }
}

test('the study table on a hand-made case: per class, overall, L1 and Jensen-Shannon (scipy values)', async () => {
  const out = await runAgreement({ reference: await labelsInput('lab', LAB), unfiltered: await labelsInput('u', UNFILTERED), filtered: await labelsInput('f', FILTERED) });
  const [u, f] = out.json.sets;
  assert.is(u.name, 'unfiltered');
  assert.equal(
    u.perClass.map((c: { agree: number; images: number; share: number | null }) => [c.agree, c.images, c.share]),
    [
      [1, 2, 0.5],
      [0, 1, 0],
      [1, 1, 1],
      [0, 0, null],
      [2, 2, 1],
    ],
  );
  assert.is(u.overall, 4 / 6);
  assert.is(u.images, 6);
  assert.is(u.unmatched, 1);
  assert.is(u.workers, 30);
  // scipy: mean(|p-q|_1) and mean(jensenshannon(p, q, base=2)) over the six images
  assert.ok(Math.abs(u.meanL1 - 0.8) < 1e-12, String(u.meanL1));
  assert.ok(Math.abs(u.meanJS - 0.4543573412954826) < 1e-12, String(u.meanJS));
  assert.is(f.overall, 1);
  assert.is(f.images, 5);
  assert.is(f.meanL1, 0);
  assert.is(f.meanJS, 0);
  assert.equal(f.perClass.map((c: { share: number | null }) => c.share), [1, null, 1, null, 1]);
  assert.ok(out.logs.some((l) => /unfiltered: 1 images are not in the reference/.test(l)));
  // the Markdown table, in both report files
  assert.match(out.md, /\| lab class \| unfiltered \(soft\) \| filtered \(soft\) \|/);
  assert.match(out.md, /\| happy \| 50\.0% \(1\/2\) \| 100\.0% \(2\/2\) \|/);
  assert.match(out.md, /\| fear\+surprise \| - \| - \|/);
  assert.match(out.md, /\| \*\*overall\*\* \| \*\*66\.7% \(4\/6\)\*\* \| \*\*100\.0% \(5\/5\)\*\* \|/);
  assert.match(out.md, /\| mean L1 \(0-2\) \| 0\.800 \| 0\.000 \|/);
  assert.ok(out.report.includes(out.md.trim()), 'report.md holds the same table');
  assert.match(out.report, /!\[Agreement with the lab per class\]\(agreement\.svg\)/);
  assert.match(out.svg, /^<svg/);
  assert.match(out.svg, /unfiltered/);
  assert.equal((out.summary.sets as Record<string, { per_class: Record<string, number | null> }>).unfiltered.per_class, {
    happy: 0.5,
    neutral: 0,
    sad: 1,
    'fear+surprise': null,
    'anger+disgust': 1,
  });
});

test('distances: L1 and Jensen-Shannon properties', () => {
  assert.is(l1([1, 0], [0, 1]), 2);
  assert.ok(Math.abs(jensenShannon([1, 0], [0, 1]) - 1) < 1e-12, 'disjoint distributions are 1 apart in bits');
  assert.is(jensenShannon([0.3, 0.7], [0.3, 0.7]), 0);
  assert.is(jensenShannon([0.2, 0.8], [0.6, 0.4]), jensenShannon([0.6, 0.4], [0.2, 0.8]));
});

test('errors: classes that differ, no crowd set, nothing in common', async () => {
  const seven: LabelSet = { ...UNFILTERED, classes: ['anger', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'], merge: 'none' };
  const expectError = async (inputs: Record<string, InputHandle>, re: RegExp) => {
    try {
      await runAgreement(inputs);
      assert.unreachable();
    } catch (e) {
      assert.instance(e, UserInputError, String(e));
      assert.match((e as Error).message, re);
    }
  };
  await expectError({ reference: await labelsInput('lab', LAB), seven: await labelsInput('s', seven) }, /classes \(anger, .*\) differ from the reference's \(happy, .*\); aggregate both with the same merge/);
  await expectError({ reference: await labelsInput('lab', LAB) }, /connect at least one crowd label set besides `reference`/);
  const stranger = set('crowd', 'soft', [['zz', [1, 0, 0, 0, 0], 0]]);
  await expectError({ reference: await labelsInput('lab', LAB), other: await labelsInput('o', stranger) }, /no image in common with the reference/);
});

test.run();
