// Node params: validated against each node type's JSON Schema with ajv, defaults
// filled in, unknown keys rejected. Compiled validators are memoised per type.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { NodeDefinition } from '../node-api.js';

export interface ParamProblem {
  /** path inside params, e.g. ['min_accuracy'] or ['mix', 'spammer'] */
  path: (string | number)[];
  message: string;
  /** a key the user wrote that the schema does not know (for "did you mean") */
  unknownKey?: string;
  /** the keys allowed at that place */
  allowed?: string[];
}

let ajv: Ajv | undefined;
const compiled = new Map<NodeDefinition<unknown>, ValidateFunction>();

function getAjv(): Ajv {
  ajv ??= new Ajv({ allErrors: true, useDefaults: true, strict: false, coerceTypes: false, verbose: true });
  return ajv;
}

function validatorFor(def: NodeDefinition<any>): ValidateFunction {
  let v = compiled.get(def);
  if (!v) {
    const schema = { additionalProperties: false, ...def.params };
    v = getAjv().compile(schema);
    compiled.set(def, v);
  }
  return v;
}

/** Validate and fill defaults. Returns a new object; the input is not modified. */
export function validateParams(def: NodeDefinition<any>, params: Record<string, unknown>): { value: Record<string, unknown>; problems: ParamProblem[] } {
  const value = structuredClone(params);
  const validate = validatorFor(def);
  const ok = validate(value);
  const problems: ParamProblem[] = ok ? [] : (validate.errors ?? []).map(toProblem);
  if (problems.length === 0 && def.check) {
    for (const p of def.check(value as never)) problems.push({ path: p.param.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)), message: p.message });
  }
  return { value, problems: dedupe(problems) };
}

/** Validate and fill defaults, throwing on any problem (for tests and internal callers). */
export function fillParams(def: NodeDefinition<any>, params: Record<string, unknown>): Record<string, unknown> {
  const { value, problems } = validateParams(def, params);
  if (problems.length) throw new Error(`${def.type}: ${problems.map((p) => `${p.path.join('.') || 'params'}: ${p.message}`).join('; ')}`);
  return value;
}

function toProblem(e: ErrorObject): ParamProblem {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
      return { path: [...path, key], message: `unknown param "${[...path, key].join('.')}"`, unknownKey: key, allowed: props ? Object.keys(props) : [] };
    }
    case 'type':
      return { path, message: `${label(path)} must be ${(e.params as { type: string }).type}` };
    case 'enum':
      return { path, message: `${label(path)} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const p = e.params as { comparison: string; limit: number };
      return { path, message: `${label(path)} must be ${p.comparison} ${p.limit}` };
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return { path, message: `missing required param "${[...path, missing].join('.')}"` };
    }
    default:
      return { path, message: `${label(path)} ${e.message ?? 'is invalid'}` };
  }
}

function label(path: (string | number)[]): string {
  return path.length ? `param "${path.join('.')}"` : 'params';
}

function dedupe(problems: ParamProblem[]): ParamProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path.join('.')}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
