// Reading what `compare` compares: the human reference (a dataset's lab counts, a
// label set, or a CSV) and each model's output (a predictions artifact or a CSV),
// all mapped onto one class set, the `merge` param's. Problems with a user's files
// become one-line UserInputErrors that name the file and row.

import { CAFE_EXPRESSIONS, classIndexOf, mergeVector, normalize, normalizeExpression, type ClassMerge } from '../../artifacts/classes.js';
import { readDatasetMeta, type DatasetMeta } from '../../artifacts/dataset.js';
import { readLabels } from '../../artifacts/labels.js';
import { readPredictions } from '../../artifacts/predictions.js';
import { UserInputError, type InputHandle } from '../../runner/node-api.js';
import { CsvSyntaxError, findColumn, parseCsv } from '../lib/csv.js';

/** Probability vectors over the merge's classes, one per image id. */
export interface Distributions {
  /** where they came from, for messages and the report */
  source: string;
  /** what the input was: `dataset`, `labels`, `predictions` or `csv` */
  format: 'dataset' | 'labels' | 'predictions' | 'csv';
  ids: string[];
  probs: number[][];
  /** a note for the report when columns were merged (e.g. 7 expressions into study5) */
  note?: string;
}

export interface Reference extends Distributions {
  /** set when the reference is a dataset: its metadata (for the gallery) and the split used */
  dataset?: { meta: DatasetMeta; handle: InputHandle; split: 'test'; indexOf: Map<string, number> };
}

/** Columns softlab's own CSVs carry besides the classes (labels.csv); skipped when reading. */
const NON_CLASS_COLUMNS = new Set(['label', 'n']);

/**
 * For each named column, the index of the merge class it adds to. A merged class is
 * covered either by a column with its own name (`fear+surprise`) or by one column per
 * expression it merges (`fear` and `surprise`), which are summed.
 */
export function mapClassColumns(names: readonly string[], merge: ClassMerge, where: string): number[] {
  const target = names.map((name) => classIndexOf(name, merge));
  const unknown = names.find((_, c) => target[c] < 0);
  if (unknown !== undefined) {
    const hint = merge.name === 'none' && unknown.includes('+') ? '; merged classes need `merge: study5`' : '';
    throw new UserInputError(`${where}: column "${unknown}" is not a class of merge ${merge.name} (${merge.classes.join(', ')})${hint}`);
  }
  merge.classes.forEach((cls, k) => {
    const cols = target.flatMap((t, c) => (t === k ? [c] : []));
    const members = CAFE_EXPRESSIONS.filter((_, e) => merge.mapIndex[e] === k);
    if (cols.length === 0) throw new UserInputError(`${where}: no column for class "${cls}" (columns: ${names.join(', ')})`);
    const exprs = cols.map((c) => normalizeExpression(names[c]));
    const ownName = cols.length === 1 && exprs[0] === undefined;
    const allMembers = exprs.every((e) => e !== undefined) && new Set(exprs).size === cols.length && cols.length === members.length;
    if (!ownName && !allMembers) {
      const have = cols.map((c) => `"${names[c]}"`).join(', ');
      throw new UserInputError(
        (cols.length > 1 && exprs.includes(undefined)) || new Set(exprs).size < cols.length
          ? `${where}: columns ${have} all mean class "${cls}"; keep one`
          : `${where}: class "${cls}" needs a column "${cls}" or one for each of ${members.join(', ')} (found ${have})`,
      );
    }
  });
  return target;
}

/** Sum a row given in the input's columns into the merge's classes. */
function remap(values: ArrayLike<number>, target: number[], k: number): number[] {
  const out = new Array<number>(k).fill(0);
  for (let c = 0; c < target.length; c++) out[target[c]] += values[c];
  return out;
}

function mergedNote(names: readonly string[], merge: ClassMerge): string | undefined {
  return names.length > merge.classes.length ? `${names.length} columns summed into the ${merge.classes.length} classes of merge ${merge.name}` : undefined;
}

