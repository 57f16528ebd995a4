// From a loaded spec to an executable plan: every check that can be made before
// anything runs (structure, node types, ports, params, files, cycles, sweep axes)
// reported at once with locations, then every variant resolved and every node's
// key computed. Nodes with equal keys (across variants) become one plan node.

import type { ErrorObject } from 'ajv';
import path from 'node:path';
import { digestPath } from '../../cache/hash.js';
import { nodeKey, type KeyParts } from '../../cache/key.js';
import type { TaskInput } from '../execute/task.js';
import type { NodeResources } from '../node-api.js';
import { builtinTypeNames, loadNodeType, type LoadedNodeType } from '../registry.js';
import { flagDiagnostic, sortDiagnostics, type Diagnostic } from '../spec/diagnostics.js';
import { interpolate, type InterpolationProblem } from '../spec/interpolate.js';
import type { SpecPath, SpecSource } from '../spec/load.js';
import { validateParams } from '../spec/params.js';
import { allowedKeysAt, loadPrecompiledValidators, validatorFor } from '../spec/validators.js';
import { durationMs, INPUT_REF_RE, NODE_NAME_RE, specSchema } from '../spec/schema.js';
import { didYouMean } from '../spec/suggest.js';
import { expandVariants, specAxes, withFlagAxes, type Assignment, type Origin, type SweepProblem, type Variant } from './variants.js';

/** A resolved input: an upstream node's port (by key) or a file by content digest; handed to executors as is. */
export type PlanInput = TaskInput;

export interface PlanNode {
  key: string;
  /** the node's name in the spec */
  name: string;
  type: string;
  nodeType: LoadedNodeType;
  params: Record<string, unknown>;
  inputs: Record<string, PlanInput>;
  /** keys of upstream plan nodes */
  deps: string[];
  /** variant ids this execution serves */
  variants: string[];
  resources: Required<Pick<NodeResources, 'threads' | 'exclusive'>> & NodeResources;
  timeoutMs?: number;
  executor: 'local' | 'slurm';
  slurm?: Record<string, unknown>;
  keyParts: KeyParts;
}

export interface PlanVariant {
  id: string;
  /** the swept values: target -> value */
  params: Record<string, unknown>;
  /** node name -> key */
  nodes: Map<string, string>;
  /** pipeline params after overrides */
  pipelineParams: Record<string, unknown>;
}

export interface Plan {
  pipeline: string;
  description?: string;
  specFile: string;
  specDir: string;
  pipelineParams: Record<string, unknown>;
  /** node names in spec order */
  nodeNames: string[];
  variants: PlanVariant[];
  /** unique executions, in a topological order */
  nodes: PlanNode[];
  byKey: Map<string, PlanNode>;
  sweep: boolean;
  /** the sweep's axes in spec order: one target each, several for a zip group */
  sweepAxes: string[][];
  /** the spec's `report:` settings (headline metrics of the sweep report) */
  report?: { metrics?: string[] };
  executor: 'local' | 'slurm';
  slurm?: Record<string, unknown>;
}

export interface PlanOptions {
  /** `--set target=value` */
  sets?: { target: string; value: unknown; flag: string }[];
  /** `--sweep target=v1,v2` */
  sweeps?: { target: string; values: unknown[]; flag: string }[];
  /** `--executor` */
  executor?: 'local' | 'slurm';
}

export type PlanResult = { ok: true; plan: Plan } | { ok: false; diagnostics: Diagnostic[] };

interface RawNode {
  type: string;
  description?: string;
  inputs?: Record<string, string | { file: string }>;
  params?: Record<string, unknown>;
  timeout?: number | string;
  executor?: 'local' | 'slurm';
  slurm?: Record<string, unknown>;
}

interface RawSpec {
  pipeline: string;
  description?: string;
  params?: Record<string, unknown>;
  nodes: Record<string, RawNode>;
  sweep?: unknown;
  report?: { metrics?: string[] };
  executor?: 'local' | 'slurm';
  slurm?: Record<string, unknown>;
}

