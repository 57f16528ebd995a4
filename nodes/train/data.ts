// What a training sees: which images train and which are held out, the target
// distribution of each, and the human distribution each test image is judged
// against. Targets come from the dataset's lab counts (merged by `merge`) or from a
// label set (e.g. a crowd's), whose class set then rules.

import { argmax, classMerge, mergeVector, normalize, type MergeName } from '../../artifacts/classes.js';
import type { Dataset } from '../../artifacts/dataset.js';
import type { LabelSet } from '../../artifacts/labels.js';
import { UserInputError } from '../../runner/node-api.js';

export type TargetKind = 'onehot' | 'soft';

export interface Split {
  /** dataset indices */
  index: number[];
  ids: string[];
  /** what the loss is taken against (one-hot or the distribution), per image */
  targets: Float32Array[];
}

export interface TrainData {
  classes: string[];
  merge: MergeName;
  /** where the training targets came from, for reports: `lab counts` or `labels (crowd, dawid-skene)` */
  source: string;
  train: Split;
  test: Split & {
    /** the human (lab) distribution over `classes`, what accuracy and L1 are judged against */
    human: number[][];
  };
  /** label-set items skipped: not in the dataset, or in its test split */
  skipped: { unknown: number; heldOut: number };
}

export function oneHot(dist: ArrayLike<number>): Float32Array {
  const t = new Float32Array(dist.length);
  t[argmax(dist)] = 1;
  return t;
}

function targetOf(dist: number[], kind: TargetKind): Float32Array {
  return kind === 'onehot' ? oneHot(dist) : Float32Array.from(dist);
}

/** Lab distributions over a merge's classes, per dataset image. */
function labDistributions(ds: Dataset, merge: MergeName): number[][] {
  const m = classMerge(merge);
  return ds.counts.map((c) => normalize(mergeVector(c, m)));
}

export function prepareData(ds: Dataset, opts: { target: TargetKind; merge: MergeName; labels?: LabelSet; labelsSource?: string }): TrainData {
  const { target, labels } = opts;
  const merge = labels ? labels.merge : opts.merge;
  const m = classMerge(merge);
  if (labels) {
    const same = labels.classes.length === m.classes.length && labels.classes.every((c, i) => c === m.classes[i]);
    if (!same) {
      throw new UserInputError(
        `${opts.labelsSource ?? 'labels'}: classes [${labels.classes.join(', ')}] do not match merge "${merge}" [${m.classes.join(', ')}]; re-run aggregate with a standard merge`,
      );
    }
  }
  const human = labDistributions(ds, merge);
  const train: Split = { index: [], ids: [], targets: [] };
  const test: TrainData['test'] = { index: [], ids: [], targets: [], human: [] };
  const skipped = { unknown: 0, heldOut: 0 };

  ds.images.forEach((img, i) => {
    if (img.split !== 'test') return;
    test.index.push(i);
    test.ids.push(img.id);
    test.human.push(human[i]);
    test.targets.push(targetOf(human[i], target));
  });

  if (labels) {
    const byId = new Map(ds.images.map((img, i) => [img.id, i]));
    const seen = new Set<number>();
    for (const item of labels.items) {
      const i = byId.get(item.imageId);
      if (i === undefined) {
        skipped.unknown++;
        continue;
      }
      if (ds.images[i].split !== 'train') {
        skipped.heldOut++;
        continue;
      }
      if (seen.has(i)) continue;
      seen.add(i);
      train.index.push(i);
      train.ids.push(item.imageId);
      train.targets.push(targetOf(normalize(item.probs), target));
    }
    // dataset order, so that the label file's row order does not change the run
    const order = train.index.map((_, k) => k).sort((a, b) => train.index[a] - train.index[b]);
    train.index = order.map((k) => train.index[k]);
    train.ids = order.map((k) => train.ids[k]);
    train.targets = order.map((k) => train.targets[k]);
  } else {
    ds.images.forEach((img, i) => {
      if (img.split !== 'train') return;
      train.index.push(i);
      train.ids.push(img.id);
      train.targets.push(targetOf(human[i], target));
    });
  }
  if (train.index.length === 0) {
    throw new UserInputError(
      labels
        ? `${opts.labelsSource ?? 'labels'}: none of its ${labels.items.length} images is in the dataset's train split; check that the label set belongs to this dataset`
        : 'dataset: no image is in the train split; check load-cafe\'s split params',
    );
  }
  const source = labels ? `labels (${labels.origin}, ${labels.method})` : 'lab counts';
  return { classes: [...m.classes], merge, source, train, test, skipped };
}
