// Sweep expansion: `sweep:` axes (grid by default, `zip:` for paired lists,
// `{from, to, step}` ranges) and `--sweep` flags become a list of variants, each
// a set of assignments with a readable, stable id such as
// `filtered.min_accuracy=0.8,params.seed=2`.

import type { SpecPath } from '../spec/load.js';

/** Where an assignment came from, to locate problems with it. */
export type Origin = { spec: SpecPath } | { flag: string };

export interface Assignment {
  /** `params.name` or `node.param` (the param may be dotted: `crowd.mix.spammer`) */
  target: string;
  value: unknown;
  origin: Origin;
}

export interface Variant {
  id: string;
  assignments: Assignment[];
}

export interface Axis {
  /** one key for a grid axis; several for a zip group */
  targets: string[];
  /** each point assigns one value per target */
  points: unknown[][];
  origin: Origin[];
}

export interface SweepProblem {
  origin: Origin;
  message: string;
}

const MAX_VARIANTS = 10_000;

function rangeValues(r: { from: number; to: number; step?: number }): number[] | string {
  const step = r.step ?? 1;
  if (!(step > 0)) return 'range step must be > 0';
  if (r.to < r.from) return 'range "to" must be >= "from"';
  const n = Math.floor((r.to - r.from) / step + 1e-9) + 1;
  if (n > MAX_VARIANTS) return `range has ${n} values; the limit is ${MAX_VARIANTS}`;
  // round to the step's decimals so 0.1 steps give 0.7, not 0.7000000000000001
  const decimals = Math.max(decimalsOf(r.from), decimalsOf(step));
  return Array.from({ length: n }, (_, i) => Number((r.from + i * step).toFixed(decimals)));
}

function decimalsOf(x: number): number {
  const s = String(x);
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.length - i - 1;
}

function isRange(v: unknown): v is { from: number; to: number; step?: number } {
  return !!v && typeof v === 'object' && !Array.isArray(v) && 'from' in v && 'to' in v;
}

/** Values of one axis entry: a list, a range, or a single scalar. */
function axisValues(v: unknown, origin: Origin, problems: SweepProblem[]): unknown[] | undefined {
  if (Array.isArray(v)) {
    if (v.length === 0) {
      problems.push({ origin, message: 'sweep axis has no values' });
      return undefined;
    }
    return v;
  }
  if (isRange(v)) {
    const keys = Object.keys(v).filter((k) => !['from', 'to', 'step'].includes(k));
    if (keys.length || typeof v.from !== 'number' || typeof v.to !== 'number' || (v.step !== undefined && typeof v.step !== 'number')) {
      problems.push({ origin, message: 'a sweep range is { from: NUMBER, to: NUMBER, step: NUMBER }' });
      return undefined;
    }
    const r = rangeValues(v);
    if (typeof r === 'string') {
      problems.push({ origin, message: r });
      return undefined;
    }
    return r;
  }
  if (v !== null && typeof v === 'object') {
    problems.push({ origin, message: 'a sweep axis is a list of values or a { from, to, step } range' });
    return undefined;
  }
  return [v];
}

/** Axes from the spec's `sweep:` value, in spec order. */
export function specAxes(sweep: unknown, problems: SweepProblem[]): Axis[] {
  const axes: Axis[] = [];
  if (sweep === undefined || sweep === null) return axes;
  if (typeof sweep !== 'object' || Array.isArray(sweep)) {
    problems.push({ origin: { spec: ['sweep'] }, message: 'sweep must be a mapping of node.param (or params.name) to values' });
    return axes;
  }
  for (const [k, v] of Object.entries(sweep as Record<string, unknown>)) {
    if (k === 'zip') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) {
        problems.push({ origin: { spec: ['sweep', 'zip'] }, message: 'sweep.zip must map node.param to lists of equal length' });
        continue;
      }
      const targets: string[] = [];
      const lists: unknown[][] = [];
      const origins: Origin[] = [];
      for (const [zk, zv] of Object.entries(v as Record<string, unknown>)) {
        const origin: Origin = { spec: ['sweep', 'zip', zk] };
        const vals = axisValues(zv, origin, problems);
        if (!vals) continue;
        targets.push(zk);
        lists.push(vals);
        origins.push(origin);
      }
      if (!targets.length) continue;
      const len = lists[0].length;
      const bad = lists.findIndex((l) => l.length !== len);
      if (bad >= 0) {
        problems.push({ origin: origins[bad], message: `zip lists must have equal length (${targets[0]} has ${len}, ${targets[bad]} has ${lists[bad].length})` });
        continue;
      }
      axes.push({ targets, points: Array.from({ length: len }, (_, i) => lists.map((l) => l[i])), origin: origins });
      continue;
    }
    const origin: Origin = { spec: ['sweep', k] };
    const vals = axisValues(v, origin, problems);
    if (vals) axes.push({ targets: [k], points: vals.map((x) => [x]), origin: [origin] });
  }
  return axes;
}

/** Apply `--sweep target=v1,v2` flags: replace an axis with the same target, or add one. */
export function withFlagAxes(axes: Axis[], flags: { target: string; values: unknown[]; flag: string }[]): Axis[] {
  const out = axes.map((a) => ({ ...a }));
  for (const f of flags) {
    const axis: Axis = { targets: [f.target], points: f.values.map((v) => [v]), origin: [{ flag: f.flag }] };
    const i = out.findIndex((a) => a.targets.includes(f.target));
    if (i < 0) out.push(axis);
    else if (out[i].targets.length === 1) out[i] = axis;
    else {
      // the target was part of a zip group: the flag takes it out of the group
      const j = out[i].targets.indexOf(f.target);
      out[i] = { targets: out[i].targets.filter((_, k) => k !== j), points: out[i].points.map((p) => p.filter((_, k) => k !== j)), origin: out[i].origin.filter((_, k) => k !== j) };
      out.push(axis);
    }
  }
  return out.filter((a) => a.targets.length > 0);
}

export function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return JSON.stringify(v);
}

/** A variant id safe as a folder name: `/` and other path separators are replaced. */
export function variantIdOf(assignments: { target: string; value: unknown }[]): string {
  if (!assignments.length) return 'default';
  return assignments
    .map((a) => `${a.target}=${formatValue(a.value)}`)
    .join(',')
    .replace(/[/\\\0]/g, '_');
}

/** The Cartesian product of the axes (a zip group is one axis). */
export function expandVariants(axes: Axis[], problems: SweepProblem[]): Variant[] {
  let combos: Assignment[][] = [[]];
  for (const axis of axes) {
    const next: Assignment[][] = [];
    for (const c of combos) {
      for (const point of axis.points) {
        next.push([...c, ...axis.targets.map((t, i) => ({ target: t, value: point[i], origin: axis.origin[i] }))]);
      }
    }
    combos = next;
    if (combos.length > MAX_VARIANTS) {
      problems.push({ origin: axis.origin[0], message: `the sweep makes more than ${MAX_VARIANTS} variants` });
      return [];
    }
  }
  const variants = combos.map((assignments) => ({ id: variantIdOf(assignments), assignments }));
  const ids = new Set<string>();
  for (const v of variants) {
    if (ids.has(v.id)) problems.push({ origin: v.assignments[0]?.origin ?? { spec: ['sweep'] }, message: `the sweep repeats the variant ${v.id}` });
    ids.add(v.id);
  }
  return variants;
}
