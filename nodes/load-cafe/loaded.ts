// What each source hands back before the split is drawn and the artifact written.

import type { Dataset, ImageMeta } from '../../artifacts/dataset.js';
import type { Skip } from './problems.js';

export interface Loaded {
  source: Dataset['source'];
  synthetic: boolean;
  images: Omit<ImageMeta, 'split'>[];
  /** lab counts per image over CAFE_EXPRESSIONS */
  counts: number[][];
  pixels: Uint8Array;
  skipped: Skip[];
  /** facts for the report: detected scale, ignored files, rescaled rows... */
  facts: Record<string, string | number>;
  extra?: Record<string, unknown>;
  /** for synthetic data: each image's latent blend and target agreement */
  latent?: { blends: number[][]; targets: number[] };
}
