// The training curve for people: loss and accuracy per epoch, train and held-out,
// as a Vega-Lite chart (two panels sharing the epoch axis).

import type { EpochRecord } from './loop.js';

export function curveSpec(history: EpochRecord[], title: string): Record<string, unknown> {
  const rows: { epoch: number; metric: string; split: string; value: number }[] = [];
  for (const h of history) {
    rows.push({ epoch: h.epoch, metric: 'loss', split: 'train', value: h.train_loss });
    rows.push({ epoch: h.epoch, metric: 'accuracy', split: 'train', value: h.train_accuracy });
    if (h.val_loss !== null) rows.push({ epoch: h.epoch, metric: 'loss', split: 'held-out', value: h.val_loss });
    if (h.val_accuracy !== null) rows.push({ epoch: h.epoch, metric: 'accuracy', split: 'held-out', value: h.val_accuracy });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', sort: ['loss', 'accuracy'], title: null } },
    spec: {
      width: 260,
      height: 180,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: 'split', type: 'nominal', title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
