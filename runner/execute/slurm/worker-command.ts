// The command a Slurm job runs: softlab's own CLI, `exec` on a task file, with
// the same node binary and flags as the submitting process. From the compiled
// package that is `node dist/runner/cli/main.js`; from the TypeScript sources
// (tests) it is `node --import tsx runner/cli/main.ts`.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { codeModule, FROM_SOURCES } from '../../package-paths.js';

const fromSources = FROM_SOURCES;

/** The CLI entry of the running code tree (not process.argv[1]: a test runner may be the main script). */
export function cliMainPath(): string {
  return codeModule('runner/cli/main');
}

/**
 * The current process's node flags, made independent of its working directory
 * (`--import tsx` becomes the absolute URL of tsx's loader), with tsx added when
 * running from sources without it. Debugger flags are dropped: a job must not
 * wait for a debugger.
 */
export function workerExecArgv(execArgv: string[] = process.execArgv): string[] {
  const out: string[] = [];
  let hasTsx = false;
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i];
    if (/^--inspect/.test(a)) continue;
    if ((a === '--import' || a === '--loader' || a === '--require' || a === '-r') && i + 1 < execArgv.length) {
      const spec = execArgv[++i];
      if (spec === 'tsx' || spec.startsWith('tsx/')) hasTsx = true;
      out.push(a, resolveSpecifier(spec));
      continue;
    }
    const eq = /^(--import|--loader)=(.*)$/.exec(a);
    if (eq) {
      if (eq[2] === 'tsx' || eq[2].startsWith('tsx/')) hasTsx = true;
      out.push(eq[1], resolveSpecifier(eq[2]));
      continue;
    }
    out.push(a);
  }
  if (fromSources && !hasTsx) out.unshift('--import', resolveSpecifier('tsx'));
  return out;
}

function resolveSpecifier(spec: string): string {
  if (spec.startsWith('file:') || spec.startsWith('/') || spec.startsWith('data:')) return spec;
  // node resolves --import paths against the working directory, which the job's may not be
  if (spec.startsWith('./') || spec.startsWith('../')) return pathToFileURL(path.resolve(spec)).href;
  try {
    return import.meta.resolve(spec);
  } catch {
    return spec;
  }
}

/** `node [flags] <cli main> exec --cache-dir DIR TASKFILE` */
export function workerCommand(cacheDir: string, taskFile: string): string[] {
  return [process.execPath, ...workerExecArgv(), cliMainPath(), 'exec', '--cache-dir', cacheDir, taskFile];
}
