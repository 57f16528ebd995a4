// `load-cafe`: the face data set every experiment starts from. By default a
// synthetic, CAFE-shaped set rendered here (CAFE itself may not be shipped); with
// `source: directory` a user's own copy of CAFE (images + validity spreadsheet);
// with `source: manifest` any face set with per-image rater distributions.
// The implementation is loaded only when the node runs (it pulls in sharp).

import path from 'node:path';
import { CAFE_EXPRESSIONS } from '../artifacts/classes.js';
import { defineNode, type JsonSchema } from '../runner/node-api.js';
import type { LoadCafeParams } from './load-cafe/params.js';

const columnNames: Record<string, string> = {
  file: 'directory/manifest: the image file name or path column',
  subject: 'manifest: the subject (child) id column',
  id: 'optional image id column (default: the file name without folder, prefix and extension)',
  expression: 'optional posed-expression column (default: from the CAFE file name, else the raters\' plurality)',
  mouth: 'optional mouth column (open/closed)',
  sex: 'optional sex column (F/M)',
  age: 'optional age column (years)',
  ethnicity: 'optional ethnicity code column',
};
for (const e of CAFE_EXPRESSIONS) columnNames[e] = `the column with the raters' ${e} votes (count or proportion)`;

const columnsSchema: JsonSchema = {
  type: 'object',
  description: 'Explicit column mapping for the spreadsheet/manifest, e.g. {file: Stimulus, anger: "% Angry"}; unmapped columns are detected from their headers (case-insensitive, with synonyms).',
  default: {},
  additionalProperties: false,
  properties: Object.fromEntries(Object.entries(columnNames).map(([k, d]) => [k, { type: 'string', description: d }])),
};

const pathParam = (description: string): JsonSchema => ({ type: ['string', 'null'], default: null, description });

export default defineNode<LoadCafeParams>({
  type: 'load-cafe',
  version: 1,
  description:
    'Face images with lab rater counts over the 7 CAFE expressions and a child-disjoint train/test split: a synthetic CAFE-shaped set (default), a CAFE copy, or a manifest.',
  inputs: {},
  outputs: {
    dataset: { kind: 'dataset', description: 'images (N x H x W x C uint8), metadata, lab rater counts, train/test split' },
  },
  params: {
    type: 'object',
    properties: {
      source: {
        enum: ['synthetic', 'directory', 'manifest'],
        default: 'synthetic',
        description: 'synthetic: generated CAFE-shaped faces; directory: your CAFE copy (images + ratings); manifest: a CSV/XLSX listing images, subjects and rater votes',
      },
      seed: { type: 'integer', default: 1, description: 'seed for the synthetic faces and raters and for the train/test split' },
      size: { type: 'integer', minimum: 8, maximum: 1024, default: 48, description: 'image width and height in pixels' },
      channels: { enum: [1, 3], default: 1, description: '1 = grayscale, 3 = RGB' },
      test_fraction: { type: 'number', minimum: 0, maximum: 0.9, default: 0.2, description: 'share of children held out for testing (split by child, stratified by posed expression)' },
      raters: { type: 'integer', minimum: 1, maximum: 100000, default: 100, description: 'lab raters per image: the simulated panel size, or what proportions in a spreadsheet are counts out of' },
      strict: { type: 'boolean', default: true, description: 'directory/manifest: fail on the first bad file or row (true) or skip bad ones and count them in the report (false)' },
      children: { type: 'integer', minimum: 1, maximum: 5000, default: 154, description: "synthetic: number of children; CAFE's composition (154 children, 1192 images) is scaled proportionally" },
      ambiguous_share: {
        type: 'number', minimum: 0, maximum: 1, default: 0.35,
        description: 'synthetic: share of images that are ambiguous blends (expected lab agreement below 0.6); 0.35 is as in CAFE, where calibration holds',
      },
      blend_concentration: { type: 'number', exclusiveMinimum: 0, maximum: 1000, default: 3, description: 'synthetic: low = an ambiguous blend leans on one confusion partner, high = it spreads over all of them as CAFE\'s typical confusions do' },
      pose_jitter: { type: 'number', minimum: 0, maximum: 5, default: 1, description: 'synthetic: head rotation/shift/scale variation (0 = every face frontal and centred)' },
      lighting: { type: 'number', minimum: 0, maximum: 5, default: 1, description: 'synthetic: brightness and light-gradient variation (0 = even light)' },
      sensor_noise: { type: 'number', minimum: 0, maximum: 100, default: 5, description: 'synthetic: sensor noise sd in grey levels (0-255)' },
      images: pathParam('directory: the image folder (searched recursively); manifest: the folder image paths are relative to (default: the manifest\'s folder)'),
      ratings: pathParam('directory: the validity spreadsheet (CSV or XLSX), one row per image with a file-name column and one column per expression'),
      manifest: pathParam('manifest: CSV or XLSX with an image path, a subject id and per-expression counts or proportions per row'),
      columns: columnsSchema,
      fit: { enum: ['cover', 'contain', 'fill'], default: 'cover', description: 'directory/manifest: how images are resized to size x size (cover crops, contain pads with white, fill stretches)' },
    },
  },
  resources: { threads: 1 },
  fileDeps(p) {
    if (p.source === 'directory') return [p.images, p.ratings].filter((x): x is string => !!x);
    if (p.source === 'manifest' && p.manifest) {
      // the images live in `images`, else next to the manifest (not when that is the spec's own folder)
      const base = p.images ?? path.dirname(p.manifest);
      return base === '.' || base === '' ? [p.manifest] : [p.manifest, base];
    }
    return [];
  },
  check(p) {
    const problems: { param: string; message: string }[] = [];
    const need = (name: 'images' | 'ratings' | 'manifest'): void => {
      if (!p[name]) problems.push({ param: name, message: `source: ${p.source} needs param "${name}"` });
    };
    const unused = (name: 'images' | 'ratings' | 'manifest'): void => {
      if (p[name]) problems.push({ param: name, message: `"${name}" is not used with source: ${p.source} (set source: ${name === 'manifest' ? 'manifest' : 'directory'} or remove it)` });
    };
    if (p.source === 'directory') {
      need('images');
      need('ratings');
      unused('manifest');
    } else if (p.source === 'manifest') {
      need('manifest');
      unused('ratings');
    } else {
      unused('images');
      unused('ratings');
      unused('manifest');
    }
    return problems;
  },
  async run(ctx) {
    const { runLoadCafe } = await import('./load-cafe/run.js');
    await runLoadCafe(ctx);
  },
});
