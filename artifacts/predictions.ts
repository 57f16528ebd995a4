// The `predictions` artifact: a model's softmax output for every test image.
// Made by `train-onehot`/`train-soft`, read by `compare` (which also accepts a
// CSV made elsewhere in the same layout). Files: `predictions.json` and
// `predictions.csv` (`image_id` then one column per class).

import type { InputHandle, OutputWriter } from '../runner/node-api.js';
import { csvCell } from './labels.js';

export interface PredictionSet {
  classes: string[];
  /** what made them: arch, target, backend; free-form */
  model: Record<string, unknown>;
  items: { imageId: string; probs: number[] }[];
}

export async function writePredictions(out: OutputWriter, preds: PredictionSet): Promise<void> {
  await out.writeJson('predictions.json', preds);
  const rows = [['image_id', ...preds.classes].map(csvCell).join(',')];
  for (const it of preds.items) rows.push([csvCell(it.imageId), ...it.probs.map((p) => p.toPrecision(8))].join(','));
  await out.writeFile('predictions.csv', rows.join('\n') + '\n');
}

export async function readPredictions(input: InputHandle): Promise<PredictionSet> {
  return input.readJson<PredictionSet>('predictions.json');
}
