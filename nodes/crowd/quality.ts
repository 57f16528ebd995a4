// Worker quality from the qualification quiz, and the keep/drop rule `filter`
// applies. A quiz answer is correct when it equals the lab's plurality label for
// that image after the class merge (so "surprise" on a fear image counts under
// the study's 5 classes).

import { argmax, mergeVector, type ClassMerge } from '../../artifacts/classes.js';
import type { DatasetMeta } from '../../artifacts/dataset.js';
import { PHASE_QUALIFICATION, PHASE_TASK, answerClassMap, type Responses, type WorkerRow } from '../../artifacts/responses.js';
import { UserInputError } from '../../runner/node-api.js';

export interface FilterRule {
  min_accuracy: number;
  min_quiz_answers: number;
  /** drop workers whose median seconds per answer is below this (0 = off) */
  min_seconds: number;
  /** drop workers giving one label on more than this share of their answers (1 = off) */
  max_same_label_share: number;
}

/** The lab's plurality class (under `merge`) for each entry of the responses' image table; -1 if the dataset lacks it. */
export function labPlurality(r: Pick<Responses, 'imageIds'>, ds: Pick<DatasetMeta, 'images' | 'counts'>, merge: ClassMerge): Int16Array {
  const index = new Map(ds.images.map((im, i) => [im.id, i]));
  const out = new Int16Array(r.imageIds.length).fill(-1);
  r.imageIds.forEach((id, j) => {
    const i = index.get(id);
    if (i !== undefined) out[j] = argmax(mergeVector(ds.counts[i], merge));
  });
  return out;
}

/** Per-worker figures (quiz accuracy, speed, straight-lining) and the rule's verdict. */
export function judgeWorkers(r: Responses, ds: Pick<DatasetMeta, 'images' | 'counts'>, merge: ClassMerge, rule: FilterRule, source = 'responses'): WorkerRow[] {
  const toClass = answerClassMap(r, merge);
  if (typeof toClass === 'string') throw new UserInputError(`${source}: ${toClass}`);
  const gold = labPlurality(r, ds, merge);
  const W = r.workerIds.length;
  const answers = new Uint32Array(W);
  const quiz = new Uint32Array(W);
  const correct = new Uint32Array(W);
  const K = r.classes.length;
  const labelCounts = new Uint32Array(W * K);
  const secs: number[][] = Array.from({ length: W }, () => []);

  for (let i = 0; i < r.length; i++) {
    const w = r.worker[i];
    const lab = r.label[i];
    labelCounts[w * K + lab]++;
    const s = r.seconds[i];
    if (Number.isFinite(s)) secs[w].push(s);
    if (r.phase[i] === PHASE_TASK) {
      answers[w]++;
    } else if (r.phase[i] === PHASE_QUALIFICATION) {
      const g = gold[r.image[i]];
      if (g < 0) {
        throw new UserInputError(`${source}: quiz image "${r.imageIds[r.image[i]]}" is not in the dataset; connect the dataset the answers were collected on`);
      }
      quiz[w]++;
      if (toClass[lab] === g) correct[w]++;
    }
  }

  const rows: WorkerRow[] = [];
  for (let w = 0; w < W; w++) {
    let top = 0;
    let total = 0;
    for (let k = 0; k < K; k++) {
      const c = labelCounts[w * K + k];
      total += c;
      if (c > top) top = c;
    }
    const acc = quiz[w] ? correct[w] / quiz[w] : null;
    const med = secs[w].length ? median(secs[w]) : null;
    const same = total ? top / total : 0;
    const reasons: string[] = [];
    if (quiz[w] < rule.min_quiz_answers) reasons.push(`too few quiz answers (${quiz[w]} < ${rule.min_quiz_answers})`);
    else if (acc !== null && acc < rule.min_accuracy - 1e-12) reasons.push(`quiz accuracy ${pct(acc)} < ${pct(rule.min_accuracy)}`);
    if (rule.min_seconds > 0 && med !== null && med < rule.min_seconds) reasons.push(`too fast (median ${med.toFixed(1)} s < ${rule.min_seconds} s)`);
    if (rule.max_same_label_share < 1 && same > rule.max_same_label_share) reasons.push(`one label on ${pct(same)} of answers (> ${pct(rule.max_same_label_share)})`);
    rows.push({
      worker: r.workerIds[w],
      ...(r.workerKinds ? { kind: r.workerKinds[w] } : {}),
      answers: answers[w],
      quizAnswers: quiz[w],
      quizCorrect: correct[w],
      quizAccuracy: acc,
      medianSeconds: med,
      sameLabelShare: same,
      kept: reasons.length === 0,
      reason: reasons.join('; '),
    });
  }
  return rows;
}

function median(v: number[]): number {
  v.sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function pct(x: number): string {
  const p = 100 * x;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}
