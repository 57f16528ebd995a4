// A simulated paid-crowd marketplace on the images of a dataset. Workers of five
// kinds take a qualification quiz on clear images, then label task images drawn
// stratified by posed expression. Everything is drawn from one seeded Random, so
// a seed reproduces the crowd answer for answer.

import { CAFE_EXPRESSIONS, argmax, normalize } from '../../artifacts/classes.js';
import type { DatasetMeta } from '../../artifacts/dataset.js';
import { PHASE_QUALIFICATION, PHASE_TASK, ResponsesBuilder, WORKER_KINDS, type Responses, type WorkerKind } from '../../artifacts/responses.js';
import { Random } from '../../runner/random.js';

export interface SimulateParams {
  seed: number;
  /** task images */
  images: number;
  labels_per_image: number;
  workers: number;
  /** share of each worker kind (normalised) */
  mix: Record<WorkerKind, number>;
  /** median seconds per answer for each kind */
  speeds: Record<WorkerKind, number>;
  quiz_size: number;
  /** careful answers follow the lab distribution raised to this power (1 = exactly a lab rater) */
  careful_sharpen: number;
  /** share of a careless worker's answers that are random clicks */
  careless_random: number;
  /** how often a biased worker's confusion replaces the answer it applies to */
  bias_strength: number;
  /** smallest lab share (7 classes) for an image to serve in the quiz */
  quiz_min_share: number;
}

const K = CAFE_EXPRESSIONS.length;
const ix = (e: (typeof CAFE_EXPRESSIONS)[number]): number => CAFE_EXPRESSIONS.indexOf(e);

/**
 * Confusions a biased worker may hold, each crossing the study's merged classes
 * (anger/disgust and fear/surprise swaps would vanish after the merge). They follow
 * the errors people make on CAFE: sad and neutral read as each other, resting faces
 * read as angry or sad, open-mouth happy read as surprise.
 */
const BIAS_CONFUSIONS: [number, number][] = [
  [ix('neutral'), ix('sad')],
  [ix('sad'), ix('neutral')],
  [ix('happy'), ix('neutral')],
  [ix('fear'), ix('sad')],
  [ix('anger'), ix('sad')],
  [ix('disgust'), ix('sad')],
  [ix('surprise'), ix('happy')],
  [ix('neutral'), ix('anger')],
  [ix('sad'), ix('anger')],
  [ix('happy'), ix('surprise')],
];
const CONFUSIONS_PER_BIASED_WORKER = 2;

/**
 * Most straight-liners click the first option on the form, which lists happy
 * first; the rest pick one label at random and keep it.
 */
const FORM_FIRST_OPTION = ix('happy');
const CONSTANT_FIRST_OPTION_SHARE = 0.8;

/**
 * Workers take tasks in proportion to (seconds per answer)^-0.75: fast workers
 * (spammers) finish more tasks in the same time and grab a larger share of the
 * work, as on real marketplaces. With the default mix about two thirds of the
 * task answers come from spammers (45%) and careless workers, while a third of
 * the workers are careful.
 */
const ACTIVITY_SPEED_POWER = 0.75;

interface SimWorker {
  kind: WorkerKind;
  /** how much of the task supply this worker takes */
  activity: number;
  /** personal speed factor */
  pace: number;
  /** spammer_constant: the one label */
  constant: number;
  /** biased: answer -> replacement (-1 none) */
  confusion: Int8Array;
}

export interface SimulationResult {
  responses: Responses;
  taskImages: number[];
  quizImages: number[];
}

export function simulateCrowd(ds: DatasetMeta, p: SimulateParams, signal?: AbortSignal): SimulationResult {
  const rng = new Random(`crowd-collect:${p.seed}`);
  const N = ds.images.length;
  const dist = ds.counts.map((c) => normalize(c));

  const taskImages = drawTaskImages(ds, p.images, rng.fork('tasks'));
  const quizImages = drawQuizImages(ds, dist, new Set(taskImages), p.quiz_size, p.quiz_min_share, rng.fork('quiz'));
  const workers = makeWorkers(p, rng.fork('workers'));
  const assigned = assignTasks(taskImages, workers, p.labels_per_image, rng.fork('assign'));

  // sharpened distributions for careful answers, computed once per used image
  const sharp = new Map<number, number[]>();
  const sharpOf = (i: number): number[] => {
    let s = sharp.get(i);
    if (!s) {
      s = normalize(dist[i].map((x) => Math.pow(x, p.careful_sharpen)));
      sharp.set(i, s);
    }
    return s;
  };

  const answersRng = rng.fork('answers');
  const rows = new ResponsesBuilder(workers.length * (quizImages.length + 1) + taskImages.length * p.labels_per_image);
  for (let w = 0; w < workers.length; w++) {
    if (signal?.aborted) break;
    const wk = workers[w];
    const r = answersRng.fork(w);
    const quizOrder = r.shuffle([...quizImages]);
    for (const img of quizOrder) rows.push(w, img, answer(wk, sharpOf(img), p, r), PHASE_QUALIFICATION, seconds(wk, p, r));
    for (const img of assigned[w]) rows.push(w, img, answer(wk, sharpOf(img), p, r), PHASE_TASK, seconds(wk, p, r));
  }

  const width = String(workers.length).length;
  const responses: Responses = {
    labelMerge: 'none',
    classes: CAFE_EXPRESSIONS,
    source: 'simulated',
    synthetic: true,
    workerIds: workers.map((_, w) => `sim-w${String(w + 1).padStart(Math.max(3, width), '0')}`),
    imageIds: ds.images.map((im) => im.id),
    workerKinds: workers.map((w) => w.kind),
    ...rows.columns(),
    extra: {
      simulation: {
        seed: p.seed, images: p.images, labels_per_image: p.labels_per_image, workers: p.workers, mix: p.mix, speeds: p.speeds,
        quiz_size: p.quiz_size, quiz_min_share: p.quiz_min_share, careful_sharpen: p.careful_sharpen,
        careless_random: p.careless_random, bias_strength: p.bias_strength,
      },
      quizImages: quizImages.map((i) => ds.images[i].id),
      taskImages: taskImages.length,
    },
  };
  return { responses, taskImages, quizImages };
}

