// A tiny dataset whose classes are plainly visible (each expression draws a bright
// bar at its own place and angle on a noisy background), for tests and benchmarks
// that need a network to learn something in seconds. Labelled synthetic; never a
// stand-in for the CAFE-shaped set of load-cafe.

import { CAFE_EXPRESSIONS } from '../../artifacts/classes.js';
import type { Dataset, ImageMeta } from '../../artifacts/dataset.js';
import { Random } from '../../runner/random.js';

export interface ToyOptions {
  perClass?: number;
  size?: number;
  channels?: 1 | 3;
  seed?: number;
  /** share of images in the test split */
  testShare?: number;
  /** raters per image; a share `ambiguity` of them pick a neighbouring expression */
  raters?: number;
  ambiguity?: number;
}

export function toyDataset(opts: ToyOptions = {}): Dataset {
  const perClass = opts.perClass ?? 24;
  const size = opts.size ?? 16;
  const channels = opts.channels ?? 1;
  const raters = opts.raters ?? 20;
  const ambiguity = opts.ambiguity ?? 0.2;
  const rng = new Random(`toy:${opts.seed ?? 1}`);
  const images: ImageMeta[] = [];
  const counts: number[][] = [];
  const n = perClass * CAFE_EXPRESSIONS.length;
  const pixels = new Uint8Array(n * size * size * channels);
  let k = 0;
  for (let rep = 0; rep < perClass; rep++) {
    CAFE_EXPRESSIONS.forEach((expr, e) => {
      const child = `T-${String(rep).padStart(3, '0')}`;
      const split = rep < Math.round(perClass * (opts.testShare ?? 0.25)) ? 'test' : 'train';
      images.push({ id: `${expr}_${child}`, child, expression: expr, mouth: 'closed', split });
      const c = new Array<number>(CAFE_EXPRESSIONS.length).fill(0);
      for (let r = 0; r < raters; r++) c[rng.bool(ambiguity) ? (e + 1) % CAFE_EXPRESSIONS.length : e]++;
      counts.push(c);
      // a bar: row band for the expression index, vertical for odd ones, jittered a pixel
      const jitter = rng.int(3) - 1;
      const pos = Math.floor(((e % 4) + 0.5) * (size / 4)) + jitter;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const onBar = e < 4 ? Math.abs(y - pos) <= 1 : Math.abs(x - Math.floor(((e - 4) + 1) * (size / 4)) - jitter) <= 1;
          const v = Math.max(0, Math.min(255, (onBar ? 200 : 60) + rng.normal(0, 20)));
          for (let ch = 0; ch < channels; ch++) pixels[((k * size + y) * size + x) * channels + ch] = v;
        }
      }
      k++;
    });
  }
  return {
    source: 'synthetic',
    synthetic: true,
    height: size,
    width: size,
    channels,
    classes: [...CAFE_EXPRESSIONS],
    raters,
    images,
    counts,
    pixels,
    extra: { toy: true },
  };
}
