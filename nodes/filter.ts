// filter: keep the crowd workers who pass the qualification quiz (the study's
// filtration step), optionally also dropping too-fast workers and straight-liners.
// Passes on only the kept workers' task answers.

import { classMerge, type MergeName } from '../artifacts/classes.js';
import { readDatasetMeta } from '../artifacts/dataset.js';
import { PHASE_TASK, WORKER_KINDS, readResponses, selectResponses, writeResponses, writeWorkers, type WorkerRow } from '../artifacts/responses.js';
import { defineNode, throwIfAborted } from '../runner/node-api.js';
import { judgeWorkers, type FilterRule } from './crowd/quality.js';
import { fmtPct, markdownTable } from './crowd/report-util.js';

export interface FilterParams extends FilterRule {
  merge: MergeName;
}

const REASONS = [
  ['too few quiz answers', 'too few quiz answers'],
  ['quiz accuracy', 'quiz accuracy below min_accuracy'],
  ['too fast', 'too fast (min_seconds)'],
  ['one label', 'straight-lining (max_same_label_share)'],
] as const;

export default defineNode<FilterParams>({
  type: 'filter',
  version: 1,
  description: 'Keep crowd workers whose qualification-quiz accuracy (against the lab plurality, after the class merge) reaches min_accuracy; pass on their task answers.',
  inputs: {
    responses: { kinds: ['responses'], description: 'crowd answers with a qualification phase' },
    dataset: { kinds: ['dataset'], description: 'the lab counts: the quiz\'s gold answers are their plurality labels' },
  },
  outputs: {
    responses: { kind: 'responses', description: 'the kept workers\' task answers' },
    workers: { kind: 'workers', description: 'one row per worker: answers, quiz answers, quiz accuracy, kept, reason', publish: true },
  },
  params: {
    type: 'object',
    properties: {
      min_accuracy: { type: 'number', minimum: 0, maximum: 1, default: 0.8, description: 'keep workers whose quiz accuracy is at least this (0.8 = 8 of a 10-image quiz)' },
      min_quiz_answers: { type: 'integer', minimum: 0, default: 5, description: 'keep only workers with at least this many quiz answers' },
      merge: { enum: ['study5', 'none'], default: 'study5', description: 'classes quiz answers are compared in: the study\'s 5 merged classes, or CAFE\'s 7' },
      min_seconds: { type: 'number', minimum: 0, default: 0, description: 'drop workers whose median seconds per answer is below this (0 = off)' },
      max_same_label_share: { type: 'number', minimum: 0, maximum: 1, default: 1, description: 'drop workers who give one label on more than this share of their answers (1 = off)' },
    },
  },
  async run(ctx) {
    const p = ctx.params;
    const [responses, ds] = await Promise.all([readResponses(ctx.inputs.responses), readDatasetMeta(ctx.inputs.dataset)]);
    throwIfAborted(ctx.signal);
    const merge = classMerge(p.merge);
    const rows = judgeWorkers(responses, ds, merge, p, ctx.inputs.responses.source);
    const keptWorker = new Uint8Array(rows.length);
    rows.forEach((r, w) => (keptWorker[w] = r.kept ? 1 : 0));
    const kept = selectResponses(responses, (i) => keptWorker[responses.worker[i]] === 1 && responses.phase[i] === PHASE_TASK);
    throwIfAborted(ctx.signal);

    const rule = { min_accuracy: p.min_accuracy, min_quiz_answers: p.min_quiz_answers, merge: p.merge, min_seconds: p.min_seconds, max_same_label_share: p.max_same_label_share };
    kept.extra = { ...(responses.extra ?? {}), filter: rule };
    await writeResponses(ctx.outputs.responses, kept);
    await writeWorkers(ctx.outputs.workers, { rule, workers: rows });

    const nKept = rows.filter((r) => r.kept).length;
    const taskIn = countTask(responses.phase);
    const imagesIn = distinctTaskImages(responses);
    const imagesKept = distinctTaskImages(kept);
    const dropped: Record<string, number> = {};
    for (const [prefix, name] of REASONS) {
      const n = rows.filter((r) => r.reason.split('; ').some((x) => x.startsWith(prefix))).length;
      if (n) dropped[name] = n;
    }
    const noQuiz = rows.every((r) => r.quizAnswers === 0);
    if (noQuiz && rows.length) ctx.log.warn('no worker has qualification answers, so none can pass the quiz; import a phase column or lower min_quiz_answers to 0');

    const byKind = responses.workerKinds ? kindRows(rows) : undefined;
    await ctx.summary({
      workers: rows.length,
      kept: nKept,
      dropped: rows.length - nKept,
      kept_share: rows.length ? nKept / rows.length : 0,
      task_answers_in: taskIn,
      task_answers_kept: kept.length,
      images_in: imagesIn,
      images_kept: imagesKept,
      dropped_by_reason: dropped,
      ...(byKind ? { kept_by_kind: Object.fromEntries(byKind.map((k) => [k.kind, `${k.kept}/${k.workers}`])) } : {}),
      rule,
    });

    const lines = [
      `Kept **${nKept} of ${rows.length} workers** (${fmtPct(rows.length ? nKept / rows.length : 0)}): quiz accuracy at least ${fmtPct(p.min_accuracy, 0)} on ${p.merge === 'study5' ? "the study's 5 merged classes" : "CAFE's 7 expressions"}, with at least ${p.min_quiz_answers} quiz answers${p.min_seconds > 0 ? `, median answer time at least ${p.min_seconds} s` : ''}${p.max_same_label_share < 1 ? `, no label on more than ${fmtPct(p.max_same_label_share, 0)} of answers` : ''}.`,
      `Task answers kept: ${kept.length} of ${taskIn}, covering ${imagesKept} of ${imagesIn} task images.`,
    ];
    if (imagesKept < imagesIn) lines.push(`${imagesIn - imagesKept} task images have no answer from a kept worker and drop out of the crowd labels.`);
    if (Object.keys(dropped).length) lines.push('', markdownTable(['dropped because', 'workers'], Object.entries(dropped).map(([k, v]) => [k, String(v)])));
    if (byKind) {
      lines.push('', 'By simulated worker kind (known only because the crowd is simulated):', '');
      lines.push(markdownTable(['kind', 'workers', 'kept', 'mean quiz accuracy'], byKind.map((k) => [k.kind.replace('_', ' '), String(k.workers), String(k.kept), fmtPct(k.meanAcc)])));
    }
    lines.push('', 'Quiz accuracy of the workers:', '', accuracyHistogram(rows, p.min_accuracy), '', 'Every worker, with the reason for dropping: [workers/workers.csv](workers/workers.csv).');
    await ctx.report.writeFile('report.md', lines.join('\n') + '\n');
  },
});

