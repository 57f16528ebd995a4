// Node params: validated against each node type's JSON Schema with ajv, defaults
// filled in, unknown keys rejected. Compiled validators are memoised per type.

import type { ErrorObject } from 'ajv';
import type { NodeDefinition, ParamsSchema } from '../node-api.js';
import { allowedKeysAt, validatorFor, type Validator } from './validators.js';

export interface ParamProblem {
  /** path inside params, e.g. ['min_accuracy'] or ['mix', 'spammer'] */
  path: (string | number)[];
  message: string;
  /** a key the user wrote that the schema does not know (for "did you mean") */
  unknownKey?: string;
  /** the keys allowed at that place */
  allowed?: string[];
}

/** A node type's params schema as validated: unknown keys are rejected unless the type says otherwise. */
export function paramsSchemaOf(def: NodeDefinition<any>): ParamsSchema {
  return { additionalProperties: false, ...def.params };
}

const byDef = new WeakMap<NodeDefinition<any>, Validator>();

function paramsValidator(def: NodeDefinition<any>): Validator {
  let v = byDef.get(def);
  if (!v) {
    v = validatorFor(paramsSchemaOf(def));
    byDef.set(def, v);
  }
  return v;
}

/** Validate and fill defaults. Returns a new object; the input is not modified. */
export function validateParams(def: NodeDefinition<any>, params: Record<string, unknown>): { value: Record<string, unknown>; problems: ParamProblem[] } {
  const value = structuredClone(params);
  const validate = paramsValidator(def);
  const ok = validate(value);
  const schema = paramsSchemaOf(def);
  const problems: ParamProblem[] = ok ? [] : (validate.errors ?? []).map((e) => toProblem(e, schema));
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

function toProblem(e: ErrorObject, schema: ParamsSchema): ParamProblem {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      return { path: [...path, key], message: `unknown param "${[...path, key].join('.')}"`, unknownKey: key, allowed: allowedKeysAt(schema, path) };
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
