// The `labels` artifact: per image a probability vector over a class set and a
// hard label. Made by `aggregate` (from crowd answers or the lab counts) and
// consumed by `agreement`, `train-*` and `compare`. Files: `labels.json`, plus
// `labels.csv` for people and other tools.

import type { InputHandle, OutputWriter } from '../runner/node-api.js';
import type { MergeName } from './classes.js';

export interface LabelItem {
  imageId: string;
  /** probability per class, sums to 1 */
  probs: number[];
  /** index of the hard label in `classes` */
  label: number;
  /** answers behind this item (crowd answers or lab raters) */
  n: number;
}

export interface LabelSet {
  classes: string[];
  merge: MergeName;
  /** how it was made, e.g. `soft`, `plurality`, `dawid-skene` */
  method: string;
  /** `lab` or `crowd` */
  origin: 'lab' | 'crowd';
  /** workers behind a crowd label set */
  workers?: number;
  items: LabelItem[];
}

export async function writeLabels(out: OutputWriter, labels: LabelSet): Promise<void> {
  await out.writeJson('labels.json', labels);
  await out.writeFile('labels.csv', labelsCsv(labels));
}

export async function readLabels(input: InputHandle): Promise<LabelSet> {
  return input.readJson<LabelSet>('labels.json');
}

export function labelsCsv(labels: LabelSet): string {
  const rows = [['image_id', ...labels.classes, 'label', 'n'].join(',')];
  for (const it of labels.items) {
    rows.push([it.imageId, ...it.probs.map((p) => fmt(p)), labels.classes[it.label], String(it.n)].map(csvCell).join(','));
  }
  return rows.join('\n') + '\n';
}

function fmt(p: number): string {
  return Number.isInteger(p) ? String(p) : p.toPrecision(8).replace(/0+$/, '').replace(/\.$/, '');
}

export function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
