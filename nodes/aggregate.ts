// aggregate: one label distribution per image, from crowd answers (vote shares,
// plurality, Dawid-Skene, one-coin Dawid-Skene) or from the lab raters' counts,
// optionally only for the images another artifact holds (the `images` input: the
// lab's labels for exactly the images a crowd labelled, for a fair comparison).

import { argmax, classMerge, mergeVector, type MergeName } from '../artifacts/classes.js';
import { readDatasetMeta } from '../artifacts/dataset.js';
import { readLabels, writeLabels, type LabelItem, type LabelSet } from '../artifacts/labels.js';
import { PHASE_QUALIFICATION, PHASE_TASK, WORKER_KINDS, answerClassMap, readResponses, selectResponses } from '../artifacts/responses.js';
import { UserInputError, defineNode, throwIfAborted, type InputHandle } from '../runner/node-api.js';
import { dawidSkene, pluralityVotes, rowArgmax, softVotes, voteCounts, type AnswerTable } from './crowd/aggregation.js';
import { fmtNum, fmtPct, markdownTable } from './crowd/report-util.js';

export type AggregateMethod = 'soft' | 'plurality' | 'dawid-skene' | 'one-coin';

export interface AggregateParams {
  merge: MergeName;
  method: AggregateMethod;
  smoothing: number;
  tolerance: number;
  max_iterations: number;
  phase: 'task' | 'qualification' | 'all';
}

