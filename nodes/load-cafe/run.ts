// Runs `load-cafe`: load from the chosen source, draw the child-disjoint split,
// write the dataset artifact, then the report (summary, contact sheet, tables).

import { CAFE_EXPRESSIONS } from '../../artifacts/classes.js';
import { writeDataset, type Dataset } from '../../artifacts/dataset.js';
import type { NodeContext } from '../../runner/node-api.js';
import { Random } from '../../runner/random.js';
import { loadDirectory } from './directory.js';
import type { Loaded } from './loaded.js';
import { loadManifest } from './manifest.js';
import type { LoadCafeParams } from './params.js';
import { writeReport } from './report.js';
import { assignSplit } from './split.js';
import { loadSynthetic } from './synthetic-source.js';

export async function runLoadCafe(ctx: NodeContext<LoadCafeParams>): Promise<void> {
  const p = ctx.params;
  const loaded: Loaded =
    p.source === 'synthetic' ? await loadSynthetic(ctx) : p.source === 'directory' ? await loadDirectory(ctx) : await loadManifest(ctx);
  const split = assignSplit(loaded.images, p.test_fraction, new Random(`load-cafe/split:${p.seed}`));
  const ds: Dataset = {
    source: loaded.source,
    synthetic: loaded.synthetic,
    height: p.size,
    width: p.size,
    channels: p.channels,
    classes: [...CAFE_EXPRESSIONS],
    raters: p.raters,
    images: loaded.images.map((im, i) => ({ ...im, split: split[i] })),
    counts: loaded.counts,
    pixels: loaded.pixels,
    ...(loaded.extra ? { extra: loaded.extra } : {}),
  };
  await writeDataset(ctx.outputs.dataset, ds);
  if (loaded.skipped.length) ctx.log.warn(`skipped ${loaded.skipped.length} item(s); see skipped in the report`);
  await writeReport(ctx, ds, loaded);
}
