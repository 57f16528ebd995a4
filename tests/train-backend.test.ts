// Backend choice: the `auto` order (tfjs-node-gpu, tfjs-node, wasm, cpu) with the
// reason each one was passed over, SOFTLAB_BACKEND overriding `auto`, one-line
// errors for an explicit choice that cannot start; and wasm training inside a
// worker_threads Worker, where the runner's piscina pool runs nodes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { requestedBackend, selectBackend, type BackendLoader } from '../nodes/train/backend.js';

function fakeLoader(available: { modules?: string[]; backends?: string[] }): BackendLoader & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async importModule(name) {
      calls.push(`import ${name}`);
      if (!(available.modules ?? []).includes(name)) throw new Error(`Cannot find package '${name}'\n    at somewhere`);
      return {};
    },
    async setBackend(name) {
      calls.push(`set ${name}`);
      if (name === 'wasm' && !(available.backends ?? []).includes('wasm')) throw new Error('wasm: no SIMD here');
      return (available.backends ?? []).includes(name);
    },
  };
}

test('auto without tfjs-node: wasm, with the reasons for the native packages', async () => {
  const loader = fakeLoader({ backends: ['wasm', 'cpu'] });
  const c = await selectBackend('auto', { env: {}, loader });
  assert.is(c.name, 'wasm');
  assert.is(c.provider, '@tensorflow/tfjs-backend-wasm');
  assert.equal(loader.calls, ['import @tensorflow/tfjs-node-gpu', 'import @tensorflow/tfjs-node', 'set wasm']);
  assert.equal(
    c.attempts.map((a) => [a.candidate, a.ok]),
    [['@tensorflow/tfjs-node-gpu', false], ['@tensorflow/tfjs-node', false], ['wasm', true]],
  );
  assert.is(c.attempts[0].reason, "Cannot find package '@tensorflow/tfjs-node-gpu'");
});

test('auto takes tfjs-node-gpu first, then tfjs-node, when they load', async () => {
  const gpu = await selectBackend('auto', { env: {}, loader: fakeLoader({ modules: ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'], backends: ['tensorflow', 'wasm'] }) });
  assert.is(gpu.name, 'tensorflow');
  assert.is(gpu.provider, '@tensorflow/tfjs-node-gpu');
  const node = await selectBackend('auto', { env: {}, loader: fakeLoader({ modules: ['@tensorflow/tfjs-node'], backends: ['tensorflow', 'wasm'] }) });
  assert.is(node.provider, '@tensorflow/tfjs-node');
  assert.is(node.attempts.length, 2);
});

test('auto falls back to cpu when wasm cannot start', async () => {
  const c = await selectBackend('auto', { env: {}, loader: fakeLoader({ backends: ['cpu'] }) });
  assert.is(c.name, 'cpu');
  assert.equal(c.attempts.map((a) => a.candidate), ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', 'wasm', 'cpu']);
  assert.is(c.attempts[2].reason, 'wasm: no SIMD here');
});

test('SOFTLAB_BACKEND overrides auto only; bad values and impossible choices say what to do', async () => {
  assert.equal(requestedBackend('auto', { SOFTLAB_BACKEND: 'cpu' }), { requested: 'cpu', by: 'SOFTLAB_BACKEND' });
  assert.equal(requestedBackend('wasm', { SOFTLAB_BACKEND: 'cpu' }), { requested: 'wasm', by: 'param' });
  const c = await selectBackend('auto', { env: { SOFTLAB_BACKEND: 'cpu' }, loader: fakeLoader({ backends: ['wasm', 'cpu'] }) });
  assert.is(c.name, 'cpu');
  assert.is(c.requestedBy, 'SOFTLAB_BACKEND');
  assert.throws(() => requestedBackend('auto', { SOFTLAB_BACKEND: 'gpu' }), /^SOFTLAB_BACKEND=gpu is not a backend: use one of auto, tensorflow, wasm, cpu$/);
  await selectBackend('tensorflow', { env: {}, loader: fakeLoader({ backends: ['wasm'] }) }).then(
    () => assert.unreachable(),
    (e) => {
      assert.is(e.name, 'UserInputError');
      assert.match(e.message, /^backend: tensorflow needs @tensorflow\/tfjs-node-gpu or @tensorflow\/tfjs-node .*use backend: auto$/);
      assert.not.match(e.message, /\n/);
    },
  );
  await selectBackend('wasm', { env: {}, loader: fakeLoader({ backends: ['cpu'] }) }).then(
    () => assert.unreachable(),
    (e) => assert.match(e.message, /^backend: the wasm backend did not start \(wasm: no SIMD here\)/),
  );
});

test('the real auto here: tfjs-node is absent, wasm starts', async () => {
  const c = await selectBackend('auto', { env: {} });
  assert.is(c.name, 'wasm');
  assert.ok(c.attempts.slice(0, 2).every((a) => !a.ok && /tfjs-node/.test(a.reason ?? '')));
});

test('wasm trains inside a worker thread', async () => {
  // a worker entry written for the occasion, importing the project by absolute URL;
  // Node 20 does not pass tsx's hooks on to workers, so the entry registers tsx itself
  // (as the runner's pool-worker-dev.mjs does)
  const root = fileURLToPath(new URL('..', import.meta.url));
  const req = createRequire(import.meta.url);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'softlab-train-worker-'));
  const entry = path.join(dir, 'entry.mjs');
  await writeFile(
    entry,
    `import { parentPort } from 'node:worker_threads';
     const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});
     register();
     const run = await import(${JSON.stringify(pathToFileURL(path.join(root, 'nodes/train/run.ts')).href)});
     const tf = await import(${JSON.stringify(pathToFileURL(req.resolve('@tensorflow/tfjs-core')).href)});
     try {
       const choice = await run.startBackend('wasm');
       const x = tf.randomNormal([2, 8, 8, 3]);
       const w = tf.randomNormal([3, 3, 3, 4]);
       const [gx, gw] = tf.grads((a, b) => tf.sum(tf.square(tf.conv2d(a, b, 2, 'same'))))([x, w]);
       parentPort.postMessage({ backend: tf.getBackend(), name: choice.name, gw: gw.shape, finite: gw.dataSync().every(Number.isFinite) && gx.dataSync().every(Number.isFinite) });
     } catch (e) {
       parentPort.postMessage({ error: String(e && e.stack || e) });
     }
    `,
  );
  const worker = new Worker(entry);
  try {
    const msg = await new Promise<Record<string, unknown>>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.is(msg.error, undefined, String(msg.error));
    assert.equal(msg, { backend: 'wasm', name: 'wasm', gw: [3, 3, 3, 4], finite: true });
  } finally {
    await worker.terminate();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
