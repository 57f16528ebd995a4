// crowd-collect: the crowd's answers on a dataset's images, either simulated (a
// paid marketplace with careful, careless, spamming and biased workers, each
// taking a qualification quiz first) or imported from a crowd platform's CSV.

import path from 'node:path';
import { readDatasetMeta } from '../artifacts/dataset.js';
import { PHASE_TASK, WORKER_KINDS, writeResponses, type Responses, type WorkerKind } from '../artifacts/responses.js';
import { UserInputError, defineNode, throwIfAborted } from '../runner/node-api.js';
import type { ColumnRole, CsvFormat } from './crowd/import.js';
import type { SimulateParams } from './crowd/simulate.js';
import { markdownTable, fmtNum, fmtPct, median } from './crowd/report-util.js';

/** The simulation's params plus the CSV import's. */
export interface CrowdCollectParams extends SimulateParams {
  source: 'simulate' | 'csv';
  file: string;
  format: CsvFormat;
  columns: Record<ColumnRole, string>;
  strict: boolean;
}

/**
 * The default marketplace: about a third of workers careful, the rest careless,
 * spamming or biased. Fast workers take more tasks (see simulate.ts), so spammers
 * give a large share of the answers and unfiltered plurality agreement with the
 * lab is weak (the study's finding), while the 15-image quiz keeps nearly every
 * careful worker and almost no one else.
 */
const DEFAULT_MIX: Record<WorkerKind, number> = {
  careful: 0.35,
  careless: 0.2,
  spammer_uniform: 0.15,
  spammer_constant: 0.15,
  biased: 0.15,
};
const DEFAULT_SPEEDS: Record<WorkerKind, number> = {
  careful: 7,
  careless: 3.5,
  spammer_uniform: 1.5,
  spammer_constant: 1,
  biased: 6,
};

const kindProps = (what: string, defaults: Record<WorkerKind, number>, minimum: number) =>
  Object.fromEntries(
    WORKER_KINDS.map((k) => [k, { type: 'number', minimum, default: defaults[k], description: `${what} for ${k.replace('_', ' ')} workers` }]),
  );

