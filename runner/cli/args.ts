// Parsing of the flags shared by several commands: --set, --sweep, --cache-dir.

import path from 'node:path';
import { loadYaml, yamlLibrary } from '../spec/load.js';
import { UsageError } from './exit.js';

/** A flag value as YAML would read it: `0.8` is a number, `true` a boolean, `abc` a string. */
export function parseScalar(raw: string): unknown {
  try {
    // loaded on first use: most runs pass no flags and never need the YAML parser
    return yamlLibrary().parse(raw);
  } catch {
    return raw;
  }
}

/** `--set` and `--sweep` values parsed, with the YAML parser loaded from the bundle first when there are any. */
export async function parseSpecFlags(set: string[] = [], sweep: string[] = []): Promise<{ sets: ReturnType<typeof parseSets>; sweeps: ReturnType<typeof parseSweeps> }> {
  if (set.length || sweep.length) await loadYaml();
  return { sets: parseSets(set), sweeps: parseSweeps(sweep) };
}

export function parseSets(values: string[]): { target: string; value: unknown; flag: string }[] {
  return values.map((v) => {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`--set ${v}: expected NODE.PARAM=VALUE (or params.NAME=VALUE)`);
    return { target: v.slice(0, i).trim(), value: parseScalar(v.slice(i + 1)), flag: `--set ${v}` };
  });
}

export function parseSweeps(values: string[]): { target: string; values: unknown[]; flag: string }[] {
  return values.map((v) => {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`--sweep ${v}: expected NODE.PARAM=V1,V2,...`);
    const raw = v.slice(i + 1);
    // a YAML flow list keeps values that contain commas: --sweep 'a.b=[x, "y,z"]'
    const list = raw.trim().startsWith('[') ? parseScalar(raw) : raw.split(',').map((s) => parseScalar(s.trim()));
    if (!Array.isArray(list) || list.length === 0) throw new UsageError(`--sweep ${v}: no values`);
    return { target: v.slice(0, i).trim(), values: list, flag: `--sweep ${v}` };
  });
}

export function resolveCacheDir(flag: string | undefined): string {
  return path.resolve(flag ?? process.env.SOFTLAB_CACHE_DIR ?? path.join('.softlab', 'cache'));
}

export function parseJobs(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jobs ${raw}: expected a whole number >= 1`);
  return n;
}