function countTask(phase: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < phase.length; i++) if (phase[i] === PHASE_TASK) n++;
  return n;
}

function distinctTaskImages(r: { length: number; image: Uint32Array; phase: Uint8Array }): number {
  const s = new Set<number>();
  for (let i = 0; i < r.length; i++) if (r.phase[i] === PHASE_TASK) s.add(r.image[i]);
  return s.size;
}

function kindRows(rows: WorkerRow[]): { kind: string; workers: number; kept: number; meanAcc: number }[] {
  return WORKER_KINDS.map((kind) => {
    const ws = rows.filter((r) => r.kind === kind);
    const accs = ws.map((r) => r.quizAccuracy).filter((a): a is number => a !== null);
    return { kind, workers: ws.length, kept: ws.filter((r) => r.kept).length, meanAcc: accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : Number.NaN };
  }).filter((k) => k.workers > 0);
}

/** Workers per 10%-wide quiz accuracy bin, marking which side of the threshold each bin lies on. */
function accuracyHistogram(rows: WorkerRow[], threshold: number): string {
  const bins = new Array<number>(11).fill(0);
  let none = 0;
  for (const r of rows) {
    if (r.quizAccuracy === null) none++;
    else bins[Math.min(10, Math.floor(r.quizAccuracy * 10 + 1e-9))]++;
  }
  const out: string[][] = [];
  for (let b = 10; b >= 0; b--) {
    if (!bins[b]) continue;
    const lo = b / 10;
    const label = b === 10 ? '100%' : `${b * 10}-${b * 10 + 9}%`;
    out.push([label, String(bins[b]), lo >= threshold - 1e-12 ? 'pass' : lo + 0.1 <= threshold + 1e-12 ? 'fail' : 'mixed']);
  }
  if (none) out.push(['no quiz answers', String(none), '-']);
  return markdownTable(['quiz accuracy', 'workers', 'vs min_accuracy'], out);
}
