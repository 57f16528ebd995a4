// Where softlab's own files are, wherever this module was loaded from: a
// TypeScript source under tsx (tests), a tsc-compiled file under dist/, or a
// chunk of the esbuild bundle (dist/chunks/). Modules that locate a sibling by
// `new URL('../x', import.meta.url)` break once bundled, so they ask here.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** True when running from the TypeScript sources (tsx), false from the build. */
export const FROM_SOURCES = /\.tsx?$/.test(import.meta.url);

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'softlab') return dir;
      } catch {
        /* not ours: keep walking up */
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`softlab: cannot find its package.json above ${start}`);
  }
}

/** The folder holding softlab's package.json. */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** The root of the code tree that is running: the sources, or dist/. */
export const CODE_ROOT = FROM_SOURCES ? PACKAGE_ROOT : path.join(PACKAGE_ROOT, 'dist');

/** A module of the running code tree by its extension-less project path (`runner/cli/main`). */
export function codeModule(rel: string): string {
  return path.join(CODE_ROOT, ...rel.split('/')) + (FROM_SOURCES ? '.ts' : '.js');
}

/** The build's precompiled validators (runner/build/precompile.ts writes them). */
export const PRECOMPILED_VALIDATORS = path.join(PACKAGE_ROOT, 'dist', 'validators.js');
