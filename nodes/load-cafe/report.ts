// The node's report: summary.json (headline figures), a contact sheet of sample
// faces with their lab distributions, the class-mean faces, a chart of lab
// agreement per cell against CAFE's published figures, a per-child table, and a
// Markdown fragment tying them together. Synthetic data is marked as such.

import { CAFE_EXPRESSIONS, CAFE_WORDS } from '../../artifacts/classes.js';
import { imagePixels, type Dataset } from '../../artifacts/dataset.js';
import type { NodeContext } from '../../runner/node-api.js';
import { contactSheet, encodePng, type ContactTile, type RawImage } from '../lib/images.js';
import { renderVegaLiteSvg } from '../lib/vega-svg.js';
import { labStats, median, round3, type LabStats } from './lab-stats.js';
import type { Loaded } from './loaded.js';
import type { LoadCafeParams } from './params.js';
import { AMBIGUOUS_BELOW } from './synthetic/accuracy-targets.js';
import { CAFE_CELLS } from './synthetic/cafe-table.js';

const SHEET_PER_EXPRESSION = 4;
const SKIPPED_LISTED = 100;

const CAFE_REFERENCE = new Map(CAFE_CELLS.map((c) => [`${CAFE_WORDS[c.expression]}/${c.mouth}`, c]));

function frame(ds: Dataset, i: number): RawImage {
  return { data: imagePixels(ds, i), width: ds.width, height: ds.height, channels: ds.channels };
}

/** Sample faces: per expression, images spread from the most to the least agreed on. */
function sheetTiles(ds: Dataset, stats: LabStats): ContactTile[] {
  const columns = CAFE_EXPRESSIONS.map((e) => {
    const idx = ds.images.map((im, i) => (im.expression === e ? i : -1)).filter((i) => i >= 0);
    idx.sort((a, b) => stats.accuracy[b] - stats.accuracy[a] || (ds.images[a].id < ds.images[b].id ? -1 : 1));
    const k = Math.min(SHEET_PER_EXPRESSION, idx.length);
    return Array.from({ length: k }, (_, j) => idx[k > 1 ? Math.round((j * (idx.length - 1)) / (k - 1)) : 0]);
  });
  const tiles: ContactTile[] = [];
  const blank: RawImage = { data: new Uint8Array(ds.width * ds.height * ds.channels).fill(255), width: ds.width, height: ds.height, channels: ds.channels };
  for (let row = 0; row < SHEET_PER_EXPRESSION; row++) {
    for (let e = 0; e < CAFE_EXPRESSIONS.length; e++) {
      const i = columns[e][row];
      if (i === undefined) {
        tiles.push({ image: blank, caption: ['', ''], strips: [{ values: [] }] });
        continue;
      }
      const im = ds.images[i];
      const total = ds.counts[i].reduce((a, b) => a + b, 0) || 1;
      tiles.push({
        image: frame(ds, i),
        caption: [`${CAFE_WORDS[im.expression]} ${im.mouth}`, `${im.child} ${Math.round(stats.accuracy[i] * 100)}%`],
        strips: [{ values: ds.counts[i].map((c) => c / total), highlight: e }],
      });
    }
  }
  return tiles;
}

/** The mean image of each posed expression: what a nearest-class-mean classifier sees. */
function meanFaces(ds: Dataset): ContactTile[] {
  const size = ds.width * ds.height * ds.channels;
  return CAFE_EXPRESSIONS.map((e) => {
    const acc = new Float64Array(size);
    let n = 0;
    ds.images.forEach((im, i) => {
      if (im.expression !== e) return;
      const px = imagePixels(ds, i);
      for (let j = 0; j < size; j++) acc[j] += px[j];
      n++;
    });
    const data = new Uint8Array(size);
    for (let j = 0; j < size; j++) data[j] = n ? Math.round(acc[j] / n) : 255;
    return { image: { data, width: ds.width, height: ds.height, channels: ds.channels }, caption: [`${CAFE_WORDS[e]} (${n})`] };
  });
}