export async function buildPlan(source: SpecSource, opts: PlanOptions = {}): Promise<PlanResult> {
  const diags: Diagnostic[] = [];
  const fail = (): PlanResult => ({ ok: false, diagnostics: sortDiagnostics(diags) });

  // 1. structure
  const value = source.value;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    diags.push(source.at([], 'a spec is a mapping with "pipeline:" and "nodes:" (found ' + (Array.isArray(value) ? 'a list' : typeof value) + ')'));
    return fail();
  }
  await loadPrecompiledValidators();
  const structureValidator = validatorFor(specSchema);
  if (!structureValidator(value)) {
    for (const e of structureValidator.errors ?? []) {
      const d = structureDiagnostic(source, e);
      if (d) diags.push(d);
    }
    if (diags.length) return fail();
  }
  const spec = value as RawSpec;
  const names = Object.keys(spec.nodes);
  const basePipelineParams = spec.params ?? {};

  // 2. node types
  const types = new Map<string, LoadedNodeType>();
  await Promise.all(
    names.map(async (name) => {
      if (!NODE_NAME_RE.test(name)) {
        diags.push(source.at(['nodes', name], `node name "${name}" must match [a-z][a-z0-9_-]* (lower case, digits, _ and -)`, 'key'));
      }
      const t = spec.nodes[name].type;
      const r = await loadNodeType(t, source.dir);
      if (r.ok) types.set(name, r.nodeType);
      else {
        const hint = r.message.startsWith('unknown node type') ? didYouMean(t, builtinTypeNames()) + ` (known types: ${builtinTypeNames().join(', ')})` : '';
        diags.push(source.at(['nodes', name, 'type'], r.message + hint));
      }
    }),
  );

  // 3. inputs: ports, references, kinds, required ports; the name graph for cycles
  const upstream = new Map<string, { port: string; from: string }[]>();
  for (const name of names) {
    upstream.set(name, []);
    const nt = types.get(name);
    const raw = spec.nodes[name];
    const inputs = raw.inputs ?? {};
    for (const [port, ref] of Object.entries(inputs)) {
      const at: SpecPath = ['nodes', name, 'inputs', port];
      const portSpec = nt ? (nt.def.inputs[port] ?? nt.def.inputs['*']) : undefined;
      if (nt && !portSpec) {
        const known = Object.keys(nt.def.inputs);
        diags.push(source.at(at, `node type "${nt.def.type}" has no input "${port}"${didYouMean(port, known)}${known.length ? ` (inputs: ${known.join(', ')})` : ' (it takes no inputs)'}`, 'key'));
        continue;
      }
      if (typeof ref === 'string') {
        const m = INPUT_REF_RE.exec(ref);
        if (!m) {
          diags.push(source.at(at, `input "${port}" must be "<node>.<output>" or { file: PATH } (got "${ref}")`));
          continue;
        }
        const [, from, outPort] = m;
        if (!spec.nodes[from]) {
          diags.push(source.at(at, `input "${port}" refers to a missing node "${from}"${didYouMean(from, names)}`));
          continue;
        }
        upstream.get(name)!.push({ port, from });
        const fromType = types.get(from);
        if (!fromType) continue;
        const out = fromType.def.outputs[outPort];
        if (!out) {
          const outs = Object.keys(fromType.def.outputs);
          diags.push(source.at(at, `node "${from}" (${fromType.def.type}) has no output "${outPort}"${didYouMean(outPort, outs)} (outputs: ${outs.join(', ') || 'none'})`));
          continue;
        }
        if (portSpec && !portSpec.kinds.includes(out.kind)) {
          diags.push(source.at(at, `input "${port}" takes ${portSpec.kinds.join(' or ')}, but ${from}.${outPort} is ${out.kind}`));
        }
      } else if (portSpec && !portSpec.kinds.includes('file')) {
        diags.push(source.at(at, `input "${port}" takes the output of a node (${portSpec.kinds.join(' or ')}), not a file`));
      }
    }
    if (nt) {
      for (const [port, ps] of Object.entries(nt.def.inputs)) {
        if (port !== '*' && !ps.optional && !(port in inputs)) {
          diags.push(source.at(['nodes', name, 'type'], `node "${name}" (${nt.def.type}) needs input "${port}" (${ps.kinds.join(' or ')}): ${ps.description}`));
        }
      }
    }
  }
  const cycle = findCycle(names, upstream);
  if (cycle) {
    const [a, b] = cycle;
    const port = upstream.get(a)!.find((u) => u.from === b)!.port;
    diags.push(source.at(['nodes', a, 'inputs', port], `cycle: ${cycle.join(' → ')}`));
  }

  // 4. sweep axes and --set targets
  const sweepProblems: SweepProblem[] = [];
  const axes = withFlagAxes(specAxes(spec.sweep, sweepProblems), opts.sweeps ?? []);
  const sets: Assignment[] = (opts.sets ?? []).map((s) => ({ target: s.target, value: s.value, origin: { flag: s.flag } }));
  const located = (origin: Origin, message: string, where: 'key' | 'value' = 'key'): Diagnostic =>
    'flag' in origin ? flagDiagnostic(origin.flag, message) : source.at(origin.spec, message, where);
  let badTargets = false;
  for (const a of [...axes.flatMap((ax) => ax.targets.map((t, i) => ({ target: t, origin: ax.origin[i] }))), ...sets]) {
    const problem = checkTarget(a.target, spec, types, basePipelineParams);
    if (problem) {
      diags.push(located(a.origin, problem));
      badTargets = true;
    }
  }
  (spec.report?.metrics ?? []).forEach((m, i) => {
    const problem = checkMetric(m, names);
    if (problem) diags.push(source.at(['report', 'metrics', i], problem));
  });
  const variantsRaw: Variant[] = axes.length ? expandVariants(axes, sweepProblems) : [{ id: 'default', assignments: [] }];
  for (const p of sweepProblems) diags.push(located(p.origin, p.message, 'value'));
  // keep going past problems so far (params are still checked), unless the graph cannot be ordered
  if (cycle || badTargets || sweepProblems.length) return fail();
  const blocked = new Set(names.filter((n) => !types.has(n)));

  // 5. resolve each variant: params, file inputs, keys (topological order)
  const order = topoOrder(names, upstream);
  const byKey = new Map<string, PlanNode>();
  const planOrder: string[] = [];
  const fileDigests = new Map<string, Promise<string | undefined>>();
  const digestOf = (abs: string): Promise<string | undefined> => {
    let p = fileDigests.get(abs);
    if (!p) {
      p = digestPath(abs).catch(() => undefined);
      fileDigests.set(abs, p);
    }
    return p;
  };
  const variants: PlanVariant[] = [];
  const globalExecutor = opts.executor ?? spec.executor ?? 'local';

  for (const variant of variantsRaw) {
    const all = [...sets, ...variant.assignments];
    const pipelineParams = structuredClone(basePipelineParams);
    for (const a of all) if (a.target.startsWith('params.')) setPath(pipelineParams, a.target.slice(7).split('.'), a.value);
    const keys = new Map<string, string>();
    for (const name of order) {
      const nt = types.get(name);
      if (!nt) continue;
      const raw = spec.nodes[name];
      const problems: InterpolationProblem[] = [];
      const interpolated = interpolate(raw.params ?? {}, pipelineParams, ['nodes', name, 'params'], problems) as Record<string, unknown>;
      for (const p of problems) diags.push(source.at(p.path, p.message));
      const overrides = all.filter((a) => !a.target.startsWith('params.') && a.target.split('.')[0] === name);
      for (const a of overrides) setPath(interpolated, a.target.split('.').slice(1), a.value);
      const { value: params, problems: pp } = validateParams(nt.def, interpolated);
      // an unresolved ${...} already has its message; its type error would only repeat it
      for (const p of problems.length ? [] : pp) {
        const override = overrides.find((a) => sameHead(a.target.split('.').slice(1), p.path.map(String)));
        const hint = p.unknownKey && p.allowed ? didYouMean(p.unknownKey, p.allowed) : '';
        const msg = `${p.message}${hint}${variantsRaw.length > 1 && override ? ` (variant ${variant.id})` : ''} [${nt.def.type}]`;
        if (override) diags.push(located(override.origin, msg, 'value'));
        else diags.push(source.at(['nodes', name, 'params', ...p.path], msg, p.unknownKey ? 'key' : 'value'));
      }
      const inputs: Record<string, PlanInput> = {};
      const keyInputs: KeyParts['inputs'] = {};
      for (const [port, ref] of Object.entries(raw.inputs ?? {})) {
        if (typeof ref === 'string') {
          const [from, outPort] = ref.split('.');
          const fromKey = keys.get(from);
          const fromOut = types.get(from)?.def.outputs[outPort];
          if (!fromKey || !fromOut) {
            blocked.add(name);
            continue;
          }
          inputs[port] = { origin: 'node', key: fromKey, port: outPort, name: from, kind: fromOut.kind };
          keyInputs[port] = { node: fromKey, port: outPort };
        } else {
          const ip: InterpolationProblem[] = [];
          const rel = interpolate(ref.file, pipelineParams, ['nodes', name, 'inputs', port, 'file'], ip) as string;
          for (const p of ip) diags.push(source.at(p.path, p.message));
          const abs = path.resolve(source.dir, String(rel));
          const digest = await digestOf(abs);
          if (!digest) {
            diags.push(source.at(['nodes', name, 'inputs', port, 'file'], `file not found: ${rel} (paths are relative to the spec's folder ${source.dir})`));
            continue;
          }
          inputs[port] = { origin: 'file', path: abs, source: String(rel), digest };
          keyInputs[port] = { file: digest };
        }
      }
      const files: Record<string, string> = {};
      if (nt.def.fileDeps && pp.length === 0) {
        for (const rel of nt.def.fileDeps(params as never)) {
          const d = await digestOf(path.resolve(source.dir, rel));
          if (!d) {
            const where = findParamHolding(params, rel);
            diags.push(source.at(['nodes', name, 'params', ...(where ?? [])], `file not found: ${rel} (paths are relative to the spec's folder ${source.dir})`));
          } else files[rel] = d;
        }
      }
      // a node downstream of a problem is checked, but has no key
      if (blocked.has(name) || diags.length) {
        blocked.add(name);
        continue;
      }
      const keyParts: KeyParts = { type: nt.def.type, version: nt.def.version, code: nt.code, params, inputs: keyInputs, files };
      const key = nodeKey(keyParts);
      keys.set(name, key);
      const existing = byKey.get(key);
      if (existing) {
        if (!existing.variants.includes(variant.id)) existing.variants.push(variant.id);
        continue;
      }
      const res = typeof nt.def.resources === 'function' ? nt.def.resources(params as never) : (nt.def.resources ?? {});
      byKey.set(key, {
        key,
        name,
        type: nt.def.type,
        nodeType: nt,
        params,
        inputs,
        deps: [...new Set(Object.values(inputs).flatMap((i) => (i.origin === 'node' ? [i.key] : [])))],
        variants: [variant.id],
        resources: { ...res, threads: Math.max(1, res.threads ?? 1), exclusive: res.exclusive ?? false },
        timeoutMs: raw.timeout !== undefined ? durationMs(raw.timeout) : undefined,
        executor: opts.executor ?? raw.executor ?? globalExecutor,
        slurm: { ...(spec.slurm ?? {}), ...(raw.slurm ?? {}) },
        keyParts,
      });
      planOrder.push(key);
    }
    variants.push({
      id: variant.id,
      params: Object.fromEntries(variant.assignments.map((a) => [a.target, a.value])),
      nodes: keys,
      pipelineParams,
    });
  }
  if (diags.length) return fail();

  return {
    ok: true,
    plan: {
      pipeline: spec.pipeline,
      description: spec.description,
      specFile: source.file,
      specDir: source.dir,
      pipelineParams: basePipelineParams,
      nodeNames: names,
      variants,
      nodes: planOrder.map((k) => byKey.get(k)!),
      byKey,
      sweep: axes.length > 0,
      sweepAxes: axes.map((a) => [...a.targets]),
      ...(spec.report ? { report: spec.report } : {}),
      executor: globalExecutor,
      slurm: spec.slurm,
    },
  };
}

