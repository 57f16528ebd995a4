// `command`: run a shell command as a cached step, like a DVC stage, so existing
// Python or R scripts join a pipeline. Its deps' contents enter the key; its
// declared outs are stored in the cache and put back on a cache hit. It runs in
// the spec's folder; each input reaches it as an environment variable of the
// input's name holding a path.

import { constants as fsConstants, copyFileSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { copyFile, cp, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { digestFile, digestFileSync } from '../cache/hash.js';
import { runShellCommand } from './lib/shell.js';
import { CommandExitError, defineNode, MissingOutputError, type InputHandle, type NodeContext } from '../runner/node-api.js';

interface CommandParams {
  run: string;
  deps: string[];
  outs: string[];
  env: Record<string, string>;
  shell: string;
}

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export default defineNode<CommandParams>({
  type: 'command',
  version: 1,
  description: 'Run a shell command with declared dependency files and output files (a DVC-style stage).',
  inputs: {
    '*': {
      kinds: ['file', 'files', 'dataset', 'responses', 'workers', 'labels', 'predictions', 'model', 'history', 'metrics'],
      description: 'any input; the command sees its path in an environment variable of the input name',
      optional: true,
    },
  },
  outputs: {
    outs: { kind: 'files', description: 'the declared outs, by their spec-relative paths', publish: false },
  },
  params: {
    type: 'object',
    required: ['run'],
    properties: {
      run: { type: 'string', minLength: 1, description: 'the shell command, run in the spec file\'s folder' },
      deps: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'files or folders the command reads (spec-relative); their contents enter the cache key' },
      outs: { type: 'array', items: { type: 'string', minLength: 1 }, default: [], description: 'files or folders the command writes (spec-relative); stored in the cache and restored on a hit' },
      env: { type: 'object', additionalProperties: { type: 'string' }, default: {}, description: 'extra environment variables' },
      shell: { type: 'string', default: '/bin/sh', description: 'the shell that runs `run`' },
    },
  },
  // the work is the child process: a worker thread would only add a hand-off each way
  resources: { inline: true },
  fileDeps: (p) => p.deps,
  check(p) {
    const problems: { param: string; message: string }[] = [];
    for (const [i, o] of p.outs.entries()) {
      if (path.isAbsolute(o) || o.split(/[\\/]/).includes('..')) {
        problems.push({ param: `outs.${i}`, message: `out "${o}" must be a path inside the spec's folder (relative, no "..")` });
      }
    }
    for (const k of Object.keys(p.env)) {
      if (!ENV_NAME_RE.test(k)) problems.push({ param: `env.${k}`, message: `"${k}" is not a valid environment variable name` });
    }
    return problems;
  },
  async run(ctx) {
    // added to this process's environment for the command
    const env: Record<string, string> = { ...ctx.params.env, SOFTLAB_NODE: ctx.name };
    for (const [name, input] of Object.entries(ctx.inputs)) env[name] = await inputPath(input);
    // stale outs from an earlier run must not pass for this run's outputs. Blocking
    // calls for the usual small files: a thread-pool round trip per step would be a
    // measurable part of a small command's overhead. Folders and big files go through
    // the pool, since this runs on the scheduler's thread (resources.inline).
    for (const o of ctx.params.outs) {
      const abs = path.join(ctx.specDir, o);
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (st?.isDirectory()) await rm(abs, { recursive: true, force: true });
      else if (st) unlinkSync(abs);
    }
    await runShell(ctx, env);
    const missing: string[] = [];
    const made = new Set<string>();
    for (const o of ctx.params.outs) {
      const abs = path.join(ctx.specDir, o);
      const st = statSync(abs, { throwIfNoEntry: false });
      if (!st) {
        missing.push(o);
        continue;
      }
      const dest = path.join(ctx.outputs.outs.dir, o);
      const parent = path.dirname(dest);
      if (!made.has(parent)) {
        mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      // copyFile for the usual single file (fs.cp's generality costs milliseconds per call)
      if (st.isDirectory()) await cp(abs, dest, { recursive: true });
      else if (st.size > SMALL_OUT) await copyFile(abs, dest, fsConstants.COPYFILE_FICLONE);
      else copyFileSync(abs, dest, fsConstants.COPYFILE_FICLONE);
    }
    if (missing.length) {
      throw new MissingOutputError(`the command finished but did not write declared out${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
    }
    await ctx.summary({ outs: ctx.params.outs.length, deps: ctx.params.deps.length });
  },
  async restore(ctx) {
    const outs = ctx.outputs.outs;
    if (!outs) return;
    for (const rel of outs.list()) {
      const dest = path.join(ctx.specDir, rel);
      // the common case, an untouched out: one hash of the user's file, the object is not read
      if (await hasDigest(dest, outs.digestOf?.(rel))) continue;
      const src = await outs.path(rel);
      if (await sameContent(dest, src)) continue;
      await mkdir(path.dirname(dest), { recursive: true });
      await rm(dest, { force: true });
      await cp(src, dest);
      const { chmod } = await import('node:fs/promises');
      await chmod(dest, 0o644);
    }
  },
});

async function inputPath(input: InputHandle): Promise<string> {
  return input.origin === 'file' && input.filePath ? input.filePath : input.dir();
}

/** Small outs are checked with blocking reads: a cached rerun checks every command's outs. */
const SMALL_OUT = 1 << 20;

async function hasDigest(file: string, digest: string | undefined): Promise<boolean> {
  if (!digest) return false;
  try {
    const st = statSync(file);
    const actual = st.size <= SMALL_OUT ? digestFileSync(file) : await digestFile(file);
    return actual.digest === digest;
  } catch {
    return false;
  }
}

async function sameContent(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([stat(a), stat(b)]);
    if (sa.size !== sb.size) return false;
    const [da, db] = await Promise.all([digestFile(a), digestFile(b)]);
    return da.digest === db.digest;
  } catch {
    return false;
  }
}

async function runShell(ctx: NodeContext<CommandParams>, env: Record<string, string>): Promise<void> {
  const exit = await runShellCommand({
    shell: ctx.params.shell,
    command: ctx.params.run,
    cwd: ctx.specDir,
    env,
    signal: ctx.signal,
    onLine: (stream, line) => (stream === 'stdout' ? ctx.log.info(line) : ctx.log.warn(line)),
  });
  if (!exit.ok) throw new CommandExitError(exit.message, null, null);
  if (exit.code === 0) return;
  throw new CommandExitError(exit.signal ? `command killed by ${exit.signal}` : `command exited with status ${exit.code}`, exit.code, exit.signal);
}