function agreementChart(stats: LabStats): Record<string, unknown> {
  const rows = Object.entries(stats.cells).flatMap(([cell, s]) => {
    const ref = CAFE_REFERENCE.get(cell);
    return [
      { cell, what: 'this data set', mean: s.mean },
      ...(ref ? [{ cell, what: 'CAFE (published)', mean: ref.mean }] : []),
    ];
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Share of lab raters choosing the posed expression (mean per cell)',
    data: { values: rows },
    width: 420,
    height: 220,
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'cell', type: 'nominal', sort: null, title: null, axis: { labelAngle: -40 } },
      xOffset: { field: 'what' },
      y: { field: 'mean', type: 'quantitative', scale: { domain: [0, 1] }, title: 'mean agreement' },
      color: { field: 'what', type: 'nominal', title: null, scale: { range: ['#4e79a7', '#bab0ac'] } },
    },
  };
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;

function table(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export async function writeReport(ctx: NodeContext<LoadCafeParams>, ds: Dataset, loaded: Loaded): Promise<void> {
  const p = ctx.params;
  const stats = labStats(ds);
  const children = new Map<string, { sex?: string; ethnicity?: string; age?: number; split: string; perExpr: number[] }>();
  ds.images.forEach((im) => {
    if (!children.has(im.child)) children.set(im.child, { sex: im.sex, ethnicity: im.ethnicity, age: im.age, split: im.split, perExpr: new Array(7).fill(0) });
    children.get(im.child)!.perExpr[CAFE_EXPRESSIONS.indexOf(im.expression)]++;
  });
  const perExpression = Object.fromEntries(CAFE_EXPRESSIONS.map((e) => [e, ds.images.filter((im) => im.expression === e).length]));
  const test = ds.images.filter((im) => im.split === 'test');
  const testChildren = new Set(test.map((im) => im.child));
  const skippedByReason: Record<string, number> = {};
  for (const s of loaded.skipped) skippedByReason[s.reason] = (skippedByReason[s.reason] ?? 0) + 1;

  // clear poses vs blends (synthetic only: the latent blend is known)
  let latentSummary: Record<string, unknown> | undefined;
  if (loaded.latent) {
    const clear: number[] = [];
    const blended: number[] = [];
    ds.images.forEach((im, i) => {
      const w = loaded.latent!.blends[i][CAFE_EXPRESSIONS.indexOf(im.expression)];
      (w >= 0.85 ? clear : w < 0.6 ? blended : []).push(stats.accuracy[i]);
    });
    const ambiguous = loaded.latent.targets.filter((t) => t < AMBIGUOUS_BELOW).length / Math.max(1, ds.images.length);
    latentSummary = {
      ambiguous_share: round3(ambiguous),
      clear_poses: { n: clear.length, mean_agreement: round3(clear.reduce((a, b) => a + b, 0) / Math.max(1, clear.length)) },
      blends: { n: blended.length, mean_agreement: round3(blended.reduce((a, b) => a + b, 0) / Math.max(1, blended.length)) },
    };
  }

  await ctx.summary({
    synthetic: ds.synthetic,
    source: ds.source,
    images: ds.images.length,
    children: children.size,
    per_expression: perExpression,
    skipped: loaded.skipped.length,
    skipped_by_reason: skippedByReason,
    lab_accuracy: Object.fromEntries(Object.entries(stats.cells).map(([k, s]) => [k, { n: s.n, mean: s.mean, median: s.median }])),
    lab_mean_accuracy: round3(stats.meanAccuracy),
    lab_share_at_least_0_6: round3(stats.shareAtLeast60),
    lab_plurality_is_posed: round3(stats.pluralityAgrees),
    lab_mean_entropy_bits: round3(stats.meanEntropy),
    split: { train_images: ds.images.length - test.length, test_images: test.length, train_children: children.size - testChildren.size, test_children: testChildren.size },
    size: ds.width,
    channels: ds.channels,
    raters: ds.raters,
    ...(latentSummary ? { latent: latentSummary } : {}),
    ...(ds.synthetic ? { seed: p.seed } : {}),
  });

  const banner = ds.synthetic ? 'SYNTHETIC (generated, not CAFE)' : ds.source === 'directory' ? 'CAFE' : 'manifest data set';
  const sheet = contactSheet(sheetTiles(ds, stats), { columns: CAFE_EXPRESSIONS.length, title: `${banner}: ${CAFE_EXPRESSIONS.length} expressions, most to least agreed on; bars: lab raters' choices`, classes: CAFE_EXPRESSIONS.map((e) => CAFE_WORDS[e]) });
  await ctx.report.writeFile('contact-sheet.png', await encodePng(sheet));
  await ctx.report.writeFile('mean-faces.png', await encodePng(contactSheet(meanFaces(ds), { columns: 7, title: `${banner}: mean image per posed expression` })));
  await ctx.report.writeFile('agreement.svg', await renderVegaLiteSvg(agreementChart(stats)));

  const childRows = [...children.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const csv = [
    ['child', 'sex', 'ethnicity', 'age', 'split', 'images', ...CAFE_EXPRESSIONS].join(','),
    ...childRows.map(([id, c]) => [id, c.sex ?? '', c.ethnicity ?? '', c.age ?? '', c.split, c.perExpr.reduce((a, b) => a + b, 0), ...c.perExpr].join(',')),
  ].join('\n');
  await ctx.report.writeFile('children.csv', csv + '\n');

  // ---- report.md ----
  const md: string[] = [];
  if (ds.synthetic) {
    md.push(`> **SYNTHETIC DATA.** These faces and lab ratings were generated by softlab (seed ${p.seed}) to have CAFE's shape and validity figures. They are not CAFE and no result on them is a result about children's faces.`, '');
  }
  const girls = childRows.filter(([, c]) => c.sex === 'F').length;
  const boys = childRows.filter(([, c]) => c.sex === 'M').length;
  md.push(
    `${ds.images.length} images of ${children.size} children${girls + boys ? ` (${girls} girls, ${boys} boys)` : ''}, ${ds.width}x${ds.height} ${ds.channels === 1 ? 'grayscale' : 'RGB'}, ${ds.raters} lab raters per image. ` +
      `Train: ${ds.images.length - test.length} images of ${children.size - testChildren.size} children; test: ${test.length} images of ${testChildren.size} children (split by child, stratified by posed expression, seed ${p.seed}).`,
    '',
    '![Sample faces with the lab raters\' choices](contact-sheet.png)',
    '',
    '### Lab raters\' agreement with the posed expression',
    '',
  );
  md.push(
    table(
      ['cell', 'images', 'mean', 'median', 'sd', 'CAFE images', 'CAFE mean', 'CAFE median'],
      Object.entries(stats.cells).map(([k, s]) => {
        const ref = CAFE_REFERENCE.get(k);
        return [k, s.n, s.mean.toFixed(3), s.median.toFixed(3), s.sd.toFixed(3), ref?.images ?? '', ref?.mean.toFixed(3) ?? '', ref?.median.toFixed(3) ?? ''];
      }),
    ),
    '',
    `Overall: mean agreement ${stats.meanAccuracy.toFixed(3)} (CAFE 0.663); ${pct(stats.shareAtLeast60)} of images reach 0.60 (CAFE 66%); ` +
      `the raters' plurality is the posed expression for ${pct(stats.pluralityAgrees)} of images; mean entropy of the raters' choices ${stats.meanEntropy.toFixed(2)} bits (0 = unanimous, 2.81 = uniform).`,
    '',
    '![Agreement per cell](agreement.svg)',
    '',
    '### Posed expression (rows) vs the raters\' plurality (columns)',
    '',
    table(['posed', ...CAFE_EXPRESSIONS], CAFE_EXPRESSIONS.map((e, i) => [e, ...stats.confusion[i]])),
    '',
    '### Images per expression',
    '',
    table(
      ['expression', 'closed', 'open', 'total', 'train', 'test'],
      CAFE_EXPRESSIONS.map((e) => {
        const of = ds.images.filter((im) => im.expression === e);
        return [e, of.filter((im) => im.mouth === 'closed').length, of.filter((im) => im.mouth === 'open').length, of.length, of.filter((im) => im.split === 'train').length, of.filter((im) => im.split === 'test').length];
      }),
    ),
    '',
    '![Mean image per posed expression](mean-faces.png)',
    '',
    '### Children',
    '',
  );
  const perChild = childRows.map(([, c]) => c.perExpr.reduce((a, b) => a + b, 0));
  const ages = childRows.map(([, c]) => c.age).filter((a): a is number => a !== undefined);
  const eth = new Map<string, number>();
  for (const [, c] of childRows) eth.set(c.ethnicity ?? 'unknown', (eth.get(c.ethnicity ?? 'unknown') ?? 0) + 1);
  md.push(
    `Images per child: min ${Math.min(...perChild)}, median ${median(perChild)}, max ${Math.max(...perChild)}. ` +
      (ages.length ? `Ages ${Math.min(...ages)}-${Math.max(...ages)} (mean ${(ages.reduce((a, b) => a + b, 0) / ages.length).toFixed(1)}). ` : '') +
      `Ethnicity: ${[...eth.entries()].sort().map(([k, v]) => `${k} ${v}`).join(', ')}. Every child with sex, ethnicity, age, split and images per expression: [children.csv](children.csv).`,
    '',
  );
  if (loaded.skipped.length || Object.keys(loaded.facts).length) {
    md.push('### Input checks', '');
    for (const [k, v] of Object.entries(loaded.facts)) md.push(`- ${k}: ${v}`);
    if (loaded.skipped.length) {
      md.push(`- **skipped ${loaded.skipped.length}** (strict: false): ${Object.entries(skippedByReason).map(([r, n]) => `${r} ${n}`).join(', ')}`, '');
      for (const s of loaded.skipped.slice(0, SKIPPED_LISTED)) md.push(`  - \`${s.where}\`: ${s.message}`);
      if (loaded.skipped.length > SKIPPED_LISTED) md.push(`  - ... and ${loaded.skipped.length - SKIPPED_LISTED} more`);
    }
    md.push('');
  }
  if (ds.synthetic && latentSummary) {
    const l = latentSummary as { ambiguous_share: number; clear_poses: { n: number; mean_agreement: number }; blends: { n: number; mean_agreement: number } };
    md.push(
      '### How the synthetic set is made',
      '',
      `Each image has a latent blend over the 7 expressions: the posed one plus a share spread over its usual confusion partners (anger/disgust, fear/surprise, sad/neutral, open mouths towards surprise). ` +
        `The blend is solved so the simulated panel's expected agreement matches a draw from CAFE's distribution for that expression and mouth; ${pct(l.ambiguous_share)} of images are ambiguous blends (expected agreement below 0.6; param ambiguous_share). ` +
        `The blend sets the facial actions the renderer draws (brows, eyes, nose wrinkle, mouth curve, opening, teeth, tongue), so the ambiguity is in the pixels. ` +
        `${ds.raters} simulated raters, each with their own decisiveness, label leanings and lapse rate, answer once per image. ` +
        `Clear poses (blend weight on the posed expression at least 0.85, n = ${l.clear_poses.n}) get mean agreement ${l.clear_poses.mean_agreement}; blends (below 0.6, n = ${l.blends.n}) ${l.blends.mean_agreement}.`,
      '',
    );
  }
  await ctx.report.writeFile('report.md', md.join('\n') + '\n');
}