function structureDiagnostic(source: SpecSource, e: ErrorObject): Diagnostic | undefined {
  const p: SpecPath = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const inInputs = p.length === 4 && p[0] === 'nodes' && p[2] === 'inputs';
  if (inInputs) {
    if (e.keyword !== 'anyOf') return undefined; // the anyOf error says it best
    return source.at(p, `input "${p[3]}" must be "<node>.<output>" or { file: PATH }`);
  }
  if (inInputs || (p.length === 5 && p[2] === 'inputs')) return undefined;
  if (p.length === 3 && p[0] === 'nodes' && p[2] === 'timeout') {
    if (e.keyword !== 'anyOf') return undefined;
    return source.at(p, 'timeout must be seconds (a number) or a duration such as "90s", "10m", "2h"');
  }
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = allowedKeysAt(specSchema, p.map((seg, i) => (i === 1 && p[0] === 'nodes' ? '*' : seg)));
      const where = p.length === 0 ? 'at the top level' : p[0] === 'nodes' && p.length === 2 ? `in node "${p[1]}"` : `in ${p.join('.')}`;
      return source.at([...p, key], `unknown key "${key}" ${where}${didYouMean(key, allowed)} (allowed: ${allowed.join(', ')})`, 'key');
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const where = p.length === 0 ? 'the spec' : p[0] === 'nodes' && p.length === 2 ? `node "${p[1]}"` : p.join('.');
      return source.at(p, `${where} needs "${missing}:"`, 'key');
    }
    case 'type':
      return source.at(p, `${p.length ? `"${p.join('.')}"` : 'the spec'} must be ${(e.params as { type: string }).type === 'object' ? 'a mapping' : `a ${(e.params as { type: string }).type}`}`);
    case 'pattern':
      return source.at(p, `"${p.join('.')}" must match ${(e.params as { pattern: string }).pattern}`);
    case 'minProperties':
      return source.at(p, `"${p.join('.')}" must not be empty`);
    case 'enum':
      return source.at(p, `"${p.join('.')}" must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`);
    default:
      return source.at(p, `"${p.join('.') || 'spec'}" ${e.message ?? 'is invalid'}`);
  }
}

