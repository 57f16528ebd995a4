// The `responses` artifact (crowd answers) and the `workers` artifact (one row per
// worker after filtering). Responses are columnar and integer-coded so a million
// answers stay small and load fast: `responses.json` holds the string tables
// (worker ids, image ids, class names) and `columns.bin` the columns, one after
// another, little-endian. `responses.csv` is written beside them for people (and
// reads back through `crowd-collect`'s `csv` source in the long format).

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { InputHandle, OutputWriter } from '../runner/node-api.js';
import { CAFE_EXPRESSIONS, STUDY5_CLASSES, type ClassMerge, type MergeName } from './classes.js';
import { csvCell } from './labels.js';

export const PHASES = ['qualification', 'task'] as const;
export type Phase = (typeof PHASES)[number];
export const PHASE_QUALIFICATION = 0;
export const PHASE_TASK = 1;

/** Simulated worker behaviours (kept in the artifact as ground truth for reports and tests). */
export const WORKER_KINDS = ['careful', 'careless', 'spammer_uniform', 'spammer_constant', 'biased'] as const;
export type WorkerKind = (typeof WORKER_KINDS)[number];

export interface Responses {
  /**
   * The label space answers are coded in: `none` = CAFE's 7 expressions (the usual
   * case), `study5` = the study's merged classes (a task that offered 5 options).
   */
  labelMerge: MergeName;
  /** class names, in the order label codes index */
  classes: readonly string[];
  /** where the answers came from: `simulated` or the imported file's name */
  source: string;
  synthetic: boolean;
  workerIds: string[];
  /** image ids as in the dataset; `image` codes index this table */
  imageIds: string[];
  /** simulated runs only: the kind of each worker (parallel to workerIds) */
  workerKinds?: WorkerKind[];
  /** number of answers (rows) */
  length: number;
  worker: Uint32Array;
  image: Uint32Array;
  label: Uint8Array;
  /** 0 = qualification, 1 = task (PHASES order) */
  phase: Uint8Array;
  /** seconds spent on the answer; NaN where unknown */
  seconds: Float32Array;
  /** facts about how the answers were made (simulation params, import counts) */
  extra?: Record<string, unknown>;
}

interface ResponsesMeta {
  format: 'softlab-responses/1';
  labelMerge: MergeName;
  classes: string[];
  phases: string[];
  source: string;
  synthetic: boolean;
  length: number;
  workerIds: string[];
  imageIds: string[];
  workerKinds?: WorkerKind[];
  /** byte layout of columns.bin: name, element type, byte offset */
  columns: { name: string; type: 'u32' | 'u8' | 'f32'; offset: number }[];
  extra?: Record<string, unknown>;
}

const COLUMN_TYPES = [
  ['worker', 'u32'],
  ['image', 'u32'],
  ['seconds', 'f32'],
  ['label', 'u8'],
  ['phase', 'u8'],
] as const;
const BYTES = { u32: 4, u8: 1, f32: 4 } as const;

/** The class space a label space implies. */
export function labelClasses(labelMerge: MergeName): readonly string[] {
  return labelMerge === 'none' ? CAFE_EXPRESSIONS : STUDY5_CLASSES;
}

/**
 * A lookup from answer codes to the classes of `target`, or an error message when
 * the answers cannot be expressed there (5-class answers cannot be split into 7).
 */
export function answerClassMap(r: Pick<Responses, 'labelMerge'>, target: ClassMerge): Uint8Array | string {
  if (r.labelMerge === 'none') return Uint8Array.from(target.mapIndex);
  if (target.name === 'study5') return Uint8Array.from(STUDY5_CLASSES.map((_, i) => i));
  return 'the answers use the study\'s 5 merged classes and cannot be split into 7: set merge: study5';
}

