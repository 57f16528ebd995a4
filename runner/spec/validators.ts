// JSON Schema validators, compiled once. Compiling with ajv costs ~250 ms per
// process, more than the rest of a cached rerun, so the build precompiles the
// spec schema and every built-in node's params schema to standalone code
// (dist/validators.js, made by runner/build/precompile.ts). Schemas without
// precompiled code (user node modules, runs from TypeScript sources) are
// compiled with ajv, loaded only then.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { ErrorObject } from 'ajv';
import { digestJson } from '../../cache/hash.js';
import { FROM_SOURCES, PRECOMPILED_VALIDATORS } from '../package-paths.js';

export interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false, coerceTypes: false } as const;

const require = createRequire(import.meta.url);
const compiled = new Map<string, Validator>();
let precompiled: Record<string, Validator> | undefined;
let ajv: { compile(schema: object): Validator } | undefined;

/** The id a schema's precompiled validator is filed under. */
export function schemaId(schema: object): string {
  return `s${digestJson(schema).slice(0, 24)}`;
}

/** Load the build's precompiled validators, if this is a build that has them. */
export async function loadPrecompiledValidators(): Promise<void> {
  if (precompiled) return;
  const file = PRECOMPILED_VALIDATORS;
  precompiled = !FROM_SOURCES && existsSync(file) ? ((await import(pathToFileURL(file).href)) as Record<string, Validator>) : {};
}

export function validatorFor(schema: object): Validator {
  const id = schemaId(schema);
  let v = compiled.get(id) ?? precompiled?.[id];
  if (!v) {
    if (!ajv) {
      const Ajv = (require('ajv') as { default: new (o: object) => { compile(schema: object): Validator } }).default;
      ajv = new Ajv(AJV_OPTIONS);
    }
    v = ajv.compile(schema);
  }
  compiled.set(id, v);
  return v;
}

/** The property names a schema allows at `path` (for "did you mean" on unknown keys). */
export function allowedKeysAt(schema: unknown, path: (string | number)[]): string[] {
  let cur = schema as Record<string, unknown> | undefined;
  for (const seg of path) {
    if (!cur) return [];
    const props = cur.properties as Record<string, Record<string, unknown>> | undefined;
    if (typeof seg === 'string' && props?.[seg]) cur = props[seg];
    else if (typeof seg === 'number' && cur.items && typeof cur.items === 'object') cur = cur.items as Record<string, unknown>;
    else if (cur.additionalProperties && typeof cur.additionalProperties === 'object') cur = cur.additionalProperties as Record<string, unknown>;
    else return [];
  }
  return Object.keys((cur?.properties as object | undefined) ?? {});
}
