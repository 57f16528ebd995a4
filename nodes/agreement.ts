// agreement: the study's table. For each crowd label set, per lab class, the share
// of images whose crowd plurality equals the lab plurality; overall agreement;
// mean L1 and Jensen-Shannon distance between crowd and lab distributions.

import { readLabels, type LabelSet } from '../artifacts/labels.js';
import { UserInputError, defineNode, throwIfAborted } from '../runner/node-api.js';
import { compareLabelSets, type SetAgreement } from './crowd/agreement-metrics.js';
import { fmtNum, fmtPct, markdownTable } from './crowd/report-util.js';

export type AgreementParams = Record<string, never>;

export default defineNode<AgreementParams>({
  type: 'agreement',
  version: 1,
  description: 'Crowd vs lab agreement per class (crowd plurality = lab plurality), overall, and mean L1 / Jensen-Shannon distance, for each connected crowd label set.',
  inputs: {
    reference: { kinds: ['labels'], description: 'the lab labels (aggregate of the dataset)' },
    '*': { kinds: ['labels'], description: 'crowd label sets to compare, named as you like (e.g. unfiltered, filtered)' },
  },
  outputs: {
    agreement: { kind: 'metrics', description: 'agreement.json: per crowd set, per-class and overall agreement, mean L1 and JS distance' },
  },
  params: { type: 'object', properties: {} },
  async run(ctx) {
    const refInput = ctx.inputs.reference;
    const names = Object.keys(ctx.inputs).filter((k) => k !== 'reference');
    if (!refInput) throw new UserInputError(`${ctx.name}: connect the lab labels as \`reference\``);
    if (names.length === 0) throw new UserInputError(`${ctx.name}: connect at least one crowd label set besides \`reference\` (e.g. unfiltered, filtered)`);
    const reference = await readLabels(refInput);
    if (reference.origin !== 'lab') ctx.log.warn(`the reference ${refInput.source} holds ${reference.origin} labels, not the lab's`);
    const sets: SetAgreement[] = [];
    for (const name of names) {
      throwIfAborted(ctx.signal);
      const crowd: LabelSet = await readLabels(ctx.inputs[name]);
      if (crowd.classes.join('|') !== reference.classes.join('|')) {
        throw new UserInputError(
          `${ctx.inputs[name].source}: classes (${crowd.classes.join(', ')}) differ from the reference's (${reference.classes.join(', ')}); aggregate both with the same merge`,
        );
      }
      const s = compareLabelSets(reference, crowd, name);
      if (s.unmatched) ctx.log.warn(`${name}: ${s.unmatched} images are not in the reference and were left out`);
      if (s.images === 0) throw new UserInputError(`${ctx.inputs[name].source}: no image in common with the reference ${refInput.source}; were both made from the same dataset?`);
      sets.push(s);
    }

    const result = {
      reference: { source: refInput.source, method: reference.method, origin: reference.origin, images: reference.items.length },
      classes: reference.classes,
      measure: 'share of images whose crowd plurality label equals the lab plurality label, grouped by the lab plurality class; mean L1 and Jensen-Shannon distance (base 2) between the distributions',
      sets,
    };
    await ctx.outputs.agreement.writeJson('agreement.json', result);

    const table = agreementTable(reference.classes, sets);
    await ctx.report.writeFile('agreement.md', table + '\n');
    const { renderVegaLiteSvg } = await import('./lib/vega-svg.js');
    await ctx.report.writeFile('agreement.svg', await renderVegaLiteSvg(chartSpec(reference.classes, sets)));
    const note = 'Agreement: share of images whose crowd plurality label equals the lab plurality label, by the lab\'s class. L1 (0-2) and Jensen-Shannon distance (0-1, base 2) compare the crowd and lab distributions per image (lower is closer).';
    await ctx.report.writeFile('report.md', `${note}\n\n${table}\n\n![Agreement with the lab per class](agreement.svg)\n`);
    await ctx.summary({
      reference_images: reference.items.length,
      sets: Object.fromEntries(
        sets.map((s) => [
          s.name,
          {
            overall: s.overall,
            mean_l1: s.meanL1,
            mean_js: s.meanJS,
            images: s.images,
            workers: s.workers,
            per_class: Object.fromEntries(s.perClass.map((c) => [c.class, c.share])),
          },
        ]),
      ),
    });
  },
});

export function agreementTable(classes: readonly string[], sets: SetAgreement[]): string {
  const rows: string[][] = classes.map((c, k) => [c, ...sets.map((s) => cell(s.perClass[k].agree, s.perClass[k].images))]);
  rows.push(['**overall**', ...sets.map((s) => `**${cell(s.perClass.reduce((a, c) => a + c.agree, 0), s.images)}**`)]);
  rows.push(['mean L1 (0-2)', ...sets.map((s) => fmtNum(s.meanL1))]);
  rows.push(['mean JS distance (0-1)', ...sets.map((s) => fmtNum(s.meanJS))]);
  rows.push(['images', ...sets.map((s) => String(s.images))]);
  rows.push(['workers', ...sets.map((s) => (s.workers === null ? '-' : String(s.workers)))]);
  return markdownTable(['lab class', ...sets.map((s) => `${s.name} (${s.method})`)], rows);
}

function cell(agree: number, images: number): string {
  return images ? `${fmtPct(agree / images)} (${agree}/${images})` : '-';
}

function chartSpec(classes: readonly string[], sets: SetAgreement[]): Record<string, unknown> {
  const values: { class: string; set: string; agreement: number; images: number }[] = [];
  for (const s of sets) {
    for (const c of s.perClass) if (c.share !== null) values.push({ class: c.class, set: s.name, agreement: c.share, images: c.images });
    if (s.overall !== null) values.push({ class: 'overall', set: s.name, agreement: s.overall, images: s.images });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Crowd plurality = lab plurality, by lab class',
    width: { step: 22 * Math.max(1, sets.length) },
    height: 220,
    data: { values },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'class', type: 'nominal', sort: [...classes, 'overall'], title: 'lab class', axis: { labelAngle: -30 } },
      xOffset: { field: 'set', type: 'nominal', sort: sets.map((s) => s.name) },
      y: { field: 'agreement', type: 'quantitative', title: 'agreement', scale: { domain: [0, 1] }, axis: { format: '%' } },
      color: { field: 'set', type: 'nominal', title: 'crowd', sort: sets.map((s) => s.name) },
    },
  };
}
