// softlab's own version, recorded in cache entries and run summaries.

import { readFileSync } from 'node:fs';

function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'softlab' && pkg.version) return pkg.version;
    } catch {
      /* try the next location (compiled code sits one level deeper) */
    }
  }
  return '0.0.0';
}

export const SOFTLAB_VERSION = readVersion();
