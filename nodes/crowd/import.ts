// Import a real crowd platform's export: a plain long CSV
// (worker_id,image_id,label[,phase][,seconds]) or Amazon Mechanical Turk batch
// results (WorkerId, WorkTimeInSeconds, Input.<x> = image name or URL,
// Answer.<y> = label). Column names can be mapped for other platforms
// (Microworkers, Prolific). The file is streamed and answers go straight into
// typed columns, so a million rows take a few seconds and bounded memory.

import path from 'node:path';
import { CAFE_EXPRESSIONS, STUDY5_CLASSES, classMerge, normalizeExpression } from '../../artifacts/classes.js';
import type { DatasetMeta } from '../../artifacts/dataset.js';
import { PHASE_QUALIFICATION, PHASE_TASK, ResponsesBuilder, type Responses } from '../../artifacts/responses.js';
import { UserInputError } from '../../runner/node-api.js';
import { findColumn } from '../lib/csv.js';
import { CsvSyntaxError, parseCsvFile } from './csv.js';

export type CsvFormat = 'auto' | 'long' | 'mturk';
export type ColumnRole = 'worker' | 'image' | 'label' | 'phase' | 'seconds';

export interface ImportParams {
  format: CsvFormat;
  /** header names per role; empty = the format's default */
  columns: Partial<Record<ColumnRole, string>>;
  strict: boolean;
}

export interface ImportResult {
  responses: Responses;
  format: 'long' | 'mturk';
  /** the header name used for each role (absent: no such column) */
  columnsUsed: Partial<Record<ColumnRole, string>>;
  /** data rows read (not counting the header or blank lines) */
  rows: number;
  skipped: number;
  skippedByReason: Record<string, number>;
  /** the first few skip messages, each with its row */
  examples: string[];
  /** MTurk assignments marked Rejected, left out (not counted as skipped) */
  rejected: number;
}

const LONG_DEFAULTS: Record<ColumnRole, string> = {
  worker: 'worker_id',
  image: 'image_id',
  label: 'label',
  phase: 'phase',
  seconds: 'seconds',
};
const MTURK_WORKER = 'WorkerId';
const MTURK_SECONDS = 'WorkTimeInSeconds';
const MTURK_STATUS = 'AssignmentStatus';
const REQUIRED: ColumnRole[] = ['worker', 'image', 'label'];
const MAX_EXAMPLES = 20;

const PHASE_WORDS: Record<string, number> = {
  qualification: PHASE_QUALIFICATION,
  quiz: PHASE_QUALIFICATION,
  qual: PHASE_QUALIFICATION,
  gold: PHASE_QUALIFICATION,
  screening: PHASE_QUALIFICATION,
  task: PHASE_TASK,
  main: PHASE_TASK,
};

/** label code for answers given as a merged class name ("fear+surprise"): 100 + study5 index */
const MERGED_BASE = 100;

