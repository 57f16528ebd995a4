// Sweeps at plan time: grid and zip expansion, ranges, readable and stable ids in
// spec order, --sweep/--set flags, the `report.metrics` spec key, and dedup (a
// 5-point filter-threshold sweep plans load-cafe and crowd-collect once and the
// filter branch five times).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Plan } from '../runner/plan/build.js';
import { EMIT_NODE, planText } from './helpers/specs.js';

const E = EMIT_NODE;

async function plan(text: string, opts: Parameters<typeof planText>[1] = {}): Promise<Plan> {
  const { result, messages } = await planText(text, opts);
  if (!result.ok) throw new Error(messages.join('\n'));
  return result.plan;
}

const chain = (sweep: string): string => `pipeline: t
nodes:
  a:
    type: ${E}
    params: { value: 1 }
  b:
    type: ${E}
    inputs: { x: a.data }
  c:
    type: ${E}
    inputs: { x: b.data }
${sweep}`;

const count = (p: Plan, name: string): number => p.nodes.filter((n) => n.name === name).length;

test('a grid is the Cartesian product, ids join the axes in spec order', async () => {
  // b.label is declared first, so it comes first in every id
  const p = await plan(chain('sweep:\n  b.label: [p, q]\n  c.value: [1, 2, 3]\n'));
  assert.equal(
    p.variants.map((v) => v.id),
    ['b.label=p,c.value=1', 'b.label=p,c.value=2', 'b.label=p,c.value=3', 'b.label=q,c.value=1', 'b.label=q,c.value=2', 'b.label=q,c.value=3'],
  );
  assert.equal(p.variants[4].params, { 'b.label': 'q', 'c.value': 2 });
  assert.equal(p.sweepAxes, [['b.label'], ['c.value']]);
  assert.ok(p.sweep);
  // a runs once, b once per label, c once per variant
  assert.equal([count(p, 'a'), count(p, 'b'), count(p, 'c')], [1, 2, 6]);
  assert.equal(p.nodes.find((n) => n.name === 'b' && n.params.label === 'q')!.variants, ['b.label=q,c.value=1', 'b.label=q,c.value=2', 'b.label=q,c.value=3']);
});

test('zip pairs lists element by element; unequal lengths are located', async () => {
  const p = await plan(chain('sweep:\n  zip:\n    b.value: [10, 20, 30]\n    c.label: [x, y, z]\n'));
  assert.equal(p.variants.map((v) => v.id), ['b.value=10,c.label=x', 'b.value=20,c.label=y', 'b.value=30,c.label=z']);
  assert.equal(p.sweepAxes, [['b.value', 'c.label']]);
  const c = p.nodes.filter((n) => n.name === 'c').map((n) => [n.params.label, p.byKey.get(n.deps[0])!.params.value]);
  assert.equal(c, [['x', 10], ['y', 20], ['z', 30]]);

  const { messages } = await planText(chain('sweep:\n  zip:\n    b.value: [10, 20, 30]\n    c.label: [x, y]\n'));
  assert.equal(messages, ['spec.yaml:15:14: zip lists must have equal length (b.value has 3, c.label has 2)']);
});

test('a zip group and a list make a grid of pairs', async () => {
  const p = await plan(chain('sweep:\n  zip:\n    b.value: [10, 20]\n    b.label: [u, v]\n  c.value: [1, 2]\n'));
  assert.equal(p.variants.map((v) => v.id), ['b.value=10,b.label=u,c.value=1', 'b.value=10,b.label=u,c.value=2', 'b.value=20,b.label=v,c.value=1', 'b.value=20,b.label=v,c.value=2']);
  assert.equal(count(p, 'b'), 2);
});

test('a { from, to, step } range gives clean decimals', async () => {
  const p = await plan(chain('sweep:\n  b.value: { from: 0.5, to: 0.95, step: 0.05 }\n'));
  assert.equal(p.variants.map((v) => v.params['b.value']), [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]);
  assert.is(p.variants[4].id, 'b.value=0.7');
  const { messages } = await planText(chain('sweep:\n  b.value: { from: 1, to: 0, step: 1 }\n'));
  assert.equal(messages, ['spec.yaml:13:12: range "to" must be >= "from"']);
});

test('ids and keys are stable across plannings; string values with a slash stay folder-safe', async () => {
  const text = chain('sweep:\n  c.label: [a/b, plain]\n  b.value: [1, 2]\n');
  const [p1, p2] = [await plan(text), await plan(text)];
  assert.equal(p1.variants.map((v) => v.id), p2.variants.map((v) => v.id));
  assert.equal(p1.nodes.map((n) => n.key), p2.nodes.map((n) => n.key));
  assert.is(p1.variants[0].id, 'c.label=a_b,b.value=1');
});

