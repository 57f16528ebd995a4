// Picks and starts the TensorFlow.js backend a training runs on, and records why
// each better one was not taken. Order for `auto`: tfjs-node-gpu, tfjs-node (native
// TensorFlow; installable only where libtensorflow can be downloaded), then the
// wasm backend (XNNPACK, SIMD), then the pure-JS cpu backend.

import { createRequire } from 'node:module';
import path from 'node:path';
import { UserInputError } from '../../runner/node-api.js';

export type BackendParam = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_PARAMS: readonly BackendParam[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface BackendAttempt {
  /** what was tried: a package name or a backend name */
  candidate: string;
  ok: boolean;
  /** why it was not used (first line of the error) */
  reason?: string;
}

export interface BackendChoice {
  name: BackendName;
  /** the package that provides it, e.g. `@tensorflow/tfjs-node-gpu` */
  provider: string;
  /** what `auto` (or the explicit choice) went through, in order */
  attempts: BackendAttempt[];
  /** where the request came from */
  requestedBy: 'param' | 'SOFTLAB_BACKEND';
  requested: BackendParam;
}

/** Seams for tests: how a module is imported and how a tfjs backend is switched on. */
export interface BackendLoader {
  importModule(name: string): Promise<unknown>;
  /** switch tfjs to `name` (a tfjs backend name); resolves false or throws when it cannot start */
  setBackend(name: string): Promise<boolean>;
}

const NATIVE = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** The backend asked for: the param, unless it is `auto` and SOFTLAB_BACKEND names one. */
export function requestedBackend(param: BackendParam, env: NodeJS.ProcessEnv = process.env): { requested: BackendParam; by: BackendChoice['requestedBy'] } {
  const fromEnv = env.SOFTLAB_BACKEND?.trim().toLowerCase();
  if (param === 'auto' && fromEnv) {
    if (!(BACKEND_PARAMS as readonly string[]).includes(fromEnv)) {
      throw new UserInputError(`SOFTLAB_BACKEND=${env.SOFTLAB_BACKEND} is not a backend: use one of ${BACKEND_PARAMS.join(', ')}`);
    }
    return { requested: fromEnv as BackendParam, by: 'SOFTLAB_BACKEND' };
  }
  return { requested: param, by: 'param' };
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // "Cannot find package 'x' imported from /abs/path": the path says nothing useful
  return msg.split('\n')[0].replace(/ imported from \S+$/, '').slice(0, 300);
}

/** The folder holding the wasm binaries, as `setWasmPaths` wants it (trailing slash). */
export function wasmDir(): string {
  const req = createRequire(import.meta.url);
  return path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm')) + path.sep;
}

let wasmPathsSet = false;

export const defaultLoader: BackendLoader = {
  importModule: (name) => import(name),
  async setBackend(name) {
    const tf = await import('@tensorflow/tfjs-core');
    if (name === 'wasm') {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      if (!wasmPathsSet) {
        wasm.setWasmPaths(wasmDir());
        wasmPathsSet = true;
      }
    } else if (name === 'cpu') {
      await import('@tensorflow/tfjs-backend-cpu');
    }
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok;
  },
};

async function tryBackend(loader: BackendLoader, name: string): Promise<string | undefined> {
  try {
    return (await loader.setBackend(name)) ? undefined : `tf.setBackend('${name}') returned false`;
  } catch (e) {
    return firstLine(e);
  }
}

/** tfjs-node registers the `tensorflow` backend when imported; an absent package throws here. */
async function tryNative(loader: BackendLoader, attempts: BackendAttempt[]): Promise<string | undefined> {
  for (const pkg of NATIVE) {
    try {
      await loader.importModule(pkg);
    } catch (e) {
      attempts.push({ candidate: pkg, ok: false, reason: firstLine(e) });
      continue;
    }
    const why = await tryBackend(loader, 'tensorflow');
    attempts.push({ candidate: pkg, ok: !why, reason: why });
    if (!why) return pkg;
  }
  return undefined;
}

/**
 * Start the backend a training should use. `auto` walks the order above; an explicit
 * choice that cannot start is the user's to fix (one line says why).
 */
export async function selectBackend(param: BackendParam, opts: { env?: NodeJS.ProcessEnv; loader?: BackendLoader } = {}): Promise<BackendChoice> {
  const loader = opts.loader ?? defaultLoader;
  const { requested, by } = requestedBackend(param, opts.env ?? process.env);
  const attempts: BackendAttempt[] = [];
  const done = (name: BackendName, provider: string): BackendChoice => ({ name, provider, attempts, requestedBy: by, requested });
  const where = by === 'param' ? 'backend' : 'SOFTLAB_BACKEND';

  if (requested === 'auto' || requested === 'tensorflow') {
    const pkg = await tryNative(loader, attempts);
    if (pkg) return done('tensorflow', pkg);
    if (requested === 'tensorflow') {
      throw new UserInputError(
        `${where}: tensorflow needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node (${attempts.map((a) => `${a.candidate}: ${a.reason}`).join('; ')}); install one or use backend: auto`,
      );
    }
  }
  if (requested === 'auto' || requested === 'wasm') {
    const why = await tryBackend(loader, 'wasm');
    attempts.push({ candidate: 'wasm', ok: !why, reason: why });
    if (!why) return done('wasm', '@tensorflow/tfjs-backend-wasm');
    if (requested === 'wasm') throw new UserInputError(`${where}: the wasm backend did not start (${why}); use backend: auto or cpu`);
  }
  const why = await tryBackend(loader, 'cpu');
  attempts.push({ candidate: 'cpu', ok: !why, reason: why });
  if (!why) return done('cpu', '@tensorflow/tfjs-backend-cpu');
  throw new Error(`no TensorFlow.js backend could start: ${attempts.map((a) => `${a.candidate}: ${a.reason}`).join('; ')}`);
}
