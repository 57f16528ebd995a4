// The built-in synthetic CAFE: children and their poses in CAFE's composition, a
// latent expression blend per image calibrated so the simulated lab panel agrees
// with the posed expression as often as CAFE's raters did, the panel's counts, and
// the rendered pixels. Deterministic for a seed: every stream is forked by name.

import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { CAFE_EXPRESSIONS, CAFE_WORDS, type Expression } from '../../../artifacts/classes.js';
import { Random } from '../../../runner/random.js';
import { ambiguousShares, drawTargets, fitCurve } from './accuracy-targets.js';
import { CAFE_CELLS, type Mouth } from './cafe-table.js';
import { assignPoses, cellCounts, makeChildren, type SyntheticChild } from './composition.js';
import { blendActions, partnerVector } from './expressions.js';
import { drawFace, makeIdentity, makePhoto, type Identity } from './face.js';
import { blendForTarget, makePanel, rate } from './perception.js';
import { Canvas } from './raster.js';

export interface SyntheticOptions {
  seed: number | string;
  children: number;
  size: number;
  channels: 1 | 3;
  raters: number;
  /** share of images whose expected lab agreement is below 0.6 (CAFE: about 0.35) */
  ambiguousShare: number;
  /** how concentrated an ambiguous blend's non-posed share is on one partner (Dirichlet concentration) */
  blendConcentration: number;
  poseJitter: number;
  lighting: number;
  /** sensor noise sd in grey levels */
  sensorNoise: number;
}

export interface SyntheticImage {
  id: string;
  child: SyntheticChild;
  expression: Expression;
  mouth: Mouth;
  /** latent blend over CAFE_EXPRESSIONS */
  blend: number[];
  /** the agreement the blend was solved for */
  target: number;
}

export interface SyntheticResult {
  images: SyntheticImage[];
  counts: number[][];
  pixels: Uint8Array;
}

/** CAFE-style file stem: `angryopen_F-AA-02`, `disgustwithtongue_F-AA-03`, `surprise_M-EA-15`. */
export function cafeStem(expression: Expression, mouth: Mouth, child: string): string {
  const suffix = mouth === 'closed' || expression === 'surprise' ? '' : expression === 'disgust' ? 'withtongue' : 'open';
  return `${CAFE_WORDS[expression]}${suffix}_${child}`;
}

export async function generateSynthetic(
  opts: SyntheticOptions,
  onImage: (done: number, total: number) => void,
): Promise<SyntheticResult> {
  const root = new Random(`load-cafe/synthetic:${opts.seed}`);
  const streams = {
    children: root.fork('children'),
    poses: root.fork('poses'),
    targets: root.fork('targets'),
    panel: root.fork('panel'),
  };
  const children = makeChildren(opts.children, streams.children);
  const identities: Identity[] = children.map((c) => makeIdentity(c, root.fork(`identity:${c.id}`)));
  const counts = cellCounts(opts.children);
  const slots = assignPoses(counts, opts.children, streams.poses);
  const panel = makePanel(opts.raters, streams.panel);

  // per cell: stratified targets, handed to the cell's images in order
  const curves = CAFE_CELLS.map(fitCurve);
  const shares = ambiguousShares(curves, counts, opts.ambiguousShare);
  const targets = curves.map((curve, i) => drawTargets(curve, counts[i], shares[i], opts.raters, streams.targets.fork(i)));
  const nextTarget = new Array<number>(CAFE_CELLS.length).fill(0);

  const n = slots.length;
  const { size, channels } = opts;
  const frame = size * size * channels;
  const pixels = new Uint8Array(n * frame);
  const canvas = new Canvas(size, size, channels);
  const images: SyntheticImage[] = [];
  const allCounts: number[][] = [];

  for (let i = 0; i < n; i++) {
    const slot = slots[i];
    const child = children[slot.child];
    const { expression, mouth } = slot.cell;
    const posed = CAFE_EXPRESSIONS.indexOf(expression);
    const id = cafeStem(expression, mouth, child.id);
    const rng = root.fork(`image:${id}`);
    const target = targets[slot.cellIndex][nextTarget[slot.cellIndex]++];

    const partners = rng.dirichlet(partnerVector(expression, mouth).map((w) => w * opts.blendConcentration));
    const blend = blendForTarget(panel, posed, partners, target);
    allCounts.push(rate(panel, blend, rng));

    const photo = makePhoto(identities[slot.child], opts.poseJitter, opts.lighting, rng);
    drawFace(canvas, identities[slot.child], blendActions(blend, mouth), photo);
    canvas.develop(pixels, i * frame, photo.brightness, photo.gx, photo.gy, opts.sensorNoise, rng.nextUint32());

    images.push({ id, child, expression, mouth, blend: Array.from(blend, (w) => Math.round(w * 1e4) / 1e4), target: Math.round(target * 1e4) / 1e4 });
    if ((i & 31) === 31 || i === n - 1) {
      onImage(i + 1, n);
      await yieldToLoop();
    }
  }
  return { images, counts: allCounts, pixels };
}

