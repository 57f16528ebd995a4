// softlab's own version, recorded in cache entries and run summaries.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from './package-paths.js';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string };
    if (pkg.version) return pkg.version;
  } catch {
    /* unreadable: fall through */
  }
  return '0.0.0';
}

export const SOFTLAB_VERSION = readVersion();
