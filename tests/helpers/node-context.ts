// Run a node's `run()` directly, without the runner or the cache: inputs are
// folders, outputs land in a temp folder. For unit tests of node types.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { folderOutput } from '../../runner/folder-io.js';
import type { InputHandle, NodeContext, NodeDefinition } from '../../runner/node-api.js';
import { Random } from '../../runner/random.js';
import { fillParams } from '../../runner/spec/params.js';

export interface TestRun<P> {
  ctx: NodeContext<P>;
  /** folder per output port, plus `report` */
  outDirs: Record<string, string>;
  logs: string[];
  progress: { done: number; total: number; label?: string }[];
  summary?: Record<string, unknown>;
  info: Record<string, string | number | boolean>;
  cleanup(): Promise<void>;
}

export async function makeTestContext<P>(
  def: NodeDefinition<P>,
  opts: { params?: Record<string, unknown>; inputs?: Record<string, InputHandle>; specDir?: string; name?: string; signal?: AbortSignal } = {},
): Promise<TestRun<P>> {
  const root = await mkdtemp(path.join(os.tmpdir(), `softlab-test-${def.type}-`));
  const outDirs: Record<string, string> = {};
  const outputs: Record<string, ReturnType<typeof folderOutput>> = {};
  for (const port of Object.keys(def.outputs)) {
    outDirs[port] = path.join(root, 'out', port);
    outputs[port] = folderOutput(outDirs[port]);
  }
  outDirs.report = path.join(root, 'report');
  const report = folderOutput(outDirs.report);
  const params = fillParams(def, opts.params ?? {}) as P;
  const run: TestRun<P> = {
    outDirs,
    logs: [],
    progress: [],
    info: {},
    cleanup: () => rm(root, { recursive: true, force: true }),
    ctx: undefined as unknown as NodeContext<P>,
  };
  run.ctx = {
    name: opts.name ?? def.type,
    type: def.type,
    key: `test-${def.type}`,
    params,
    specDir: opts.specDir ?? process.cwd(),
    inputs: opts.inputs ?? {},
    outputs,
    report,
    workDir: path.join(root, 'work'),
    random: new Random(`test-${def.type}`),
    log: {
      info: (m) => run.logs.push(`info: ${m}`),
      warn: (m) => run.logs.push(`warn: ${m}`),
      error: (m) => run.logs.push(`error: ${m}`),
    },
    signal: opts.signal ?? new AbortController().signal,
    progress: (done, total, label) => run.progress.push({ done, total, label }),
    summary: async (value) => {
      run.summary = value;
      await report.writeJson('summary.json', value);
    },
    annotate: (k, v) => {
      run.info[k] = v;
    },
  };
  const { mkdir } = await import('node:fs/promises');
  await mkdir(run.ctx.workDir, { recursive: true });
  return run;
}