function answer(w: SimWorker, careful: number[], p: SimulateParams, r: Random): number {
  switch (w.kind) {
    case 'spammer_uniform':
      return r.int(K);
    case 'spammer_constant':
      return w.constant;
    case 'careless':
      return r.bool(p.careless_random) ? r.int(K) : r.categorical(careful);
    case 'biased': {
      const a = r.categorical(careful);
      const to = w.confusion[a];
      return to >= 0 && r.bool(p.bias_strength) ? to : a;
    }
    default:
      return r.categorical(careful);
  }
}

function seconds(w: SimWorker, p: SimulateParams, r: Random): number {
  const s = p.speeds[w.kind] * w.pace * Math.exp(0.35 * r.normal());
  return Math.round(Math.max(0.2, s) * 100) / 100;
}

/** Allocate `total` among weights by largest remainder (ties to the lower index). */
export function allocate(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k][1]]++;
  return out;
}

/** Task images, stratified by posed expression: each expression in proportion to its share of the dataset. */
function drawTaskImages(ds: DatasetMeta, count: number, rng: Random): number[] {
  const groups: number[][] = CAFE_EXPRESSIONS.map(() => []);
  ds.images.forEach((im, i) => groups[CAFE_EXPRESSIONS.indexOf(im.expression)]?.push(i));
  const take = allocate(count, groups.map((g) => g.length));
  const out: number[] = [];
  groups.forEach((g, k) => out.push(...rng.shuffle([...g]).slice(0, Math.min(take[k], g.length))));
  return out.sort((a, b) => a - b);
}

/**
 * Quiz images: outside the task set, with a clear lab answer (plurality share at
 * least `minShare`), taken round-robin over the lab's plurality class so the quiz
 * covers several expressions. Falls back to the clearest remaining images.
 */
function drawQuizImages(ds: DatasetMeta, dist: number[][], task: Set<number>, size: number, minShare: number, rng: Random): number[] {
  const byClass: number[][] = CAFE_EXPRESSIONS.map(() => []);
  const rest: number[] = [];
  for (let i = 0; i < ds.images.length; i++) {
    if (task.has(i)) continue;
    const k = argmax(dist[i]);
    if (dist[i][k] >= minShare) byClass[k].push(i);
    else rest.push(i);
  }
  for (const g of byClass) rng.shuffle(g);
  const classOrder = rng.shuffle(CAFE_EXPRESSIONS.map((_, k) => k));
  const out: number[] = [];
  for (let round = 0; out.length < size; round++) {
    let any = false;
    for (const k of classOrder) {
      if (out.length >= size) break;
      if (round < byClass[k].length) {
        out.push(byClass[k][round]);
        any = true;
      }
    }
    if (!any) break;
  }
  if (out.length < size) {
    rest.sort((a, b) => Math.max(...dist[b]) - Math.max(...dist[a]) || a - b);
    out.push(...rest.slice(0, size - out.length));
  }
  return out;
}

function makeWorkers(p: SimulateParams, rng: Random): SimWorker[] {
  const perKind = allocate(
    p.workers,
    WORKER_KINDS.map((k) => p.mix[k] ?? 0),
  );
  const kinds: WorkerKind[] = [];
  WORKER_KINDS.forEach((k, i) => {
    for (let j = 0; j < perKind[i]; j++) kinds.push(k);
  });
  rng.shuffle(kinds);
  return kinds.map((kind) => {
    const confusion = new Int8Array(K).fill(-1);
    if (kind === 'biased') {
      const picks = rng.shuffle([...BIAS_CONFUSIONS]);
      let n = 0;
      for (const [from, to] of picks) {
        if (n === CONFUSIONS_PER_BIASED_WORKER) break;
        if (confusion[from] >= 0) continue;
        confusion[from] = to;
        n++;
      }
    }
    const pace = Math.exp(0.25 * rng.normal());
    return {
      kind,
      // fast workers finish more tasks in the same time, so spammers grab a large share of the work
      activity: Math.exp(0.5 * rng.normal()) * Math.pow(p.speeds[kind] * pace, -ACTIVITY_SPEED_POWER),
      pace,
      constant: rng.bool(CONSTANT_FIRST_OPTION_SHARE) ? FORM_FIRST_OPTION : rng.int(K),
      confusion,
    };
  });
}

/**
 * Give every task image `perImage` distinct workers, the busier workers more
 * often (weighted sampling without replacement, Efraimidis-Spirakis keys).
 * Returns each worker's task images in the order they answer them.
 */
function assignTasks(images: number[], workers: SimWorker[], perImage: number, rng: Random): number[][] {
  const out: number[][] = workers.map(() => []);
  const W = workers.length;
  const keys = new Float64Array(W);
  const order = new Int32Array(W);
  for (const img of rng.shuffle([...images])) {
    for (let w = 0; w < W; w++) {
      keys[w] = Math.log(rng.next() || Number.MIN_VALUE) / workers[w].activity;
      order[w] = w;
    }
    // the perImage largest keys win
    const chosen = Array.from(order).sort((a, b) => keys[b] - keys[a] || a - b).slice(0, perImage);
    for (const w of chosen) out[w].push(img);
  }
  return out;
}