/** A sweep or --set target must name an existing pipeline param or a node param its type knows. */
function checkTarget(target: string, spec: RawSpec, types: Map<string, LoadedNodeType>, pipelineParams: Record<string, unknown>): string | undefined {
  const parts = target.split('.');
  if (parts.length < 2 || parts.some((s) => !s)) return `"${target}" must be node.param or params.name`;
  if (parts[0] === 'params') {
    if (!(parts[1] in pipelineParams)) {
      return `pipeline param "${parts[1]}" does not exist${didYouMean(parts[1], Object.keys(pipelineParams))} (declare it under "params:")`;
    }
    return undefined;
  }
  const node = spec.nodes[parts[0]];
  if (!node) return `"${target}": no node "${parts[0]}"${didYouMean(parts[0], Object.keys(spec.nodes))}`;
  const nt = types.get(parts[0]);
  if (!nt) return undefined;
  const props = Object.keys(nt.def.params.properties);
  if (!props.includes(parts[1])) return `"${target}": node type "${nt.def.type}" has no param "${parts[1]}"${didYouMean(parts[1], props)}`;
  return undefined;
}

/** A `report.metrics` entry is `node.path` with an existing node; the path is checked against summaries after the run. */
function checkMetric(metric: string, names: string[]): string | undefined {
  const parts = metric.split('.');
  if (parts.length < 2 || parts.some((s) => !s) || /\s/.test(metric)) return `metric "${metric}" must be node.figure, a path into the node's summary (e.g. agreement.sets.filtered.overall)`;
  if (!names.includes(parts[0])) return `metric "${metric}": no node "${parts[0]}"${didYouMean(parts[0], names)}`;
  return undefined;
}

