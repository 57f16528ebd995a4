// What crosses from the scheduler to wherever a node runs (a worker thread, a
// Slurm job): plain, serialisable data.

import type { CacheEntry } from '../../cache/store.js';
import type { NodeFailure } from '../events.js';
import type { ArtifactKind } from '../node-api.js';

export type TaskInput =
  | { origin: 'node'; key: string; port: string; name: string; kind: ArtifactKind }
  | { origin: 'file'; path: string; source: string; digest: string };

export interface NodeTask {
  key: string;
  name: string;
  type: string;
  /** absolute path of the node module */
  modulePath: string;
  params: Record<string, unknown>;
  specDir: string;
  cacheDir: string;
  inputs: Record<string, TaskInput>;
  outputs: Record<string, { kind: string }>;
  softlabVersion: string;
  /** run on the caller's thread (the node's `resources.inline`) where the executor can */
  inline?: boolean;
  /**
   * The cache entries of the producers of node inputs, by key, as the scheduler
   * holds them: the node need not read and re-check them from disk. A producer
   * missing here is read from the cache.
   */
  inputEntries?: Record<string, CacheEntry>;
}

/** Messages a running node sends back while it works. */
export type TaskMessage =
  | { type: 'progress'; done: number; total: number; label?: string }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string };

export type TaskResult = (
  | {
      ok: true;
      entry: CacheEntry;
      /** still writing the entry (a node run on the caller's thread returns before); resolves once it is stored */
      persisted?: Promise<void>;
    }
  | { ok: false; failure: NodeFailure; logTail: string[] }
) & {
  /** the task's staging folder, when the runner asked to remove it itself (runTask's `leaveStaging`) */
  staging?: string;
};

/** How a task's staging folder under the cache's tmp/ is labelled (the pool removes it if the worker dies). */
export function stagingLabel(task: Pick<NodeTask, 'key'>): string {
  return task.key.slice(0, 12);
}
