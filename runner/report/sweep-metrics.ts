// Which figures a sweep report shows. Each node's summary is flattened to dotted
// paths (`agreement.sets.filtered.overall`); the headline metrics are either the
// spec's `report.metrics` (patterns where `*` matches one name) or, by default,
// the numeric figures of the variant-specific nodes that actually differ between
// variants, minus timings and throughput. Pure functions: data in, data out.

/** One figure of one node, identified as `node.path.in.summary`. */
export interface MetricRef {
  id: string;
  node: string;
  /** the path inside the node's summary, dotted */
  path: string;
}

/** A group of metrics drawn in one chart: one metric, or the matches of one pattern. */
export interface MetricGroup {
  /** what the spec asked for (a metric id or a pattern), or the metric id */
  title: string;
  metrics: MetricRef[];
  /** per metric: the part the pattern's `*`s matched (the series label), or the id */
  labels: string[];
  /** the spec named it (true) or it was picked automatically */
  explicit: boolean;
}

export interface MetricSelection {
  groups: MetricGroup[];
  /** every selected metric, in order, once */
  metrics: MetricRef[];
  /** things the reader should know: patterns that matched nothing, metrics left out */
  notes: string[];
}

/** Most metrics shown when they are chosen automatically; the rest are named in a note. */
export const MAX_AUTO_METRICS = 12;

/** Figures that describe how fast something ran, not what it found. */
const NOISE_SEGMENT = /(^|_)(ms|seconds|secs|duration|elapsed|time|timing|per_second|throughput)$|^duration_?ms$|images_per_second|^seed$/i;

/** Numeric leaves of a summary as `dotted.path -> value`; keys that hold dots split like nesting. */
export function numericLeaves(value: unknown, prefix = '', out: Map<string, number> = new Map()): Map<string, number> {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && prefix) out.set(prefix, value);
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) numericLeaves(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

export function isNoise(path: string): boolean {
  return path.split('.').some((seg) => NOISE_SEGMENT.test(seg));
}

/** What the selection works from: per variant, per node name, the node's summary (if it has one). */
export interface VariantSummaries {
  id: string;
  /** the swept values: target -> value */
  params: Record<string, unknown>;
  /** node name -> key */
  keys: Map<string, string>;
  /** node name -> summary leaves */
  leaves: Map<string, Map<string, number>>;
}

/** Node names whose key is not the same in every variant, in `nodeNames` order. */
export function variantSpecificNodes(nodeNames: string[], variants: { keys: Map<string, string> }[]): string[] {
  return nodeNames.filter((name) => new Set(variants.map((v) => v.keys.get(name))).size > 1);
}

/** Split a pattern into its node and the path segments after it. */
function splitPattern(pattern: string): { node: string; segs: string[] } {
  const [node, ...segs] = pattern.split('.');
  return { node, segs };
}

function matchSegs(pattern: string[], path: string[]): string[] | undefined {
  if (pattern.length !== path.length) return undefined;
  const wild: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '*') wild.push(path[i]);
    else if (pattern[i] !== path[i]) return undefined;
  }
  return wild;
}

export function selectMetrics(nodeNames: string[], variants: VariantSummaries[], explicit?: string[]): MetricSelection {
  return explicit?.length ? explicitMetrics(variants, explicit) : autoMetrics(nodeNames, variants);
}

/** The spec's list: every entry is shown even if it does not vary; patterns become one group each. */
function explicitMetrics(variants: VariantSummaries[], patterns: string[]): MetricSelection {
  const groups: MetricGroup[] = [];
  const notes: string[] = [];
  const seen = new Map<string, MetricRef>();
  for (const pattern of patterns) {
    const { node, segs } = splitPattern(pattern);
    const found = new Map<string, string>();
    for (const v of variants) {
      for (const path of v.leaves.get(node)?.keys() ?? []) {
        if (found.has(path)) continue;
        const wild = matchSegs(segs, path.split('.'));
        if (wild) found.set(path, wild.length ? wild.join('.') : `${node}.${path}`);
      }
    }
    if (!found.size) {
      const known = new Set<string>();
      for (const v of variants) for (const p of v.leaves.get(node)?.keys() ?? []) known.add(p);
      const hint = known.size ? ` (${node} has: ${[...known].slice(0, 12).join(', ')}${known.size > 12 ? ', ...' : ''})` : ` (no variant has a summary from ${node})`;
      notes.push(`\`${pattern}\` matched no numeric figure${hint}.`);
      continue;
    }
    const metrics = [...found.keys()].map((path) => {
      const id = `${node}.${path}`;
      const ref = seen.get(id) ?? { id, node, path };
      seen.set(id, ref);
      return ref;
    });
    groups.push({ title: pattern, metrics, labels: [...found.values()], explicit: true });
  }
  return { groups, metrics: [...seen.values()], notes };
}

/** A figure named like a swept param (`rule.min_accuracy` for `filter.min_accuracy`): a node repeating its params. */
function isEcho(target: string, path: string): boolean {
  return target.split('.').pop() === path.split('.').pop();
}

/**
 * The default: numeric, not a timing, from a variant-specific node, not the same
 * in every variant, and not an echo of a swept param (a figure with the param's
 * name holding its value in every variant: a node repeating its own params). `nodeNames` is the order of preference: callers put the most
 * downstream nodes (where results usually are) first.
 */
function autoMetrics(nodeNames: string[], variants: VariantSummaries[]): MetricSelection {
  const targets = [...new Set(variants.flatMap((v) => Object.keys(v.params)))];
  const candidates: MetricRef[] = [];
  for (const node of variantSpecificNodes(nodeNames, variants)) {
    const paths: string[] = [];
    for (const v of variants) for (const p of v.leaves.get(node)?.keys() ?? []) if (!paths.includes(p)) paths.push(p);
    for (const path of paths) {
      if (isNoise(path)) continue;
      const values = variants.map((v) => v.leaves.get(node)?.get(path)).filter((x): x is number => x !== undefined);
      // a figure only one variant has cannot be seen to vary; keep it (others may have failed)
      if (values.length > 1 && values.every((x) => x === values[0])) continue;
      if (targets.some((t) => isEcho(t, path) && variants.every((v) => v.leaves.get(node)?.get(path) === v.params[t]))) continue;
      candidates.push({ id: `${node}.${path}`, node, path });
    }
  }
  const metrics = candidates.slice(0, MAX_AUTO_METRICS);
  const notes: string[] = [];
  if (candidates.length > metrics.length) {
    const rest = candidates.slice(MAX_AUTO_METRICS).map((m) => `\`${m.id}\``);
    notes.push(`${rest.length} more figures vary between variants and are not shown: ${rest.join(', ')}. Name the ones to show under \`report: { metrics: [...] }\` in the spec.`);
  }
  return { groups: metrics.map((m) => ({ title: m.id, metrics: [m], labels: [m.id], explicit: false })), metrics, notes };
}
