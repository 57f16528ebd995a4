// The body of the `compare` node (loaded on demand by nodes/compare.ts): read the
// reference and the models, score them, run the tests, draw the charts and the
// gallery, and write metrics.json, the report fragment and the summary.

import { classMerge, type MergeName } from '../../artifacts/classes.js';
import { throwIfAborted, UserInputError, type NodeContext } from '../../runner/node-api.js';
import { Random } from '../../runner/random.js';
import { renderVegaLiteSvg } from '../lib/vega-svg.js';
import { calibrationChart, confusionChart, galleryChart, l1Chart } from './charts.js';
import { evaluate, type CompareMetrics } from './evaluate.js';
import { compareFragment, fmtNum, type GalleryEntry } from './fragment.js';
import { facePng, fileStem, pickGallery, readImagePixels } from './gallery.js';
import { alignImages, readModel, readReference, type Distributions } from './inputs.js';
import { calibrationBins } from './metrics.js';

export interface CompareParams {
  merge: MergeName;
  baseline: string;
  gallery: number;
  seed: number;
}

export async function runCompare(ctx: NodeContext<CompareParams>): Promise<void> {
  const { params } = ctx;
  const merge = classMerge(params.merge);
  const refHandle = ctx.inputs.reference;
  if (!refHandle) throw new UserInputError(`${ctx.name}: connect a reference (a dataset, labels or a CSV of human label distributions)`);
  const names = Object.keys(ctx.inputs).filter((k) => k !== 'reference');
  if (!names.length) throw new UserInputError(`${ctx.name}: connect at least one model besides the reference, e.g. onehot: train_onehot.predictions`);
  if (params.baseline && !names.includes(params.baseline)) {
    throw new UserInputError(`${ctx.name}: baseline "${params.baseline}" is not one of the model inputs (${names.join(', ')})`);
  }

  const reference = await readReference(refHandle, merge);
  const models: Record<string, Distributions> = {};
  for (const name of names) models[name] = await readModel(name, ctx.inputs[name], merge);
  const aligned = alignImages(reference, models);
  const scope = reference.dataset ? `the test split of \`${reference.source}\`` : `\`${reference.source}\``;
  const counts = names.map((n) => `${n} ${models[n].ids.length}`).join(', ');
  ctx.log.info(`comparing ${aligned.ids.length} images: reference ${reference.ids.length}, ${counts}`);
  throwIfAborted(ctx.signal);

  const synthetic = reference.dataset?.meta.synthetic ?? false;
  const { metrics, images } = evaluate({
    ids: aligned.ids,
    human: aligned.human,
    models: aligned.models,
    classes: merge.classes,
    merge: merge.name,
    reference: {
      source: reference.source,
      format: reference.format,
      split: reference.dataset ? 'test' : null,
      images: reference.ids.length,
      ...(reference.dataset ? { synthetic } : {}),
    },
    sources: Object.fromEntries(names.map((n) => [n, { source: models[n].source, format: models[n].format, images: models[n].ids.length }])),
    baseline: params.baseline || undefined,
  });
  await ctx.outputs.metrics.writeJson('metrics.json', metrics);
  await ctx.report.writeJson('metrics.json', metrics);

  const galleryCount = reference.dataset ? Math.min(params.gallery, aligned.ids.length) : 0;
  const total = 3 + galleryCount;
  let done = 0;
  const step = async (label: string, work: () => Promise<void>) => {
    throwIfAborted(ctx.signal);
    await work();
    ctx.progress(++done, total, label);
  };

  const charts: { file: string; alt: string }[] = [];
  const random = new Random(`compare:${params.seed}`);
  await step('L1 chart', async () => {
    await ctx.report.writeFile('l1.svg', await renderVegaLiteSvg(l1Chart(Object.fromEntries(names.map((n) => [n, images[n].l1])), random.fork('jitter'))));
    charts.push({ file: 'l1.svg', alt: 'L1 distance to the human distribution per model' });
  });
  await step('confusion matrices', async () => {
    await ctx.report.writeFile('confusion.svg', await renderVegaLiteSvg(confusionChart(Object.fromEntries(names.map((n) => [n, metrics.models[n].confusion])), merge.classes)));
    charts.push({ file: 'confusion.svg', alt: 'Confusion matrices' });
  });
  await step('calibration', async () => {
    const bins = Object.fromEntries(names.map((n) => [n, calibrationBins(images[n].confidence, images[n].truth.map((t, i) => t === images[n].pred[i]))]));
    await ctx.report.writeFile('calibration.svg', await renderVegaLiteSvg(calibrationChart(bins)));
    charts.push({ file: 'calibration.svg', alt: 'Calibration of each model' });
  });

  const gallery: GalleryEntry[] = [];
  if (reference.dataset && galleryCount > 0) {
    const { meta, handle, indexOf } = reference.dataset;
    const truth = images[names[0]].truth;
    const picked = pickGallery(aligned.ids, truth, galleryCount, random.fork('gallery'));
    const pixels = await readImagePixels(handle, meta, picked.map((i) => indexOf.get(aligned.ids[i])!));
    for (const [g, i] of picked.entries()) {
      const id = aligned.ids[i];
      await step(`gallery ${g + 1}/${picked.length}`, async () => {
        const stem = `gallery/${fileStem(g, id)}`;
        const img = meta.images[indexOf.get(id)!];
        await ctx.report.writeFile(`${stem}.png`, await facePng(pixels.get(indexOf.get(id)!)!, meta, synthetic));
        const l1s = names.map((n) => `${n} ${fmtNum(images[n].l1[i], 2)}`).join(', ');
        const spec = galleryChart({
          title: `${synthetic ? 'SYNTHETIC · ' : ''}${id}`,
          subtitle: `posed ${img.expression} (${img.mouth}) · L1: ${l1s}`,
          classes: merge.classes,
          human: aligned.human[i],
          models: Object.fromEntries(names.map((n) => [n, aligned.models[n][i]])),
        });
        await ctx.report.writeFile(`${stem}.svg`, await renderVegaLiteSvg(spec));
        gallery.push({ id, png: `${stem}.png`, svg: `${stem}.svg` });
      });
    }
  }

  const notes: string[] = [];
  for (const n of names) if (models[n].note) notes.push(`${n}: ${models[n].note}.`);
  if (reference.note) notes.push(`Reference: ${reference.note}.`);
  const referenceNote =
    aligned.ids.length < reference.ids.length
      ? `the images of ${scope} (${reference.ids.length}) that every model scored (${counts})`
      : `every image of ${scope}`;
  await ctx.report.writeFile('report.md', compareFragment({ metrics, referenceNote, notes, charts, gallery, synthetic }));
  await ctx.summary(headline(metrics, synthetic));
}

/** Flat headline figures (`<model>.l1_mean`, `<a>_vs_<b>.p`): what run summaries and sweep tables show. */
export function headline(m: CompareMetrics, synthetic: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { n: m.n };
  if (synthetic) out.synthetic = true;
  for (const [name, r] of Object.entries(m.models)) {
    out[`${name}.l1_mean`] = r.l1.mean;
    out[`${name}.l1_sd`] = r.l1.sd;
    out[`${name}.accuracy`] = r.accuracy;
    out[`${name}.f1_macro`] = r.f1_macro;
  }
  for (const [key, t] of Object.entries(m.tests)) {
    out[`${key}.t`] = t.independent.statistic;
    out[`${key}.p`] = t.independent.p;
    out[`${key}.paired_t`] = t.paired.statistic;
    out[`${key}.paired_p`] = t.paired.p;
  }
  return out;
}