export async function writeResponses(out: OutputWriter, r: Responses, opts: { csv?: boolean } = {}): Promise<void> {
  const n = r.length;
  const columns: ResponsesMeta['columns'] = [];
  let offset = 0;
  for (const [name, type] of COLUMN_TYPES) {
    columns.push({ name, type, offset });
    offset += n * BYTES[type];
    offset = (offset + 3) & ~3; // keep 4-byte columns aligned so readers can view them without copying
  }
  const buf = new Uint8Array(offset);
  for (const c of columns) {
    const src = r[c.name as keyof Pick<Responses, 'worker' | 'image' | 'seconds' | 'label' | 'phase'>];
    buf.set(new Uint8Array(src.buffer, src.byteOffset, n * BYTES[c.type]), c.offset);
  }
  const meta: ResponsesMeta = {
    format: 'softlab-responses/1',
    labelMerge: r.labelMerge,
    classes: [...r.classes],
    phases: [...PHASES],
    source: r.source,
    synthetic: r.synthetic,
    length: n,
    workerIds: r.workerIds,
    imageIds: r.imageIds,
    ...(r.workerKinds ? { workerKinds: r.workerKinds } : {}),
    columns,
    ...(r.extra ? { extra: r.extra } : {}),
  };
  await out.writeJson('responses.json', meta);
  await out.writeFile('columns.bin', buf);
  await mkdir(out.dir, { recursive: true });
  if (opts.csv ?? true) await writeCsvStreaming(path.join(out.dir, 'responses.csv'), r);
}

export async function readResponses(input: InputHandle): Promise<Responses> {
  const meta = await input.readJson<ResponsesMeta>('responses.json');
  if (meta.format !== 'softlab-responses/1') throw new Error(`${input.source}: not a responses artifact (format ${String(meta.format)})`);
  const raw = await input.readFile('columns.bin');
  // copy once into an aligned buffer: Node may hand back a pooled Buffer at any offset
  const bytes = new Uint8Array(raw.byteLength);
  bytes.set(raw);
  const n = meta.length;
  const col = (name: string): { type: string; offset: number } => {
    const c = meta.columns.find((x) => x.name === name);
    if (!c) throw new Error(`${input.source}: responses lack column ${name}`);
    return c;
  };
  return {
    labelMerge: meta.labelMerge,
    classes: meta.classes,
    source: meta.source,
    synthetic: meta.synthetic,
    workerIds: meta.workerIds,
    imageIds: meta.imageIds,
    ...(meta.workerKinds ? { workerKinds: meta.workerKinds } : {}),
    length: n,
    worker: new Uint32Array(bytes.buffer, col('worker').offset, n),
    image: new Uint32Array(bytes.buffer, col('image').offset, n),
    seconds: new Float32Array(bytes.buffer, col('seconds').offset, n),
    label: new Uint8Array(bytes.buffer, col('label').offset, n),
    phase: new Uint8Array(bytes.buffer, col('phase').offset, n),
    ...(meta.extra ? { extra: meta.extra } : {}),
  };
}

/** The long CSV layout `crowd-collect` imports: worker_id,image_id,label,phase,seconds. */
export function responsesCsv(r: Responses): string {
  const parts: string[] = [];
  for (const chunk of responsesCsvChunks(r)) parts.push(chunk);
  return parts.join('');
}

