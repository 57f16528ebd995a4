// The "code" part of a node's key: a digest of the node module's source and of
// every project module it reaches through relative imports (static, or dynamic
// with a literal path). Editing a node's implementation, or a helper it uses,
// changes exactly the keys of the node types that use it.
//
// Sources are hashed as TypeScript when the .ts file exists, so a key computed
// by the compiled CLI (dist/*.js) equals the one computed under tsx in tests.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sha256 } from './hash.js';

const IMPORT_RE = /(?:^|[^\w$.])(?:import|export)\s+(?!type\b)(?:[\w$*{}\s,]+?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]|(?:^|[^\w$.])import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

const memo = new Map<string, string>();

/** Map a compiled file under `<root>/dist/` back to its TypeScript source when that exists. */
export function sourceFileFor(file: string): string {
  const m = /^(.*)[\\/]dist[\\/](.*)\.js$/.exec(file);
  if (m) {
    for (const ext of ['.ts', '.tsx']) {
      const src = path.join(m[1], m[2] + ext);
      if (existsSync(src)) return src;
    }
  }
  return file;
}

function resolveImport(fromFile: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(fromFile), spec);
  const candidates = [base];
  if (base.endsWith('.js')) candidates.unshift(base.slice(0, -3) + '.ts', base.slice(0, -3) + '.tsx');
  else if (!path.extname(base)) candidates.push(base + '.ts', base + '.tsx', base + '.js');
  return candidates.find((c) => existsSync(c));
}

/** Every project file reachable from `entry` through relative imports, sorted. */
export function moduleClosure(entry: string): string[] {
  const start = sourceFileFor(path.resolve(entry));
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length) {
    const file = queue.pop()!;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    // import type lines are erased by TypeScript: they cannot change behaviour
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      const dep = resolveImport(file, spec);
      if (dep && !seen.has(dep)) {
        seen.add(dep);
        queue.push(dep);
      }
    }
  }
  return [...seen].sort();
}

/** Digest of a module and its relative-import closure; paths enter relative to the entry's folder. */
export function codeDigest(entry: string): string {
  const start = sourceFileFor(path.resolve(entry));
  const hit = memo.get(start);
  if (hit) return hit;
  const root = path.dirname(start);
  const parts = moduleClosure(start).map((f) => `${path.relative(root, f).split(path.sep).join('/')}\0${sha256(readFileSync(f))}`);
  const d = sha256(parts.join('\n'));
  memo.set(start, d);
  return d;
}
