// Line charts of a sweep's headline metrics against the swept param, as Vega-Lite
// specs (rendered to SVG by sweep-report.ts). The x axis is the first numeric axis
// (or the first axis); the other axes, if any, make one line per combination of
// their values. A metric pattern with several matches draws one line per match
// when there is no other axis to spend the colour on. Pure: data in, specs out.

import type { VegaLiteSpec } from '../../nodes/lib/vega-svg.js';
import type { MetricGroup, MetricRef } from './sweep-metrics.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

export interface ChartVariant {
  id: string;
  params: Record<string, unknown>;
  metrics: Record<string, number | null>;
}

export interface SweepLayout {
  /** the target on the x axis (the first target of its axis) */
  x: string;
  /** every target of the x axis (a zip group moves together) */
  xTargets: string[];
  xNumeric: boolean;
  /** targets of the other axes: each combination of their values is one line */
  seriesTargets: string[];
}

export interface ChartPlan {
  /** file name stem, unique in the report */
  id: string;
  title: string;
  metrics: MetricRef[];
  spec: VegaLiteSpec;
  /** variants with no value for any of the chart's metrics */
  missing: string[];
}

function distinct(values: unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const v of values) {
    const k = JSON.stringify(v);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

/** The x axis: the first axis whose values are numbers that differ, else the first axis that varies. */
export function sweepLayout(axes: string[][], variants: { params: Record<string, unknown> }[]): SweepLayout {
  const valuesOf = (t: string) => distinct(variants.map((v) => v.params[t]));
  const varying = axes.filter((a) => valuesOf(a[0]).length > 1);
  const pick = varying.find((a) => valuesOf(a[0]).every((x) => typeof x === 'number')) ?? varying[0] ?? axes[0] ?? ['variant'];
  return {
    x: pick[0],
    xTargets: pick,
    xNumeric: valuesOf(pick[0]).every((x) => typeof x === 'number'),
    seriesTargets: axes.filter((a) => a !== pick).flat(),
  };
}

export function formatParam(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
}

function seriesLabel(layout: SweepLayout, params: Record<string, unknown>): string {
  return layout.seriesTargets.map((t) => `${t}=${formatParam(params[t])}`).join(', ');
}

function stem(title: string): string {
  return title.replace(/\*/g, 'all').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+|[._]+$/g, '') || 'metric';
}

/** One chart per group; a multi-match group splits into one chart per match when other axes take the colour. */
export function planCharts(groups: MetricGroup[], variants: ChartVariant[], layout: SweepLayout): ChartPlan[] {
  const charts: ChartPlan[] = [];
  const used = new Set<string>();
  const uniqueId = (title: string): string => {
    const base = stem(title);
    let id = base;
    for (let i = 2; used.has(id); i++) id = `${base}-${i}`;
    used.add(id);
    return id;
  };
  const byAxes = layout.seriesTargets.length > 0;
  for (const g of groups) {
    if (g.metrics.length > 1 && !byAxes) {
      charts.push(chart(uniqueId(g.title), g.title, g.metrics, g.labels, variants, layout, 'metric'));
    } else {
      g.metrics.forEach((m) => charts.push(chart(uniqueId(m.id), m.id, [m], [m.id], variants, layout, byAxes ? 'axes' : 'none')));
    }
  }
  return charts;
}

function chart(id: string, title: string, metrics: MetricRef[], labels: string[], variants: ChartVariant[], layout: SweepLayout, series: 'metric' | 'axes' | 'none'): ChartPlan {
  const xOf = (v: ChartVariant): unknown => (layout.x === 'variant' ? v.id : v.params[layout.x]);
  const xValue = (v: ChartVariant): unknown => (layout.xNumeric ? xOf(v) : formatParam(xOf(v)));
  // a missing value stays in the data as null: the line breaks there instead of bridging it
  const values: { x: unknown; y: number | null; series: string }[] = [];
  const missing: string[] = [];
  for (const v of variants) {
    let any = false;
    metrics.forEach((m, i) => {
      const y = v.metrics[m.id] ?? null;
      if (y !== null) any = true;
      values.push({ x: xValue(v), y, series: series === 'metric' ? labels[i] : series === 'axes' ? seriesLabel(layout, v.params) : '' });
    });
    if (!any) missing.push(v.id);
  }
  const missingX = distinct(variants.filter((v) => missing.includes(v.id)).map(xValue));
  const xTitle = layout.xTargets.join(' / ');
  const seriesOrder = series === 'metric' ? labels : distinct(variants.map((v) => seriesLabel(layout, v.params))).map(String);
  const encoding: Record<string, unknown> = {
    x: layout.xNumeric
      ? { field: 'x', type: 'quantitative', title: xTitle, scale: { zero: false, nice: false }, axis: { values: distinct(variants.map(xOf)), format: '.6~r', labelOverlap: 'greedy' } }
      : { field: 'x', type: 'ordinal', title: xTitle, sort: distinct(variants.map((v) => formatParam(xOf(v)))), axis: { labelAngle: -30 } },
    // the node is in the chart's title; the axis names the figure
    y: {
      field: 'y',
      type: 'quantitative',
      title: title.split('.').slice(1).join('.') || title,
      scale: { zero: false },
      // counts: no ticks between whole numbers
      ...(values.every((p) => p.y === null || Number.isInteger(p.y)) ? { axis: { tickMinStep: 1, format: 'd' } } : {}),
    },
  };
  if (series !== 'none') {
    encoding.color = {
      field: 'series',
      type: 'nominal',
      title: series === 'metric' ? null : layout.seriesTargets.join(', '),
      sort: seriesOrder,
      scale: { scheme: seriesOrder.length > 10 ? 'tableau20' : 'tableau10' },
      legend: { orient: 'right', labelLimit: 260 },
    };
  }
  const spec: VegaLiteSpec = {
    $schema: SCHEMA,
    title: { text: title, subtitle: missing.length ? `dashed red: no value (${missing.length} variant${missing.length === 1 ? '' : 's'} failed or not run)` : undefined, anchor: 'start' },
    width: 380,
    height: 220,
    data: { values },
    encoding,
    layer: [
      { mark: { type: 'line', point: { filled: true, size: 45 }, strokeWidth: 2, invalid: 'break-paths-show-domains' } },
      // where a variant has no value (failed, or not run): a dashed red rule
      ...(missingX.length
        ? [{ data: { values: missingX.map((x) => ({ x })) }, mark: { type: 'rule', color: '#c62828', strokeDash: [4, 3], opacity: 0.7 }, encoding: { x: encoding.x, y: null, color: null } }]
        : []),
    ],
    config: { font: 'DejaVu Sans, Arial, sans-serif', view: { stroke: '#ddd' } },
  };
  if (!missing.length) delete (spec.title as Record<string, unknown>).subtitle;
  return { id, title, metrics, spec, missing };
}
