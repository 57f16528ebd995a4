// The compare metrics on hand-made cases whose answers can be worked out on paper.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  calibrationBins,
  classScores,
  confusionMatrix,
  expectedCalibrationError,
  intersection,
  jsDivergence,
  klDivergence,
  l1Distance,
  macroF1,
  modelMetrics,
} from '../nodes/compare/metrics.js';

const near = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('L1 and intersection', () => {
  near(l1Distance([1, 0, 0], [0, 1, 0]), 2);
  near(l1Distance([0.5, 0.5, 0], [0.25, 0.25, 0.5]), 1);
  near(l1Distance([0.2, 0.8], [0.2, 0.8]), 0);
  near(intersection([0.5, 0.5, 0], [0.25, 0.25, 0.5]), 0.5); // = 1 - L1/2
});

test('KL(human || model): ln 2 for a fair coin model of a sure answer; finite when the model gives 0', () => {
  near(klDivergence([1, 0], [0.5, 0.5]), Math.LN2, 1e-12); // (0.5 + ε)/(1 + 2ε) = 0.5 exactly
  assert.ok(klDivergence([0.3, 0.7], [0.3, 0.7]) < 1e-5);
  near(klDivergence([1, 0], [0, 1]), Math.log((1 + 2e-6) / 1e-6), 1e-9); // ≈ 13.8155
  near(klDivergence([0.5, 0.5], [0.25, 0.75], 0), 0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), 1e-15);
});

test('Jensen-Shannon: ln 2 for disjoint, 0 for equal, symmetric', () => {
  near(jsDivergence([1, 0], [0, 1]), Math.LN2);
  near(jsDivergence([0.3, 0.7], [0.3, 0.7]), 0);
  near(jsDivergence([0.1, 0.9], [0.6, 0.4]), jsDivergence([0.6, 0.4], [0.1, 0.9]));
});

test('confusion matrix, per-class scores and macro F1 (classes that never occur are left out)', () => {
  // truth 0,0,1,1,2 / predicted 0,1,1,1,0 over 5 classes; classes 3 and 4 never occur
  const m = confusionMatrix([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 5);
  assert.equal(m[0], [1, 1, 0, 0, 0]);
  assert.equal(m[1], [0, 2, 0, 0, 0]);
  assert.equal(m[2], [1, 0, 0, 0, 0]);
  const s = classScores(m);
  near(s[0].f1, 0.5); // tp 1, fp 1, fn 1
  near(s[1].f1, 0.8); // tp 2, fp 1, fn 0
  near(s[2].f1, 0); // tp 0, fn 1
  near(macroF1(m), (0.5 + 0.8 + 0) / 3); // sklearn f1_score(average='macro') = 0.43333
});

test('ECE over 15 bins: two bins each half the images, each 0.45 off', () => {
  const conf = [0.95, 0.95, 0.55, 0.55];
  const correct = [true, false, true, true];
  near(expectedCalibrationError(conf, correct), 0.5 * 0.45 + 0.5 * 0.45);
  const bins = calibrationBins(conf, correct);
  assert.is(bins.length, 15);
  assert.is(bins[14].n, 2); // (14/15, 1]
  assert.is(bins[8].n, 2); // (8/15, 9/15] holds 0.55
  near(expectedCalibrationError([1, 1], [true, true]), 0);
});

test('modelMetrics: plurality ties go to the lowest index; accuracy, L1 summary', () => {
  const human = [
    [0.4, 0.4, 0.2], // tie: plurality is class 0
    [0, 0, 1],
    [0.1, 0.9, 0],
  ];
  const model = [
    [0.6, 0.3, 0.1], // right
    [0.5, 0, 0.5], // tie in the model: picks class 0 -> wrong
    [0, 1, 0], // right
  ];
  const { metrics, images } = modelMetrics(human, model, ['a', 'b', 'c']);
  assert.equal(images.truth, [0, 2, 1]);
  assert.equal(images.pred, [0, 0, 1]);
  near(metrics.accuracy, 2 / 3);
  near(images.l1[0], 0.4);
  near(images.l1[1], 1);
  near(images.l1[2], 0.2);
  near(metrics.l1.mean, 1.6 / 3);
  near(metrics.l1.median, 0.4);
  near(metrics.intersection, 1 - 1.6 / 6);
  assert.equal(metrics.confusion, [
    [1, 0, 0],
    [0, 1, 0],
    [1, 0, 0],
  ]);
  assert.is(metrics.per_class.c.support, 1);
  assert.is(metrics.n, 3);
});

test.run();