/**
 * Rows of a CSV with an `image_id` column and one column per class (counts or
 * probabilities); each row is normalised to sum 1.
 */
export function distributionsFromCsv(text: string, where: string, merge: ClassMerge): Distributions {
  let table;
  try {
    table = parseCsv(text);
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw new UserInputError(`${where}:${e.line}: ${e.message.replace(/^line \d+: /, '')}`);
    throw e;
  }
  if (!table.header.length) throw new UserInputError(`${where}: the file is empty; expected a header with image_id and one column per class`);
  const header = table.header.map((h) => h.trim());
  const idCol = findColumn(header, ['image_id']);
  if (idCol < 0) throw new UserInputError(`${where}:${table.headerLine}: no image_id column in the header (${header.join(', ')})`);
  const classCols = header.flatMap((h, c) => (c !== idCol && !NON_CLASS_COLUMNS.has(h.toLowerCase()) ? [c] : []));
  const target = mapClassColumns(
    classCols.map((c) => header[c]),
    merge,
    `${where}:${table.headerLine}`,
  );
  if (!table.rows.length) throw new UserInputError(`${where}: no rows after the header`);
  const ids: string[] = [];
  const probs: number[][] = [];
  const seen = new Map<string, number>();
  const values = new Array<number>(classCols.length);
  for (const rec of table.rows) {
    const at = `${where}:${rec.line}`;
    if (rec.cells.length !== header.length) throw new UserInputError(`${at}: ${rec.cells.length} cells, the header has ${header.length}`);
    const id = rec.cells[idCol].trim();
    if (!id) throw new UserInputError(`${at}: empty image_id`);
    const dup = seen.get(id);
    if (dup !== undefined) throw new UserInputError(`${at}: image_id "${id}" already appeared on row ${dup}`);
    seen.set(id, rec.line);
    let total = 0;
    for (let j = 0; j < classCols.length; j++) {
      const raw = rec.cells[classCols[j]].trim();
      const v = raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(v) || v < 0) throw new UserInputError(`${at}: column "${header[classCols[j]]}" is "${raw}", expected a count or probability >= 0`);
      values[j] = v;
      total += v;
    }
    if (total <= 0) throw new UserInputError(`${at}: every class is 0 for "${id}"; a row needs a positive count or probability`);
    ids.push(id);
    probs.push(normalize(remap(values, target, merge.classes.length)));
  }
  return { source: where, format: 'csv', ids, probs, note: mergedNote(classCols.map((c) => header[c]), merge) };
}

/** The one CSV in a file input (a file, or a folder holding a single CSV). */
async function csvOf(handle: InputHandle): Promise<{ text: string; where: string }> {
  const csvs = handle.list().filter((f) => f.toLowerCase().endsWith('.csv'));
  const single = handle.list().length === 1;
  if (csvs.length !== 1) {
    throw new UserInputError(
      csvs.length
        ? `${handle.source}: holds ${csvs.length} CSV files (${csvs.slice(0, 4).join(', ')}); name one of them`
        : `${handle.source}: expected a CSV file with image_id and one column per class`,
    );
  }
  return { text: await handle.readText(csvs[0]), where: single ? handle.source : `${handle.source}/${csvs[0]}` };
}

function sniff(handle: InputHandle): 'dataset' | 'labels' | 'predictions' | 'csv' {
  if (handle.kind === 'dataset' || (handle.has('meta.json') && handle.has('pixels.u8'))) return 'dataset';
  if (handle.kind === 'labels' || handle.has('labels.json')) return 'labels';
  if (handle.kind === 'predictions' || handle.has('predictions.json')) return 'predictions';
  return 'csv';
}

