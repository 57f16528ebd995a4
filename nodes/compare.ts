// `compare`: how close each model's softmax output is to the human label
// distribution (per-image L1, the study's measure, plus KL, JS, accuracy, F1, ECE),
// and whether the difference between models is significant (pooled and Welch
// t-tests, paired t-test, Wilcoxon signed-rank). The body lives in compare/run.ts
// so planning a pipeline does not load vega, sharp or jstat.

import { defineNode } from '../runner/node-api.js';
import type { CompareParams } from './compare/run.js';

export default defineNode<CompareParams>({
  type: 'compare',
  version: 1,
  description:
    'Compare models with human label distributions: per-image L1 (mean, sd, median, 95% CI), KL, JS, accuracy and F1 against the plurality label, calibration; t-tests (pooled, Welch, paired) and Wilcoxon between models; charts and a gallery.',
  inputs: {
    reference: {
      kinds: ['dataset', 'labels', 'file'],
      description:
        'human label distributions: a dataset (its lab counts, test split only), a label set, or a CSV with image_id and one column per class (counts or probabilities)',
    },
    '*': {
      kinds: ['predictions', 'file'],
      description: "a model's softmax outputs, named by the input name (e.g. onehot, soft): predictions or a CSV with image_id and one column per class",
    },
  },
  outputs: {
    metrics: { kind: 'metrics', description: 'metrics.json: per-model metrics and the tests between models', publish: true },
  },
  params: {
    type: 'object',
    properties: {
      merge: {
        type: 'string',
        enum: ['study5', 'none'],
        default: 'study5',
        description: "class set compared on: 'study5' (the study's 5 merged classes) or 'none' (CAFE's 7); columns are matched by name and finer ones summed",
      },
      baseline: {
        type: 'string',
        default: '',
        description: 'compare each model against this model input; empty: every pair of models',
      },
      gallery: {
        type: 'integer',
        minimum: 0,
        maximum: 200,
        default: 12,
        description: 'test images shown in the gallery (face, human distribution, each model); only for a dataset reference',
      },
      seed: {
        type: 'integer',
        default: 0,
        description: 'seed for picking the gallery images and the jitter of the L1 chart',
      },
    },
    additionalProperties: false,
  },
  async run(ctx) {
    const { runCompare } = await import('./compare/run.js');
    await runCompare(ctx);
  },
});
