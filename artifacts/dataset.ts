// The `dataset` artifact: images as one uint8 tensor (N x H x W x C), per-image
// metadata, the lab raters' counts over CAFE's 7 expressions, and the
// subject-disjoint train/test split. Written by `load-cafe`, read by everything
// downstream. Files: `meta.json` (all but pixels) and `pixels.u8` (raw bytes).

import type { InputHandle, OutputWriter } from '../runner/node-api.js';
import type { Expression } from './classes.js';

export type Split = 'train' | 'test';

export interface ImageMeta {
  /** CAFE file name without prefix and extension, e.g. `angry_F-AA-01`; how other files refer to it */
  id: string;
  /** child (subject) id, e.g. `F-AA-01` */
  child: string;
  /** the posed expression */
  expression: Expression;
  mouth: 'open' | 'closed';
  sex?: 'F' | 'M';
  /** CAFE ethnicity code: AA, AS, EA, LA, SA, PI */
  ethnicity?: string;
  /** age in years, where known */
  age?: number;
  split: Split;
  /** the source file, relative to the images folder (real data only) */
  file?: string;
}

export interface Dataset {
  /** where it came from: `synthetic`, `directory` (a CAFE copy) or `manifest` */
  source: 'synthetic' | 'directory' | 'manifest';
  /** true for generated data; every report says so */
  synthetic: boolean;
  height: number;
  width: number;
  channels: 1 | 3;
  /** always the 7 CAFE expressions, in CAFE_EXPRESSIONS order */
  classes: readonly string[];
  /** raters per image (100 for CAFE) */
  raters: number;
  images: ImageMeta[];
  /** counts[i][k]: lab raters who chose class k for image i */
  counts: number[][];
  /** N*H*W*C bytes, row-major, image after image */
  pixels: Uint8Array;
  /** generator facts worth keeping (synthetic: latent blends, params) */
  extra?: Record<string, unknown>;
}

export type DatasetMeta = Omit<Dataset, 'pixels'>;

export async function writeDataset(out: OutputWriter, ds: Dataset): Promise<void> {
  const { pixels, ...meta } = ds;
  const expected = ds.images.length * ds.height * ds.width * ds.channels;
  if (pixels.length !== expected) {
    throw new Error(`dataset pixels hold ${pixels.length} bytes, expected ${expected}`);
  }
  await out.writeJson('meta.json', meta);
  await out.writeFile('pixels.u8', pixels);
}

export async function readDatasetMeta(input: InputHandle): Promise<DatasetMeta> {
  return input.readJson<DatasetMeta>('meta.json');
}

export async function readDataset(input: InputHandle): Promise<Dataset> {
  const meta = await readDatasetMeta(input);
  const buf = await input.readFile('pixels.u8');
  const pixels = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return { ...meta, pixels };
}

/** The pixels of image `i` (a view, no copy). */
export function imagePixels(ds: Pick<Dataset, 'height' | 'width' | 'channels' | 'pixels'>, i: number): Uint8Array {
  const size = ds.height * ds.width * ds.channels;
  return ds.pixels.subarray(i * size, (i + 1) * size);
}