export async function readReference(handle: InputHandle, merge: ClassMerge): Promise<Reference> {
  const format = sniff(handle);
  if (format === 'dataset') {
    const meta = await readDatasetMeta(handle);
    const ids: string[] = [];
    const probs: number[][] = [];
    const indexOf = new Map<string, number>();
    meta.images.forEach((img, i) => {
      if (img.split !== 'test') return;
      ids.push(img.id);
      probs.push(normalize(mergeVector(meta.counts[i], merge)));
      indexOf.set(img.id, i);
    });
    if (!ids.length) throw new UserInputError(`${handle.source}: the dataset has no test images to compare on`);
    return { source: handle.source, format, ids, probs, dataset: { meta, handle, split: 'test', indexOf } };
  }
  if (format === 'labels') {
    const labels = await readLabels(handle);
    const where = `${handle.source} (labels.json)`;
    const target = mapClassColumns(labels.classes, merge, where);
    return {
      source: handle.source,
      format,
      ids: labels.items.map((it) => it.imageId),
      probs: labels.items.map((it) => normalize(remap(it.probs, target, merge.classes.length))),
      note: mergedNote(labels.classes, merge),
    };
  }
  if (format === 'predictions') throw new UserInputError(`${handle.source}: a model's predictions cannot be the reference; connect human labels (a dataset, labels or a CSV)`);
  const { text, where } = await csvOf(handle);
  return distributionsFromCsv(text, where, merge);
}

export async function readModel(name: string, handle: InputHandle, merge: ClassMerge): Promise<Distributions> {
  const format = sniff(handle);
  if (format === 'predictions') {
    const preds = await readPredictions(handle);
    const where = `${handle.source} (predictions.json)`;
    const target = mapClassColumns(preds.classes, merge, where);
    const ids: string[] = [];
    const probs: number[][] = [];
    const seen = new Set<string>();
    preds.items.forEach((it, i) => {
      if (it.probs.length !== preds.classes.length) throw new UserInputError(`${where}: item ${i} ("${it.imageId}") has ${it.probs.length} probabilities for ${preds.classes.length} classes`);
      if (seen.has(it.imageId)) throw new UserInputError(`${where}: image "${it.imageId}" appears twice`);
      seen.add(it.imageId);
      ids.push(it.imageId);
      probs.push(normalize(remap(it.probs, target, merge.classes.length)));
    });
    return { source: handle.source, format, ids, probs, note: mergedNote(preds.classes, merge) };
  }
  if (format !== 'csv') throw new UserInputError(`${handle.source}: model "${name}" must be predictions or a CSV file, not a ${format}`);
  const { text, where } = await csvOf(handle);
  return distributionsFromCsv(text, where, merge);
}

export interface Aligned {
  ids: string[];
  human: number[][];
  models: Record<string, number[][]>;
}

/** The images present in the reference and in every model, in the reference's order. */
export function alignImages(ref: Reference, models: Record<string, Distributions>): Aligned {
  const lookups = Object.entries(models).map(([name, d]) => {
    const m = new Map<string, number>();
    d.ids.forEach((id, i) => m.set(id, i));
    return [name, m, d] as const;
  });
  const ids: string[] = [];
  const human: number[][] = [];
  const out: Record<string, number[][]> = Object.fromEntries(lookups.map(([name]) => [name, []]));
  ref.ids.forEach((id, i) => {
    if (!lookups.every(([, m]) => m.has(id))) return;
    ids.push(id);
    human.push(ref.probs[i]);
    for (const [name, m, d] of lookups) out[name].push(d.probs[m.get(id)!]);
  });
  if (!ids.length) {
    const scope = ref.dataset ? `the test split of ${ref.source}` : ref.source;
    const worst = lookups.find(([, m]) => !ref.ids.some((id) => m.has(id)));
    const [name, , d] = worst ?? lookups[0];
    throw new UserInputError(
      `no image ids in common: ${scope} has ${ref.ids.length} (e.g. ${examples(ref.ids)}), model ${name} (${d.source}) has ${d.ids.length} (e.g. ${examples(d.ids)})`,
    );
  }
  return { ids, human, models: out };
}

function examples(ids: string[]): string {
  return ids.length ? ids.slice(0, 2).map((s) => `"${s}"`).join(', ') : 'none';
}
