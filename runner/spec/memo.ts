// A memo of parsed specs in the cache directory, by the text's digest: YAML
// parsing is the largest cost of a fully cached rerun of a big pipeline (a
// 1000-node spec takes ~350 ms to compose), and a spec's text rarely changes
// between runs. Only specs that parsed cleanly are memoised, and only values
// that JSON keeps exactly.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { sha256 } from '../../cache/hash.js';

const yamlVersion = (createRequire(import.meta.url)('yaml/package.json') as { version: string }).version;

export class SpecMemo {
  constructor(private readonly dir: string) {}

  keyOf(text: string): string {
    return sha256(`yaml@${yamlVersion}\n${text}`);
  }

  get(key: string): unknown {
    try {
      return JSON.parse(readFileSync(path.join(this.dir, `${key}.json`), 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  set(key: string, value: unknown): void {
    if (!jsonExact(value)) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      const file = path.join(this.dir, `${key}.json`);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(value));
      renameSync(tmp, file);
    } catch {
      /* a memo is an optimisation: a read-only or full cache just skips it */
    }
  }
}

/** True when JSON round-trips the value unchanged (no NaN, Infinity, undefined, or non-plain objects). */
function jsonExact(v: unknown, depth = 0): boolean {
  if (depth > 100) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return v.every((x) => jsonExact(x, depth + 1));
  if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) return Object.values(v as object).every((x) => jsonExact(x, depth + 1));
  return false;
}
