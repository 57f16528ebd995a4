// `${params.name}` references inside node params and input file paths. A value
// that is exactly one reference keeps the referenced value's type (`seed:
// ${params.seed}` stays a number); inside a longer string it is substituted as
// text. Only `${params.…}` is ours: any other `${…}` (a shell variable in a
// `command`) is left as written.

import type { SpecPath } from './load.js';

const REF_RE = /\$\{\s*params\.([A-Za-z_][A-Za-z0-9_.-]*)\s*\}/g;
const WHOLE_RE = /^\$\{\s*params\.([A-Za-z_][A-Za-z0-9_.-]*)\s*\}$/;

export interface InterpolationProblem {
  path: SpecPath;
  message: string;
}

function lookup(params: Record<string, unknown>, dotted: string): { found: boolean; value?: unknown } {
  let cur: unknown = params;
  for (const seg of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(seg in (cur as Record<string, unknown>))) return { found: false };
    cur = (cur as Record<string, unknown>)[seg];
  }
  return { found: true, value: cur };
}

/** Interpolate every string inside `value`; problems carry their path (prefixed with `at`). */
export function interpolate(value: unknown, params: Record<string, unknown>, at: SpecPath, problems: InterpolationProblem[]): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_RE.exec(value);
    if (whole) {
      const r = lookup(params, whole[1]);
      if (!r.found) {
        problems.push({ path: at, message: `undefined reference \${params.${whole[1]}}${hint(params)}` });
        return value;
      }
      return structuredClone(r.value);
    }
    return value.replace(REF_RE, (m, name: string) => {
      const r = lookup(params, name);
      if (!r.found) {
        problems.push({ path: at, message: `undefined reference \${params.${name}}${hint(params)}` });
        return m;
      }
      return typeof r.value === 'string' ? r.value : JSON.stringify(r.value);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, params, [...at, i], problems));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, params, [...at, k], problems);
    return out;
  }
  return value;
}

function hint(params: Record<string, unknown>): string {
  const names = Object.keys(params);
  return names.length ? ` (pipeline params: ${names.join(', ')})` : ' (the spec has no pipeline params)';
}
