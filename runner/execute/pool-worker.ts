// The piscina worker entry: one node per call. Messages (progress, logs) go back
// over a MessagePort; a `cancel` message aborts the node's signal so it can stop
// cleanly between units of work.

import type { MessagePort } from 'node:worker_threads';
import { runTask } from './run-task.js';
import type { NodeTask, TaskResult } from './task.js';

export default async function runInWorker({ task, port }: { task: NodeTask; port: MessagePort }): Promise<TaskResult> {
  const controller = new AbortController();
  port.on('message', (m: { type: string }) => {
    if (m?.type === 'cancel') controller.abort();
  });
  try {
    return await runTask(task, (m) => port.postMessage(m), controller.signal, { leaveStaging: true });
  } finally {
    port.close();
  }
}