export async function importCrowdCsv(
  file: string,
  shownAs: string,
  ds: DatasetMeta,
  p: ImportParams,
  opts: { signal?: AbortSignal; onProgress?: (bytes: number, total: number) => void } = {},
): Promise<ImportResult> {
  const images = imageMatcher(ds);
  const workerIndex = new Map<string, number>();
  const workerIds: string[] = [];
  const labelCache = new Map<string, number>();
  const seen = new Set<number>();
  const nImages = ds.images.length;
  const rows = new ResponsesBuilder(1 << 14);
  const skippedByReason: Record<string, number> = {};
  const examples: string[] = [];
  let skipped = 0;
  let rejected = 0;
  let dataRows = 0;
  let usesMerged = false;

  let col: Partial<Record<ColumnRole, number>> = {};
  let statusCol = -1;
  let format: 'long' | 'mturk' = 'long';
  let names: Partial<Record<ColumnRole, string>> = {};
  let header: string[] | undefined;

  const problem = (row: number, reason: string, message: string): void => {
    const where = `${shownAs}:${row}`;
    if (p.strict) throw new UserInputError(`${where}: ${message}; fix the file or set strict: false to skip such rows`);
    skipped++;
    skippedByReason[reason] = (skippedByReason[reason] ?? 0) + 1;
    if (examples.length < MAX_EXAMPLES) examples.push(`${where}: ${message}`);
  };

  // column positions as plain numbers (-1: absent), so the per-row code allocates nothing
  let cWorker = -1;
  let cImage = -1;
  let cLabel = -1;
  let cPhase = -1;
  let cSeconds = -1;
  const at = (fields: string[], c: number): string => (c < 0 ? '' : (fields[c] ?? '').trim());

  const onRow = (fields: string[], row: number): void => {
    if (!header) {
      header = fields.map((f) => f.trim());
      ({ format, names, col, statusCol } = resolveColumns(header, p, shownAs));
      cWorker = col.worker ?? -1;
      cImage = col.image ?? -1;
      cLabel = col.label ?? -1;
      cPhase = col.phase ?? -1;
      cSeconds = col.seconds ?? -1;
      return;
    }
    dataRows++;
    if (statusCol >= 0 && at(fields, statusCol).toLowerCase() === 'rejected') {
      rejected++;
      return;
    }
    const workerName = at(fields, cWorker);
    const imageRef = at(fields, cImage);
    const rawLabel = at(fields, cLabel);
    if (workerName === '') return problem(row, 'empty cell', `empty ${names.worker} cell`);
    if (imageRef === '') return problem(row, 'empty cell', `empty ${names.image} cell`);
    if (rawLabel === '') return problem(row, 'empty cell', `empty ${names.label} cell`);

    const image = images(imageRef);
    if (image < 0) return problem(row, 'unknown image', `unknown image "${imageRef}" (no dataset image has that file name)`);

    let label = labelCache.get(rawLabel);
    if (label === undefined) {
      label = labelCode(rawLabel);
      if (labelCache.size < 10_000) labelCache.set(rawLabel, label);
    }
    if (label < 0) return problem(row, 'unknown label', `unknown label "${rawLabel}" (expected one of ${CAFE_EXPRESSIONS.join(', ')} or a synonym)`);
    if (label >= MERGED_BASE) usesMerged = true;

    let phase = PHASE_TASK;
    if (cPhase >= 0) {
      const raw = at(fields, cPhase);
      if (raw !== '') {
        const ph = PHASE_WORDS[raw] ?? PHASE_WORDS[raw.toLowerCase()];
        if (ph === undefined) return problem(row, 'unknown phase', `unknown phase "${raw}" (use qualification or task)`);
        phase = ph;
      }
    }

    let secs = Number.NaN;
    if (cSeconds >= 0) {
      const raw = at(fields, cSeconds);
      if (raw !== '') {
        secs = Number(raw);
        if (!Number.isFinite(secs) || secs < 0) return problem(row, 'bad seconds', `"${raw}" in ${names.seconds} is not a number of seconds`);
      }
    }

    let worker = workerIndex.get(workerName);
    const isNewWorker = worker === undefined;
    if (worker === undefined) worker = workerIds.length;
    const key = (worker * nImages + image) * 2 + phase;
    if (seen.has(key)) {
      return problem(row, 'duplicate answer', `worker ${workerName} already answered image "${imageRef}" (${phase === PHASE_TASK ? 'task' : 'qualification'}) on an earlier row`);
    }
    seen.add(key);
    if (isNewWorker) {
      workerIndex.set(workerName, worker);
      workerIds.push(workerName);
    }
    rows.push(worker, image, label, phase, secs);
  };

  try {
    await parseCsvFile(file, onRow, opts);
  } catch (e) {
    if (e instanceof CsvSyntaxError) throw new UserInputError(`${shownAs}:${e.row}: ${e.message}; close the quote or remove the stray one`);
    throw e;
  }
  if (!header) throw new UserInputError(`${shownAs}:1: the file is empty; expected a header row`);

  const columns = rows.columns();
  let labelMerge: Responses['labelMerge'] = 'none';
  if (usesMerged) {
    // some answers name merged classes: express every answer in the 5 merged classes
    const m = classMerge('study5');
    for (let i = 0; i < columns.length; i++) {
      const c = columns.label[i];
      columns.label[i] = c >= MERGED_BASE ? c - MERGED_BASE : m.mapIndex[c];
    }
    labelMerge = 'study5';
  }
  const responses: Responses = {
    labelMerge,
    classes: labelMerge === 'none' ? CAFE_EXPRESSIONS : STUDY5_CLASSES,
    source: path.basename(shownAs),
    synthetic: ds.synthetic,
    workerIds,
    imageIds: ds.images.map((im) => im.id),
    ...columns,
    extra: { import: { format, columns: names, rows: dataRows, skipped, rejected } },
  };
  return { responses, format, columnsUsed: names, rows: dataRows, skipped, skippedByReason, examples, rejected };
}

