// Vega-Lite specs for the compare report. Pure: data in, spec out; rendering to
// SVG happens in run.ts via nodes/lib/vega-svg.ts. Jitter comes from a seeded
// Random so the same inputs draw the same SVG (reports stay byte-stable).

import type { Random } from '../../runner/random.js';
import type { VegaLiteSpec } from '../lib/vega-svg.js';
import type { CalibrationBin } from './metrics.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
/** the human distribution is always drawn in grey, models in the category palette */
const HUMAN_COLOR = '#7f7f7f';
const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d'];

function modelColors(models: string[]): { domain: string[]; range: string[] } {
  return { domain: models, range: models.map((_, i) => PALETTE[i % PALETTE.length]) };
}

/** Box (min to max, quartiles, median) with every image as a jittered point, one row per model. */
export function l1Chart(l1: Record<string, ArrayLike<number>>, random: Random): VegaLiteSpec {
  const models = Object.keys(l1);
  const values: { model: string; l1: number; jitter: number }[] = [];
  for (const m of models) for (let i = 0; i < l1[m].length; i++) values.push({ model: m, l1: round(l1[m][i]), jitter: round(random.next()) });
  const step = 70;
  const color = { field: 'model', type: 'nominal', scale: modelColors(models), legend: null };
  return {
    $schema: SCHEMA,
    title: { text: 'L1 distance to the human distribution, per test image', subtitle: '0 = identical, 2 = disjoint; box: quartiles and median, whiskers: min-max' },
    data: { values },
    width: 460,
    height: { step },
    encoding: {
      y: { field: 'model', type: 'nominal', title: null, sort: models },
      x: { field: 'l1', type: 'quantitative', title: 'L1', scale: { domain: [0, 2] } },
    },
    layer: [
      { mark: { type: 'boxplot', extent: 'min-max', opacity: 0.35, size: step * 0.6, median: { color: 'black' } }, encoding: { color } },
      {
        mark: { type: 'point', filled: true, size: 16, opacity: 0.55 },
        encoding: { color, yOffset: { field: 'jitter', type: 'quantitative', scale: { domain: [0, 1], range: [step * 0.22, step * 0.78] } } },
      },
    ],
  };
}

/** One heatmap per model: rows the human plurality label, columns the model's answer; colour = row share. */
export function confusionChart(confusion: Record<string, number[][]>, classes: readonly string[]): VegaLiteSpec {
  const values: { model: string; human: string; predicted: string; count: number; share: number }[] = [];
  for (const [model, m] of Object.entries(confusion)) {
    m.forEach((row, t) => {
      const total = row.reduce((s, x) => s + x, 0);
      row.forEach((count, p) => values.push({ model, human: classes[t], predicted: classes[p], count, share: total ? round(count / total) : 0 }));
    });
  }
  const cell = 34;
  return {
    $schema: SCHEMA,
    title: { text: 'Confusion matrices', subtitle: 'rows: human plurality label; columns: model top-1; colour: share of the row' },
    data: { values },
    facet: { column: { field: 'model', type: 'nominal', title: null, sort: Object.keys(confusion), header: { labelFontSize: 13, labelFontWeight: 'bold' } } },
    spec: {
      width: cell * classes.length,
      height: cell * classes.length,
      encoding: {
        y: { field: 'human', type: 'nominal', sort: [...classes], title: 'human' },
        x: { field: 'predicted', type: 'nominal', sort: [...classes], title: 'model', axis: { labelAngle: -40 } },
      },
      layer: [
        { mark: { type: 'rect', stroke: 'white' }, encoding: { color: { field: 'share', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] }, title: 'row share' } } },
        {
          mark: { type: 'text', fontSize: 11 },
          encoding: {
            text: { field: 'count', type: 'quantitative' },
            color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' },
          },
        },
      ],
    },
    resolve: { scale: { color: 'shared' } },
  };
}

/** Reliability diagram: accuracy against mean confidence per bin, the diagonal being perfect calibration. */
export function calibrationChart(bins: Record<string, CalibrationBin[]>): VegaLiteSpec {
  const models = Object.keys(bins);
  const values = models.flatMap((model) => bins[model].filter((b) => b.n > 0).map((b) => ({ model, confidence: round(b.confidence), accuracy: round(b.accuracy), n: b.n })));
  return {
    $schema: SCHEMA,
    title: { text: 'Calibration (15 confidence bins)', subtitle: 'top-1 accuracy against the human plurality label vs mean confidence; dashed: perfect' },
    width: 300,
    height: 300,
    layer: [
      {
        data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
        mark: { type: 'line', strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'x', type: 'quantitative', title: 'confidence', scale: { domain: [0, 1] } }, y: { field: 'y', type: 'quantitative', title: 'accuracy', scale: { domain: [0, 1] } } },
      },
      {
        data: { values },
        encoding: {
          x: { field: 'confidence', type: 'quantitative' },
          y: { field: 'accuracy', type: 'quantitative' },
          color: { field: 'model', type: 'nominal', scale: modelColors(models), title: 'model' },
        },
        layer: [
          { mark: { type: 'line', strokeWidth: 1.5 } },
          { mark: { type: 'point', filled: true, opacity: 0.85 }, encoding: { size: { field: 'n', type: 'quantitative', title: 'images', scale: { range: [20, 260] } } } },
        ],
      },
    ],
  };
}

/** One gallery image: the human distribution beside each model's output, as grouped bars. */
export function galleryChart(opts: { title: string; subtitle: string; classes: readonly string[]; human: number[]; models: Record<string, number[]> }): VegaLiteSpec {
  const series = ['human', ...Object.keys(opts.models)];
  const values: { source: string; cls: string; p: number }[] = [];
  opts.classes.forEach((cls, k) => {
    values.push({ source: 'human', cls, p: round(opts.human[k]) });
    for (const [m, probs] of Object.entries(opts.models)) values.push({ source: m, cls, p: round(probs[k]) });
  });
  const models = Object.keys(opts.models);
  return {
    $schema: SCHEMA,
    title: { text: opts.title, subtitle: opts.subtitle, fontSize: 12, subtitleFontSize: 10 },
    data: { values },
    width: 220,
    height: { step: 8 },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'cls', type: 'nominal', sort: [...opts.classes], title: null },
      yOffset: { field: 'source', type: 'nominal', sort: series },
      x: { field: 'p', type: 'quantitative', title: 'probability', scale: { domain: [0, 1] } },
      color: { field: 'source', type: 'nominal', title: null, scale: { domain: series, range: [HUMAN_COLOR, ...modelColors(models).range] }, legend: { orient: 'bottom' } },
    },
  };
}

/** Six decimals are plenty for drawing and keep the SVG and spec small. */
function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
