// How well a crowd label set matches the lab's: the study's per-class plurality
// agreement, plus distances between the two label distributions.

import type { LabelSet } from '../../artifacts/labels.js';
import { jsDistance, l1Distance } from '../lib/distributions.js';

export interface ClassAgreement {
  class: string;
  /** images whose lab plurality is this class */
  images: number;
  /** of those, images whose crowd plurality is the same class */
  agree: number;
  /** agree / images, or null when the class has no image */
  share: number | null;
}

export interface SetAgreement {
  name: string;
  method: string;
  /** images labelled by both the crowd and the lab */
  images: number;
  workers: number | null;
  /** crowd images the reference does not have (left out) */
  unmatched: number;
  overall: number | null;
  /** mean L1 distance between crowd and lab distributions (0..2) */
  meanL1: number | null;
  /** mean Jensen-Shannon distance, base-2 logarithms (0..1) */
  meanJS: number | null;
  perClass: ClassAgreement[];
}

/**
 * Compare `crowd` with the reference on the images both label. Classes must be
 * the same (same merge); the caller reports a mismatch as a user error.
 */
export function compareLabelSets(reference: LabelSet, crowd: LabelSet, name: string): SetAgreement {
  const ref = new Map(reference.items.map((it) => [it.imageId, it]));
  const K = reference.classes.length;
  const images = new Array<number>(K).fill(0);
  const agree = new Array<number>(K).fill(0);
  let n = 0;
  let unmatched = 0;
  let sumL1 = 0;
  let sumJS = 0;
  for (const it of crowd.items) {
    const r = ref.get(it.imageId);
    if (!r) {
      unmatched++;
      continue;
    }
    n++;
    images[r.label]++;
    if (it.label === r.label) agree[r.label]++;
    sumL1 += l1Distance(it.probs, r.probs);
    sumJS += jsDistance(it.probs, r.probs);
  }
  const total = agree.reduce((a, b) => a + b, 0);
  return {
    name,
    method: crowd.method,
    images: n,
    workers: crowd.workers ?? null,
    unmatched,
    overall: n ? total / n : null,
    meanL1: n ? sumL1 / n : null,
    meanJS: n ? sumJS / n : null,
    perClass: reference.classes.map((c, k) => ({ class: c, images: images[k], agree: agree[k], share: images[k] ? agree[k] / images[k] : null })),
  };
}