function setPath(obj: Record<string, unknown>, p: string[], value: unknown): void {
  let cur = obj;
  for (let i = 0; i < p.length - 1; i++) {
    const next = cur[p[i]];
    if (!next || typeof next !== 'object' || Array.isArray(next)) cur[p[i]] = {};
    cur = cur[p[i]] as Record<string, unknown>;
  }
  cur[p[p.length - 1]] = value;
}

function sameHead(a: string[], b: string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return n > 0;
}

function findParamHolding(params: Record<string, unknown>, value: string): SpecPath | undefined {
  for (const [k, v] of Object.entries(params)) {
    if (v === value) return [k];
    if (Array.isArray(v)) {
      const i = v.indexOf(value);
      if (i >= 0) return [k, i];
    }
  }
  return undefined;
}

/** A cycle as a path of names ending where it starts, or undefined. */
export function findCycle(names: string[], upstream: Map<string, { from: string }[]>): string[] | undefined {
  const state = new Map<string, 0 | 1 | 2>();
  for (const start of names) {
    if (state.get(start)) continue;
    const stack: { name: string; i: number }[] = [{ name: start, i: 0 }];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const ups = upstream.get(top.name) ?? [];
      if (top.i >= ups.length) {
        state.set(top.name, 2);
        stack.pop();
        continue;
      }
      const next = ups[top.i++].from;
      const s = state.get(next) ?? 0;
      if (s === 1) {
        const from = stack.findIndex((f) => f.name === next);
        return [...stack.slice(from).map((f) => f.name), next];
      }
      if (s === 0 && upstream.has(next)) {
        state.set(next, 1);
        stack.push({ name: next, i: 0 });
      }
    }
  }
  return undefined;
}

/** Kahn's algorithm, ties broken by spec order (stable output for stable specs). */
export function topoOrder(names: string[], upstream: Map<string, { from: string }[]>): string[] {
  const indeg = new Map(names.map((n) => [n, new Set((upstream.get(n) ?? []).map((u) => u.from)).size]));
  const down = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const n of names) for (const from of new Set((upstream.get(n) ?? []).map((u) => u.from))) down.get(from)?.push(n);
  const pos = new Map(names.map((n, i) => [n, i]));
  const ready = names.filter((n) => indeg.get(n) === 0);
  const out: string[] = [];
  while (ready.length) {
    ready.sort((a, b) => pos.get(a)! - pos.get(b)!);
    const n = ready.shift()!;
    out.push(n);
    for (const d of down.get(n)!) {
      indeg.set(d, indeg.get(d)! - 1);
      if (indeg.get(d) === 0) ready.push(d);
    }
  }
  return out;
}
