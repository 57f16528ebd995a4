// Build step: bundle softlab's code with esbuild into dist/, one entry per file
// that is loaded by path at run time (the CLI, the pool worker, each built-in
// node module) and shared chunks between them, so that a class such as
// CancelledError is one class in the worker and in the node modules it imports.
// Start-up is why: the CLI from ~60 tsc-emitted modules spent ~70 ms in the
// module loader, more than a quarter of a fully cached rerun.
//
//   node --import tsx runner/build/bundle.ts     (npm run build does this)

import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { BUILTIN_NODE_MODULES } from '../../nodes/index.js';
import { PACKAGE_ROOT } from '../package-paths.js';

const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
// npm packages stay external (loaded from node_modules when needed, as before), but
// for two CommonJS packages the runner itself loads: commander (every command) and
// yaml (a new spec text; its fifty files took ~40 ms to load, ~10 ms as one chunk)
const BUNDLED_PACKAGES = new Set(['commander', 'yaml']);
const external = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]
  .filter((name) => !BUNDLED_PACKAGES.has(name))
  .flatMap((name) => [name, `${name}/*`]);

const entryPoints = [
  'runner/cli/main.ts',
  'runner/execute/pool-worker.ts',
  ...Object.values(BUILTIN_NODE_MODULES).map((rel) => `nodes/${rel.replace(/^\.\//, '').replace(/\.js$/, '.ts')}`),
].map((p) => path.join(PACKAGE_ROOT, p));

const outdir = path.join(PACKAGE_ROOT, 'dist');
rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: PACKAGE_ROOT,
  entryPoints,
  outdir,
  outbase: PACKAGE_ROOT,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  chunkNames: 'chunks/[name]-[hash]',
  // bundled CommonJS (commander) calls require() for Node's own modules
  banner: { js: "import { createRequire as __softlabCreateRequire } from 'node:module';\nconst require = __softlabCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
  legalComments: 'none',
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
process.stdout.write(`bundled ${entryPoints.length} entries into ${path.relative(PACKAGE_ROOT, outdir)}/ (${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB)\n`);