test('--sweep replaces or adds an axis; --set fixes a value in every variant', async () => {
  const base = chain('sweep:\n  b.value: [1, 2]\n');
  const replaced = await plan(base, { sweeps: [{ target: 'b.value', values: [7, 8, 9], flag: '--sweep b.value=7,8,9' }] });
  assert.equal(replaced.variants.map((v) => v.id), ['b.value=7', 'b.value=8', 'b.value=9']);
  const added = await plan(base, { sweeps: [{ target: 'c.label', values: ['x', 'y'], flag: '--sweep c.label=x,y' }] });
  assert.equal(added.variants.map((v) => v.id), ['b.value=1,c.label=x', 'b.value=1,c.label=y', 'b.value=2,c.label=x', 'b.value=2,c.label=y']);
  assert.equal(added.sweepAxes, [['b.value'], ['c.label']]);
  // a sweep from the command line alone
  const fromFlag = await plan(chain(''), { sweeps: [{ target: 'a.value', values: [3, 4], flag: '--sweep a.value=3,4' }] });
  assert.equal(fromFlag.variants.map((v) => v.id), ['a.value=3', 'a.value=4']);
  assert.equal(count(fromFlag, 'a'), 2);

  const set = await plan(base, { sets: [{ target: 'a.value', value: 5, flag: '--set a.value=5' }] });
  assert.equal(set.variants.map((v) => v.id), ['b.value=1', 'b.value=2'], '--set does not make variants');
  const a = set.nodes.filter((n) => n.name === 'a');
  assert.is(a.length, 1);
  assert.is(a[0].params.value, 5);
  assert.is.not(a[0].key, (await plan(base)).nodes.find((n) => n.name === 'a')!.key);
});

test('report.metrics is kept in the plan; an unknown node or a bare name is located', async () => {
  const p = await plan(chain('sweep:\n  b.value: [1, 2]\nreport:\n  metrics: [c.value, b.inputs.*]\n'));
  assert.equal(p.report, { metrics: ['c.value', 'b.inputs.*'] });
  const { messages } = await planText(chain('sweep:\n  b.value: [1, 2]\nreport:\n  metrics: [cc.value, value]\n'));
  assert.equal(messages, [
    'spec.yaml:15:13: metric "cc.value": no node "cc"; did you mean "c"?',
    "spec.yaml:15:23: metric \"value\" must be node.figure, a path into the node's summary (e.g. agreement.sets.filtered.overall)",
  ]);
  const bad = await planText(chain('report:\n  metric: [c.value]\n'));
  assert.match(bad.messages[0], /unknown key "metric" in report; did you mean "metrics"\?/);
});

test('a 5-point threshold sweep plans load-cafe and crowd-collect once and the filter branch five times', async () => {
  const p = await plan(`pipeline: crowd
nodes:
  cafe: { type: load-cafe, params: { source: synthetic, children: 12, size: 16 } }
  crowd: { type: crowd-collect, inputs: { dataset: cafe.dataset }, params: { images: 30, workers: 24, labels_per_image: 6, quiz_size: 8 } }
  filter: { type: filter, inputs: { responses: crowd.responses, dataset: cafe.dataset }, params: { min_quiz_answers: 4 } }
  lab: { type: aggregate, inputs: { dataset: cafe.dataset } }
  lab_crowd_images: { type: aggregate, inputs: { dataset: cafe.dataset, images: crowd.responses } }
  crowd_filtered: { type: aggregate, inputs: { responses: filter.responses } }
  agreement: { type: agreement, inputs: { reference: lab.labels, filtered: crowd_filtered.labels } }
sweep:
  filter.min_accuracy: [0.5, 0.6, 0.7, 0.8, 0.9]
`);
  const byType = (name: string) => p.nodes.filter((n) => n.name === name).length;
  assert.equal(
    Object.fromEntries(p.nodeNames.map((n) => [n, byType(n)])),
    { cafe: 1, crowd: 1, filter: 5, lab: 1, lab_crowd_images: 1, crowd_filtered: 5, agreement: 5 },
  );
  assert.is(p.nodes.find((n) => n.name === 'crowd')!.variants.length, 5);
});

test('aggregate takes images from responses or labels, not from a dataset', async () => {
  const { messages } = await planText(`pipeline: t
nodes:
  cafe: { type: load-cafe, params: { source: synthetic, children: 12, size: 16 } }
  lab: { type: aggregate, inputs: { dataset: cafe.dataset, images: cafe.dataset } }
`);
  assert.equal(messages, ['spec.yaml:4:68: input "images" takes responses or labels, but cafe.dataset is dataset']);
});

test.run();