function labelCode(raw: string): number {
  const e = normalizeExpression(raw);
  if (e) return CAFE_EXPRESSIONS.indexOf(e);
  const compact = raw.trim().toLowerCase().replace(/\s+/g, '').replace(/&|\band\b|\//g, '+');
  const j = (STUDY5_CLASSES as readonly string[]).indexOf(compact);
  return j >= 0 ? MERGED_BASE + j : -1;
}

function resolveColumns(
  header: string[],
  p: ImportParams,
  shownAs: string,
): { format: 'long' | 'mturk'; names: Partial<Record<ColumnRole, string>>; col: Partial<Record<ColumnRole, number>>; statusCol: number } {
  // names compare as nodes/lib/csv.ts does: case, spaces and punctuation ignored (`Worker ID` = `worker_id`)
  const find = (name: string): number => findColumn(header, [name]);
  const isMturk = find(MTURK_WORKER) >= 0 && header.some((h) => h.toLowerCase().startsWith('answer.'));
  const format: 'long' | 'mturk' = p.format === 'auto' ? (isMturk ? 'mturk' : 'long') : p.format;
  const shown = header.length > 12 ? `${header.slice(0, 12).join(', ')}, ...` : header.join(', ');

  const names: Partial<Record<ColumnRole, string>> = {};
  const col: Partial<Record<ColumnRole, number>> = {};
  const roles: ColumnRole[] = ['worker', 'image', 'label', 'phase', 'seconds'];
  for (const role of roles) {
    const mapped = p.columns[role]?.trim();
    if (mapped) {
      const c = find(mapped);
      if (c < 0) throw new UserInputError(`${shownAs}:1: no column "${mapped}" (columns.${role}); the header has ${shown}`);
      col[role] = c;
      names[role] = header[c];
      continue;
    }
    let c = -1;
    if (format === 'long') c = find(LONG_DEFAULTS[role]);
    else if (role === 'worker') c = find(MTURK_WORKER);
    else if (role === 'seconds') c = find(MTURK_SECONDS);
    else if (role === 'image') c = pickPrefixed(header, 'input.', /image|url|file|img|photo|picture|face/i, role, shownAs);
    else if (role === 'label') c = pickPrefixed(header, 'answer.', /emotion|expression|label|category|answer|feeling/i, role, shownAs);
    if (c >= 0) {
      col[role] = c;
      names[role] = header[c];
    } else if (REQUIRED.includes(role)) {
      const expected = format === 'long' ? `"${LONG_DEFAULTS[role]}"` : role === 'worker' ? `"${MTURK_WORKER}"` : role === 'image' ? 'an "Input.<name>" column' : 'an "Answer.<name>" column';
      throw new UserInputError(`${shownAs}:1: no ${role} column: expected ${expected} (${format} format); the header has ${shown}; set columns.${role}`);
    }
  }
  const statusCol = format === 'mturk' ? find(MTURK_STATUS) : -1;
  return { format, names, col, statusCol };
}

/** The one `Input.*`/`Answer.*` column, or the one among several whose name says what it is. */
function pickPrefixed(header: string[], prefix: string, hint: RegExp, role: ColumnRole, shownAs: string): number {
  const cands = header.map((h, i) => [h, i] as const).filter(([h]) => h.toLowerCase().startsWith(prefix));
  if (cands.length === 1) return cands[0][1];
  if (cands.length === 0) return -1;
  const hinted = cands.filter(([h]) => hint.test(h.slice(prefix.length)));
  if (hinted.length === 1) return hinted[0][1];
  throw new UserInputError(
    `${shownAs}:1: several ${prefix.replace('.', '')}.* columns (${cands.map(([h]) => h).join(', ')}); set columns.${role} to the one holding the ${role}`,
  );
}

/**
 * Match an image reference (a dataset id, a file name, a path or a URL) to a
 * dataset image by file name: folders, query strings, the extension and a
 * Databrary numeric prefix (`9977-`) are ignored; case is ignored as a last resort.
 */
export function imageMatcher(ds: Pick<DatasetMeta, 'images'>): (ref: string) => number {
  const exact = new Map<string, number>();
  const loose = new Map<string, number>();
  const add = (key: string, i: number): void => {
    if (!exact.has(key)) exact.set(key, i);
    const l = key.toLowerCase();
    if (!loose.has(l)) loose.set(l, i);
  };
  ds.images.forEach((im, i) => {
    add(im.id, i);
    if (im.file) add(stem(im.file), i);
  });
  const cache = new Map<string, number>();
  return (ref: string): number => {
    const hit = cache.get(ref);
    if (hit !== undefined) return hit;
    const s = stem(ref);
    const noPrefix = s.replace(/^\d+-/, '');
    let i = exact.get(s) ?? exact.get(noPrefix) ?? loose.get(s.toLowerCase()) ?? loose.get(noPrefix.toLowerCase()) ?? -1;
    if (i < 0 && exact.has(ref)) i = exact.get(ref)!;
    if (cache.size < 100_000) cache.set(ref, i);
    return i;
  };
}

function stem(ref: string): string {
  let s = ref.trim();
  if (/^[a-z]+:\/\//i.test(s)) s = s.replace(/[?#].*$/, '');
  s = s.slice(Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\')) + 1);
  try {
    s = decodeURIComponent(s);
  } catch {
    // not URI-encoded; use as written
  }
  return s.replace(/\.(jpe?g|png|gif|bmp|tiff?|webp)$/i, '');
}