export default defineNode<CrowdCollectParams>({
  type: 'crowd-collect',
  version: 1,
  description: 'Crowd answers on the dataset\'s images: a simulated paid marketplace (quiz, then tasks) or an imported crowd platform CSV (long or MTurk layout).',
  inputs: {
    dataset: { kinds: ['dataset'], description: 'images to label (simulate) or to match image references against (csv)' },
  },
  outputs: {
    responses: { kind: 'responses', description: 'one row per answer: worker, image, label, phase (qualification|task), seconds' },
  },
  params: {
    type: 'object',
    properties: {
      source: { enum: ['simulate', 'csv'], default: 'simulate', description: 'simulate a crowd, or import answers from `file`' },
      seed: { type: 'integer', default: 1, description: 'simulate: random seed; the same seed gives the same answers' },
      images: { type: 'integer', minimum: 1, default: 207, description: 'simulate: task images, drawn stratified by posed expression (207 as in the study)' },
      labels_per_image: { type: 'integer', minimum: 1, default: 20, description: 'simulate: distinct workers answering each task image' },
      workers: { type: 'integer', minimum: 1, default: 100, description: 'simulate: workers in the marketplace' },
      mix: {
        type: 'object',
        default: DEFAULT_MIX,
        additionalProperties: false,
        description:
          'simulate: share of each worker kind (normalised): careful answer like lab raters (see careful_sharpen); careless click at random `careless_random` of the time; spammer_uniform answer uniformly at random; spammer_constant always give one label (most the form\'s first option, happy); biased hold two systematic confusions across the merged classes (e.g. sad read as neutral). Fast kinds take more tasks. A kind left out keeps its default share: set it to 0 to exclude it',
        properties: kindProps('share', DEFAULT_MIX, 0),
      },
      speeds: {
        type: 'object',
        default: DEFAULT_SPEEDS,
        additionalProperties: false,
        description: 'simulate: median seconds per answer for each worker kind',
        properties: kindProps('median seconds per answer', DEFAULT_SPEEDS, 0.1),
      },
      quiz_size: { type: 'integer', minimum: 0, default: 15, description: 'simulate: qualification quiz images every worker answers first (clear lab answer, disjoint from the task images)' },
      quiz_min_share: { type: 'number', minimum: 0, maximum: 1, default: 0.8, description: 'simulate: smallest lab plurality share (7 classes) for an image to be used in the quiz' },
      careful_sharpen: { type: 'number', minimum: 0, default: 3, description: 'simulate: careful answers follow the lab distribution raised to this power and renormalised (1 = exactly like one lab rater; 3 = decisive: on a 60/30/10 image they answer 88/11/0.4)' },
      careless_random: { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'simulate: share of a careless worker\'s answers that are random clicks' },
      bias_strength: { type: 'number', minimum: 0, maximum: 1, default: 0.8, description: 'simulate: how often a biased worker\'s confusion replaces the answer it applies to' },
      file: { type: 'string', default: '', description: 'csv: the export to import (relative to the spec)' },
      format: { enum: ['auto', 'long', 'mturk'], default: 'auto', description: 'csv: `long` (worker_id,image_id,label[,phase][,seconds]), `mturk` (batch results: WorkerId, WorkTimeInSeconds, Input.*, Answer.*), or `auto` to tell from the header' },
      columns: {
        type: 'object',
        default: {},
        additionalProperties: false,
        description: 'csv: header names to use instead of the format\'s defaults (e.g. for a Microworkers or Prolific export)',
        properties: {
          worker: { type: 'string', default: '', description: 'column with the worker id (default worker_id / WorkerId)' },
          image: { type: 'string', default: '', description: 'column with the image id, file name or URL (default image_id / the Input.* column)' },
          label: { type: 'string', default: '', description: 'column with the answer (default label / the Answer.* column)' },
          phase: { type: 'string', default: '', description: 'column with qualification|task (default phase; without it every row is a task answer)' },
          seconds: { type: 'string', default: '', description: 'column with seconds spent (default seconds / WorkTimeInSeconds)' },
        },
      },
      strict: { type: 'boolean', default: true, description: 'csv: stop at the first bad row (true) or skip bad rows and count them (false)' },
    },
  },
  fileDeps: (p) => (p.source === 'csv' && p.file ? [p.file] : []),
  check(p) {
    const problems: { param: string; message: string }[] = [];
    if (p.source === 'csv' && !p.file) problems.push({ param: 'file', message: 'source: csv needs `file`, the export to import' });
    if (p.source === 'simulate') {
      if (p.labels_per_image > p.workers) problems.push({ param: 'labels_per_image', message: `labels_per_image (${p.labels_per_image}) cannot exceed workers (${p.workers}): each image needs distinct workers` });
      if (WORKER_KINDS.every((k) => !(p.mix[k] > 0))) problems.push({ param: 'mix', message: 'mix needs at least one worker kind with a share above 0' });
    }
    return problems;
  },
  async run(ctx) {
    const p = ctx.params;
    const dsInput = ctx.inputs.dataset;
    if (!dsInput) throw new UserInputError(`${ctx.name}: connect a dataset (the images to label or match)`);
    const ds = await readDatasetMeta(dsInput);
    throwIfAborted(ctx.signal);

    let responses: Responses;
    const lines: string[] = [];
    let skipped = 0;
    let extraSummary: Record<string, unknown> = {};

    if (p.source === 'simulate') {
      const needed = p.images + p.quiz_size;
      if (needed > ds.images.length) {
        throw new UserInputError(`${dsInput.source}: the dataset has ${ds.images.length} images, fewer than images + quiz_size = ${needed}; lower images or quiz_size`);
      }
      const { simulateCrowd } = await import('./crowd/simulate.js');
      const sim = simulateCrowd(ds, p, ctx.signal);
      throwIfAborted(ctx.signal);
      responses = sim.responses;
      lines.push(
        `Simulated crowd (synthetic): ${p.workers} workers, each answering a ${sim.quizImages.length}-image qualification quiz, then ${p.labels_per_image} answers per task image on ${sim.taskImages.length} task images drawn stratified by posed expression (seed ${p.seed}).`,
        '',
        kindTable(responses),
      );
      extraSummary = { quiz_images: sim.quizImages.length, task_images: sim.taskImages.length, kinds: countKinds(responses) };
    } else {
      const abs = path.resolve(ctx.specDir, p.file);
      const { importCrowdCsv } = await import('./crowd/import.js');
      let res;
      try {
        res = await importCrowdCsv(abs, p.file, ds, p, {
          signal: ctx.signal,
          onProgress: (b, t) => ctx.progress(b, t, `reading ${path.basename(p.file)}`),
        });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UserInputError(`${p.file}: file not found (relative to ${ctx.specDir})`);
        throw e;
      }
      responses = res.responses;
      skipped = res.skipped;
      lines.push(
        `Imported \`${p.file}\` (${res.format} layout): ${res.rows} data rows, ${responses.length} answers kept, ${res.skipped} skipped${res.rejected ? `, ${res.rejected} rejected assignments left out` : ''}.`,
        '',
        `Columns: ${Object.entries(res.columnsUsed).map(([role, name]) => `${role} = \`${name}\``).join(', ')}.`,
      );
      if (responses.labelMerge === 'study5') lines.push('', 'Answers name the study\'s 5 merged classes; downstream nodes must use `merge: study5`.');
      if (res.skipped) {
        lines.push('', markdownTable(['skipped because', 'rows'], Object.entries(res.skippedByReason).map(([r, n]) => [r, String(n)])));
        lines.push('', 'First skipped rows:', '', ...res.examples.map((m) => `- ${m}`));
        ctx.log.warn(`${res.skipped} rows skipped (${Object.entries(res.skippedByReason).map(([r, n]) => `${n} ${r}`).join(', ')})`);
      }
      extraSummary = { format: res.format, rows: res.rows, skipped_by_reason: res.skippedByReason, rejected: res.rejected };
    }

    await writeResponses(ctx.outputs.responses, responses);
    const images = new Set<number>();
    let task = 0;
    for (let i = 0; i < responses.length; i++) {
      if (responses.phase[i] !== PHASE_TASK) continue;
      images.add(responses.image[i]);
      task++;
    }
    const workersWithAnswers = new Set(responses.worker).size;
    await ctx.summary({
      source: p.source,
      synthetic: responses.synthetic,
      responses: responses.length,
      task_responses: task,
      qualification_responses: responses.length - task,
      workers: workersWithAnswers,
      // images with task answers
      images: images.size,
      skipped,
      ...extraSummary,
    });
    await ctx.report.writeFile('report.md', lines.join('\n') + '\n');
  },
});

function countKinds(r: Responses): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of r.workerKinds ?? []) out[k] = (out[k] ?? 0) + 1;
  return out;
}

function kindTable(r: Responses): string {
  const kinds = r.workerKinds ?? [];
  const rows = WORKER_KINDS.map((k) => {
    const ws = new Set<number>();
    kinds.forEach((kk, w) => kk === k && ws.add(w));
    let answers = 0;
    const secs: number[] = [];
    for (let i = 0; i < r.length; i++) {
      if (ws.has(r.worker[i]) && r.phase[i] === PHASE_TASK) {
        answers++;
        secs.push(r.seconds[i]);
      }
    }
    return [k.replace('_', ' '), String(ws.size), fmtPct(kinds.length ? ws.size / kinds.length : 0), String(answers), secs.length ? `${fmtNum(median(secs), 1)} s` : '-'];
  });
  return markdownTable(['worker kind', 'workers', 'share', 'task answers', 'median time'], rows);
}