export default defineNode<AggregateParams>({
  type: 'aggregate',
  version: 1,
  description: 'Per-image label distributions and hard labels from crowd answers (soft, plurality, Dawid-Skene, one-coin) or from the lab counts.',
  inputs: {
    responses: { kinds: ['responses'], optional: true, description: 'crowd answers to aggregate (connect this or dataset)' },
    dataset: { kinds: ['dataset'], optional: true, description: 'aggregate the lab raters\' counts instead (connect this or responses)' },
    images: {
      kinds: ['responses', 'labels'],
      optional: true,
      description: 'keep only the images found here: crowd answers (images answered in `phase`) or a label set (its images); e.g. the lab\'s labels for exactly the images a crowd labelled',
    },
  },
  outputs: {
    labels: { kind: 'labels', description: 'per image: probability per class, hard label, answers behind it' },
  },
  params: {
    type: 'object',
    properties: {
      merge: { enum: ['study5', 'none'], default: 'study5', description: "classes: the study's 5 (happy, neutral, sad, fear+surprise, anger+disgust) or CAFE's 7" },
      method: {
        enum: ['soft', 'plurality', 'dawid-skene', 'one-coin'],
        default: 'soft',
        description:
          'soft: vote shares; plurality: one-hot on the most voted class (ties go to the class listed first in `merge`\'s order, e.g. happy before neutral); dawid-skene: EM over per-worker confusion matrices, posterior probabilities as soft labels; one-coin: Dawid-Skene with one accuracy per worker',
      },
      smoothing: { type: 'number', minimum: 0, default: 0, description: 'soft: pseudo-votes added to every class before taking shares (0 = plain shares)' },
      tolerance: { type: 'number', exclusiveMinimum: 0, default: 1e-6, description: 'dawid-skene/one-coin: stop when no posterior moves more than this in an iteration' },
      max_iterations: { type: 'integer', minimum: 1, default: 500, description: 'dawid-skene/one-coin: iteration cap' },
      phase: { enum: ['task', 'qualification', 'all'], default: 'task', description: 'which crowd answers count: task answers (default), quiz answers, or both' },
    },
  },
  async run(ctx) {
    const p = ctx.params;
    const { responses: rIn, dataset: dIn, images: iIn } = ctx.inputs;
    if ((rIn ? 1 : 0) + (dIn ? 1 : 0) !== 1) {
      throw new UserInputError(`${ctx.name}: connect exactly one input: responses (crowd answers) or dataset (lab counts)${rIn && dIn ? ', not both' : ''}`);
    }
    const merge = classMerge(p.merge);
    const K = merge.classes.length;
    const lines: string[] = [];
    let labels: LabelSet;
    let extra: Record<string, unknown> = {};
    const only = iIn ? await imagesOf(iIn, p.phase) : undefined;
    throwIfAborted(ctx.signal);
    /** images of `only` the aggregated source lacks (reported, not an error: the rest still compare) */
    let missing = 0;

    if (dIn) {
      if (p.method === 'dawid-skene' || p.method === 'one-coin') {
        throw new UserInputError(`${ctx.name}: method ${p.method} needs each answer's worker, which lab counts do not have; use soft or plurality for the dataset`);
      }
      const ds = await readDatasetMeta(dIn);
      const items: LabelItem[] = [];
      ds.images.forEach((im, i) => {
        if (only && !only.ids.has(im.id)) return;
        const votes = mergeVector(ds.counts[i], merge);
        const n = votes.reduce((a, b) => a + b, 0);
        const label = argmax(votes);
        const probs = p.method === 'plurality' ? votes.map((_, k) => (k === label ? 1 : 0)) : votes.map((v) => (n + K * p.smoothing > 0 ? (v + p.smoothing) / (n + K * p.smoothing) : 1 / K));
        items.push({ imageId: im.id, probs, label, n });
      });
      if (only && items.length === 0) throw new UserInputError(noOverlap(only, dIn.source));
      labels = { classes: [...merge.classes], merge: p.merge, method: p.method, origin: 'lab', items };
      lines.push(`Lab labels${ds.synthetic ? ' (synthetic data)' : ''}: ${items.length} images, ${ds.raters} raters each, method \`${p.method}\`, ${K} classes.`);
    } else {
      let r = await readResponses(rIn!);
      throwIfAborted(ctx.signal);
      if (only) {
        const keepImage = r.imageIds.map((id) => only.ids.has(id));
        r = selectResponses(r, (i) => keepImage[r.image[i]]);
        if (r.length === 0) throw new UserInputError(noOverlap(only, rIn!.source));
      }
      const toClass = answerClassMap(r, merge);
      if (typeof toClass === 'string') throw new UserInputError(`${rIn!.source}: ${toClass}`);
      const table = answerTable(r, toClass, K, p.phase);
      if (table.item.length === 0) {
        throw new UserInputError(`${rIn!.source}: no ${p.phase === 'all' ? '' : `${p.phase} `}answers to aggregate${p.phase === 'task' ? ' (did the filter drop every worker?)' : ''}`);
      }
      const votes = voteCounts(table);
      let probs: Float64Array;
      let hard: (i: number) => number = (i) => rowArgmax(votes, K, i);
      if (p.method === 'soft') probs = softVotes(votes, K, p.smoothing);
      else if (p.method === 'plurality') probs = pluralityVotes(votes, K);
      else {
        const res = dawidSkene(table, { oneCoin: p.method === 'one-coin', tolerance: p.tolerance, maxIterations: p.max_iterations });
        probs = res.probs;
        hard = (i) => rowArgmax(res.probs, K, i);
        extra = { iterations: res.iterations, converged: res.converged };
        if (!res.converged) ctx.log.warn(`${p.method} stopped after ${res.iterations} iterations without converging to ${p.tolerance}; raise max_iterations`);
        lines.push(`EM ${res.converged ? 'converged' : 'did not converge'} after ${res.iterations} iterations (tolerance ${p.tolerance}).`);
        if (r.workerKinds) lines.push('', skillByKind(res.skill, table.workerKinds));
      }
      const items: LabelItem[] = [];
      for (let i = 0; i < table.items; i++) {
        let n = 0;
        for (let k = 0; k < K; k++) n += votes[i * K + k];
        items.push({ imageId: r.imageIds[table.itemImage[i]], probs: Array.from(probs.subarray(i * K, (i + 1) * K)), label: hard(i), n });
      }
      labels = { classes: [...merge.classes], merge: p.merge, method: p.method, origin: 'crowd', workers: table.workers, items };
      lines.unshift(`Crowd labels${r.synthetic ? ' (simulated crowd)' : ''}: ${items.length} images from ${table.item.length} ${p.phase === 'all' ? '' : `${p.phase} `}answers by ${table.workers} workers, method \`${p.method}\`, ${K} classes.`);
    }

    if (only) {
      // every label item is one of `only`'s images
      missing = only.ids.size - labels.items.length;
      lines.push('', `Only the ${only.ids.size} images of \`${only.source}\`${only.what}${missing ? `; ${missing} of them are not in the aggregated ${dIn ? 'dataset' : 'answers'}` : ''}.`);
      if (missing) ctx.log.warn(`${missing} of the ${only.ids.size} images of ${only.source} are not in ${dIn ? dIn.source : rIn!.source}`);
    }
    await writeLabels(ctx.outputs.labels, labels);
    const perClass = merge.classes.map((c, k) => {
      const hardN = labels.items.filter((it) => it.label === k).length;
      const mean = labels.items.reduce((s, it) => s + it.probs[k], 0) / Math.max(1, labels.items.length);
      return { c, hardN, mean };
    });
    const nAnswers = labels.items.reduce((s, it) => s + it.n, 0);
    await ctx.summary({
      origin: labels.origin,
      method: p.method,
      merge: p.merge,
      images: labels.items.length,
      answers: nAnswers,
      ...(labels.workers !== undefined ? { workers: labels.workers } : {}),
      labels_per_image: labels.items.length ? nAnswers / labels.items.length : 0,
      hard_labels: Object.fromEntries(perClass.map((x) => [x.c, x.hardN])),
      ...(only ? { restricted_to: { source: only.source, images: only.ids.size, missing } } : {}),
      ...extra,
    });
    lines.push('', markdownTable(['class', 'images (hard label)', 'mean probability'], perClass.map((x) => [x.c, String(x.hardN), fmtNum(x.mean)])));
    if (p.method === 'plurality') lines.push('', `Ties go to the class listed first (${merge.classes.join(' > ')}).`);
    await ctx.report.writeFile('report.md', lines.join('\n') + '\n');
  },
});

