// The runner's event stream: the only thing renderers (Ink UI, plain lines, JSON)
// see. Events are plain data, so they can cross threads, files and processes.

/** Why a node did not finish. A typed union, so renderers and the summary can say it precisely. */
export type NodeFailure =
  | { kind: 'error'; message: string; stack?: string }
  /** the user's input is wrong (bad CSV row, unreadable image): one line, no stack */
  | { kind: 'input'; message: string }
  | { kind: 'command-exit'; message: string; exitCode: number | null; signal: string | null }
  | { kind: 'missing-output'; message: string }
  | { kind: 'timeout'; message: string; timeoutMs: number }
  | { kind: 'worker-died'; message: string }
  | { kind: 'out-of-memory'; message: string }
  | { kind: 'cache'; message: string }
  /** an input's cache object was corrupt: the producer is recomputed, then this node retried */
  | { kind: 'corrupt-input'; message: string; producerKey: string }
  | { kind: 'cancelled'; message: string };

export type NodeStatus = 'executed' | 'cached' | 'failed' | 'skipped';

/** A node of the run as renderers see it: one unique execution (a key), maybe serving several variants. */
export interface RunNodeInfo {
  key: string;
  name: string;
  type: string;
  /** keys of the nodes it waits for */
  deps: string[];
  /** sweep variants this execution serves (`default` without a sweep) */
  variants: string[];
  /** true when the cache already holds it (known before anything runs) */
  cached: boolean;
}

export interface RunVariantInfo {
  id: string;
  params: Record<string, unknown>;
}

export type RunEvent =
  | {
      type: 'run-started';
      time: number;
      pipeline: string;
      specFile: string;
      nodes: RunNodeInfo[];
      variants: RunVariantInfo[];
      jobs: number;
      cacheDir: string;
      outDir: string;
      executor: string;
    }
  | { type: 'node-queued'; time: number; key: string }
  | { type: 'node-started'; time: number; key: string; worker?: string }
  | { type: 'node-progress'; time: number; key: string; done: number; total: number; label?: string }
  | { type: 'node-log'; time: number; key: string; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'node-cached'; time: number; key: string }
  | { type: 'node-finished'; time: number; key: string; durationMs: number; info?: Record<string, string | number | boolean> }
  | { type: 'node-failed'; time: number; key: string; durationMs: number; failure: NodeFailure; logTail: string[] }
  | { type: 'node-skipped'; time: number; key: string; reason: string }
  /** something the user should know that is not tied to a node failing (e.g. a corrupt cache object recomputed) */
  | { type: 'warning'; time: number; message: string; key?: string }
  | { type: 'run-finished'; time: number; summary: RunSummary };

export interface RunSummaryNode {
  name: string;
  type: string;
  key: string;
  status: NodeStatus;
  durationMs: number;
  variants: string[];
  executor?: string;
  /** the cluster job that ran it (Slurm) */
  jobId?: string;
  info?: Record<string, string | number | boolean>;
  failure?: NodeFailure;
  /** the node's summary.json, when it has one */
  summary?: Record<string, unknown>;
}

export interface RunSummary {
  pipeline: string;
  specFile: string;
  status: 'ok' | 'failed' | 'interrupted';
  startedAt: string;
  durationMs: number;
  counts: { executed: number; cached: number; failed: number; skipped: number };
  nodes: RunSummaryNode[];
  variants: (RunVariantInfo & { status: 'ok' | 'failed' | 'interrupted' })[];
  cacheDir: string;
  outDir: string;
  softlabVersion: string;
}

export type RunEventListener = (event: RunEvent) => void;