/** The same CSV in pieces of about 1 MB, so a million rows never become one string. */
export function* responsesCsvChunks(r: Responses): Generator<string> {
  const w = r.workerIds.map(csvCell);
  const im = r.imageIds.map(csvCell);
  const cls = r.classes.map(csvCell);
  let chunk = 'worker_id,image_id,label,phase,seconds\n';
  for (let i = 0; i < r.length; i++) {
    const s = r.seconds[i];
    chunk += `${w[r.worker[i]]},${im[r.image[i]]},${cls[r.label[i]]},${PHASES[r.phase[i]]},${Number.isNaN(s) ? '' : Math.round(s * 100) / 100}\n`;
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
}

async function writeCsvStreaming(file: string, r: Responses): Promise<void> {
  const out = createWriteStream(file);
  const done = new Promise<void>((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
  for (const chunk of responsesCsvChunks(r)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await done;
}

/** Keep the rows where `keep[i]` is set, dropping workers with no row left (ids re-indexed). */
export function selectResponses(r: Responses, keep: (i: number) => boolean): Responses {
  const idx: number[] = [];
  for (let i = 0; i < r.length; i++) if (keep(i)) idx.push(i);
  const n = idx.length;
  const newWorker = new Int32Array(r.workerIds.length).fill(-1);
  const workerIds: string[] = [];
  const kinds: WorkerKind[] = [];
  const out: Responses = {
    ...r,
    workerIds,
    length: n,
    worker: new Uint32Array(n),
    image: new Uint32Array(n),
    label: new Uint8Array(n),
    phase: new Uint8Array(n),
    seconds: new Float32Array(n),
  };
  for (let j = 0; j < n; j++) {
    const i = idx[j];
    const w = r.worker[i];
    if (newWorker[w] < 0) {
      newWorker[w] = workerIds.length;
      workerIds.push(r.workerIds[w]);
      if (r.workerKinds) kinds.push(r.workerKinds[w]);
    }
    out.worker[j] = newWorker[w];
    out.image[j] = r.image[i];
    out.label[j] = r.label[i];
    out.phase[j] = r.phase[i];
    out.seconds[j] = r.seconds[i];
  }
  if (r.workerKinds) out.workerKinds = kinds;
  else delete out.workerKinds;
  return out;
}

/** Growable typed columns for building a Responses row by row without per-row objects. */
export class ResponsesBuilder {
  length = 0;
  private cap: number;
  worker: Uint32Array;
  image: Uint32Array;
  label: Uint8Array;
  phase: Uint8Array;
  seconds: Float32Array;

  constructor(capacity = 1024) {
    this.cap = Math.max(16, capacity);
    this.worker = new Uint32Array(this.cap);
    this.image = new Uint32Array(this.cap);
    this.label = new Uint8Array(this.cap);
    this.phase = new Uint8Array(this.cap);
    this.seconds = new Float32Array(this.cap);
  }

  push(worker: number, image: number, label: number, phase: number, seconds: number): void {
    if (this.length === this.cap) this.grow();
    const i = this.length++;
    this.worker[i] = worker;
    this.image[i] = image;
    this.label[i] = label;
    this.phase[i] = phase;
    this.seconds[i] = seconds;
  }

  private grow(): void {
    this.cap *= 2;
    const g = <T extends Uint32Array | Uint8Array | Float32Array>(a: T, make: (n: number) => T): T => {
      const b = make(this.cap);
      b.set(a as never);
      return b;
    };
    this.worker = g(this.worker, (n) => new Uint32Array(n));
    this.image = g(this.image, (n) => new Uint32Array(n));
    this.label = g(this.label, (n) => new Uint8Array(n));
    this.phase = g(this.phase, (n) => new Uint8Array(n));
    this.seconds = g(this.seconds, (n) => new Float32Array(n));
  }

  /** The columns trimmed to length (views, no copy). */
  columns(): Pick<Responses, 'length' | 'worker' | 'image' | 'label' | 'phase' | 'seconds'> {
    const n = this.length;
    return {
      length: n,
      worker: this.worker.subarray(0, n),
      image: this.image.subarray(0, n),
      label: this.label.subarray(0, n),
      phase: this.phase.subarray(0, n),
      seconds: this.seconds.subarray(0, n),
    };
  }
}

// ---- the `workers` artifact ----

export interface WorkerRow {
  worker: string;
  /** simulated runs: the worker's true kind */
  kind?: WorkerKind;
  /** task answers */
  answers: number;
  quizAnswers: number;
  quizCorrect: number;
  /** quizCorrect / quizAnswers, or null without quiz answers */
  quizAccuracy: number | null;
  /** median seconds per answer (all phases), or null when unknown */
  medianSeconds: number | null;
  /** share of the worker's answers (all phases) that are their most used label */
  sameLabelShare: number;
  kept: boolean;
  /** why a worker was dropped (empty when kept) */
  reason: string;
}

export interface WorkersTable {
  /** the rule applied, for people reading the table later */
  rule: Record<string, unknown>;
  workers: WorkerRow[];
}

export async function writeWorkers(out: OutputWriter, t: WorkersTable): Promise<void> {
  await out.writeJson('workers.json', t);
  const head = ['worker', 'kind', 'answers', 'quiz_answers', 'quiz_correct', 'quiz_accuracy', 'median_seconds', 'same_label_share', 'kept', 'reason'];
  const rows = [head.join(',')];
  for (const w of t.workers) {
    rows.push(
      [
        w.worker,
        w.kind ?? '',
        String(w.answers),
        String(w.quizAnswers),
        String(w.quizCorrect),
        w.quizAccuracy === null ? '' : String(round(w.quizAccuracy, 4)),
        w.medianSeconds === null ? '' : String(round(w.medianSeconds, 2)),
        String(round(w.sameLabelShare, 4)),
        w.kept ? 'true' : 'false',
        w.reason,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  await out.writeFile('workers.csv', rows.join('\n') + '\n');
}

export async function readWorkers(input: InputHandle): Promise<WorkersTable> {
  return input.readJson<WorkersTable>('workers.json');
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