interface ImageSelection {
  ids: Set<string>;
  source: string;
  /** how the images were chosen, for the report: ` (task answers)` */
  what: string;
}

/** The image ids of the `images` input: images answered in `phase` (crowd answers) or a label set's items. */
async function imagesOf(input: InputHandle, phase: AggregateParams['phase']): Promise<ImageSelection> {
  if (input.kind === 'labels') {
    const l = await readLabels(input);
    return { ids: new Set(l.items.map((it) => it.imageId)), source: input.source, what: ' (its label set)' };
  }
  const r = await readResponses(input);
  const want = phase === 'task' ? PHASE_TASK : phase === 'qualification' ? PHASE_QUALIFICATION : -1;
  const ids = new Set<string>();
  for (let i = 0; i < r.length; i++) if (want < 0 || r.phase[i] === want) ids.add(r.imageIds[r.image[i]]);
  if (ids.size === 0) throw new UserInputError(`${input.source}: no ${phase === 'all' ? '' : `${phase} `}answers, so no images to keep (images input)`);
  return { ids, source: input.source, what: phase === 'all' ? ' (all answers)' : ` (${phase} answers)` };
}

function noOverlap(only: ImageSelection, source: string): string {
  return `${source}: none of the ${only.ids.size} images of ${only.source} are here; connect images from the same dataset`;
}

interface ImageAnswerTable extends AnswerTable {
  /** image-table index of each item */
  itemImage: number[];
  /** simulated kind per (re-indexed) worker, when known */
  workerKinds: string[];
}

/** The answers of the chosen phase, items and workers re-indexed densely (items in image-table order). */
function answerTable(
  r: Awaited<ReturnType<typeof readResponses>>,
  toClass: Uint8Array,
  K: number,
  phase: AggregateParams['phase'],
): ImageAnswerTable {
  const want = phase === 'task' ? PHASE_TASK : phase === 'qualification' ? PHASE_QUALIFICATION : -1;
  const used = new Uint8Array(r.imageIds.length);
  const workerMap = new Int32Array(r.workerIds.length).fill(-1);
  let A = 0;
  for (let i = 0; i < r.length; i++) {
    if (want >= 0 && r.phase[i] !== want) continue;
    used[r.image[i]] = 1;
    A++;
  }
  const itemOf = new Int32Array(r.imageIds.length).fill(-1);
  const itemImage: number[] = [];
  for (let j = 0; j < used.length; j++) if (used[j]) {
    itemOf[j] = itemImage.length;
    itemImage.push(j);
  }
  const item = new Int32Array(A);
  const worker = new Int32Array(A);
  const cls = new Uint8Array(A);
  const workerKinds: string[] = [];
  let W = 0;
  let a = 0;
  for (let i = 0; i < r.length; i++) {
    if (want >= 0 && r.phase[i] !== want) continue;
    const w = r.worker[i];
    if (workerMap[w] < 0) {
      workerMap[w] = W++;
      workerKinds.push(r.workerKinds?.[w] ?? '');
    }
    item[a] = itemOf[r.image[i]];
    worker[a] = workerMap[w];
    cls[a] = toClass[r.label[i]];
    a++;
  }
  return { items: itemImage.length, workers: W, classes: K, item, worker, cls, itemImage, workerKinds };
}

function skillByKind(skill: Float64Array, kinds: string[]): string {
  const rows = WORKER_KINDS.map((k) => {
    let s = 0;
    let n = 0;
    kinds.forEach((kk, w) => {
      if (kk === k) {
        s += skill[w];
        n++;
      }
    });
    return n ? [k.replace('_', ' '), String(n), fmtPct(s / n)] : undefined;
  }).filter((x): x is string[] => x !== undefined);
  return 'Estimated worker accuracy by simulated kind:\n\n' + markdownTable(['kind', 'workers', 'mean estimated accuracy'], rows);
}
