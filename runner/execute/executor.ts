// The executor interface: how the scheduler hands a node to something that runs
// it. The local worker pool is the first implementation; a cluster executor
// (Slurm) implements the same four members without the scheduler changing.

import type { NodeTask, TaskMessage, TaskResult } from './task.js';

export interface ExecutorCapabilities {
  /** the executor's workers read and write the scheduler's cache directory directly */
  sharesCacheFilesystem: boolean;
  /** how many worker slots it offers (the scheduler never asks for more at once) */
  slots: number;
}

export interface Execution {
  /** settles with the node's result; never rejects */
  readonly result: Promise<TaskResult & { executor: string; jobId?: string }>;
  /** ask the node to stop (between batches, images...); `force` stops it now */
  cancel(force?: boolean): void;
}

export interface SubmitOptions {
  onMessage(m: TaskMessage): void;
  /** fail the node with `timeout` after this long */
  timeoutMs?: number;
}

export interface Executor {
  readonly name: string;
  readonly capabilities: ExecutorCapabilities;
  submit(task: NodeTask, opts: SubmitOptions): Execution;
  /** stop accepting work and release workers */
  close(): Promise<void>;
}
