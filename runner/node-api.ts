// The contract between the runner and a node type. A node module in `nodes/`
// default-exports `defineNode({...})`. Node modules are imported when a spec is
// planned (to read their params schema), so their top level must stay cheap:
// heavy libraries (TensorFlow.js, sharp, vega) are imported inside `run`.

import type { Random } from './random.js';

/** A JSON Schema fragment (ajv draft-07 dialect). */
export type JsonSchema = { [key: string]: unknown };

/** The params schema of a node type: an object schema whose properties carry defaults. */
export interface ParamsSchema {
  type: 'object';
  properties: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: false;
  [key: string]: unknown;
}

/** Artifact kinds a port can carry; `file` is a file or folder named in the spec. */
export type ArtifactKind =
  | 'dataset'
  | 'responses'
  | 'workers'
  | 'labels'
  | 'predictions'
  | 'model'
  | 'history'
  | 'metrics'
  | 'files'
  | 'file';

export interface InputPortSpec {
  /** kinds accepted on this port */
  kinds: ArtifactKind[];
  description: string;
  optional?: boolean;
}

export interface OutputPortSpec {
  kind: Exclude<ArtifactKind, 'file'>;
  description: string;
  /** copy this port's files to `<out>/<node>/<port>/` after a run (default false: the report folder always is) */
  publish?: boolean;
}

export interface NodeResources {
  /** worker slots the node occupies (default 1) */
  threads?: number;
  /** run alone: nothing else runs on this machine meanwhile */
  exclusive?: boolean;
  /** memory the node may need, for schedulers that reserve it (Slurm) */
  memoryMb?: number;
  /** GPUs, for schedulers that allocate them */
  gpus?: number;
  /**
   * Expected cost relative to a light node (default 1; a training run is ~100).
   * The scheduler starts cheap ready nodes first, so quick results (the crowd
   * table) do not wait minutes behind long ones that gain little by starting earlier.
   */
  cost?: number;
  /**
   * Run on the scheduler's own thread rather than in a pool worker. For built-in
   * nodes whose work happens in a child process (`command`): handing a node to a
   * worker and its result back costs ~1.5 ms, more than such a node's own
   * bookkeeping, and a pipeline of commands then starts no worker at all.
   */
  inline?: boolean;
}

/** A read-only view of one input: an upstream port's files, or a file/folder the spec names. */
export interface InputHandle {
  readonly origin: 'node' | 'file';
  /** the producing port's kind, or `file` */
  readonly kind: ArtifactKind;
  /** where it came from, for messages: `cafe.dataset` or a spec-relative path */
  readonly source: string;
  /** for `origin: 'file'`: the absolute path the spec named (a file or a folder) */
  readonly filePath?: string;
  /** relative names of the files in this artifact, sorted */
  list(): string[];
  has(rel: string): boolean;
  /** absolute, read-only path of one file (verified against its digest before it is handed out) */
  path(rel: string): Promise<string>;
  readFile(rel: string): Promise<Buffer>;
  readText(rel: string): Promise<string>;
  readJson<T = unknown>(rel: string): Promise<T>;
  /** a folder holding all files of the artifact (links into the cache; do not modify) */
  dir(): Promise<string>;
  /** the SHA-256 of one file when known without reading it (cache inputs) */
  digestOf?(rel: string): string | undefined;
}

/** Where a node writes one output port (or its user-facing report). */
export interface OutputWriter {
  /** the staging folder; libraries that want a path may write into it directly */
  readonly dir: string;
  writeFile(rel: string, data: string | Uint8Array): Promise<void>;
  writeJson(rel: string, value: unknown): Promise<void>;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface NodeContext<P = Record<string, unknown>> {
  /** the node's name in the spec */
  readonly name: string;
  readonly type: string;
  /** the node's cache key */
  readonly key: string;
  /** params after interpolation, with defaults filled in */
  readonly params: P;
  /** the spec file's folder: relative paths in params resolve against it */
  readonly specDir: string;
  /** inputs by port name (for wildcard ports, by the name the spec gives) */
  readonly inputs: Record<string, InputHandle>;
  /** writers by output port name */
  readonly outputs: Record<string, OutputWriter>;
  /** user-facing files: summary.json, charts, tables; copied to `<out>/<node>/` */
  readonly report: OutputWriter;
  /** a private scratch folder, deleted after the node ends */
  readonly workDir: string;
  /** a random source seeded from the node's key (deterministic for a given key) */
  readonly random: Random;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** report progress: `done` of `total`, with a short label such as `epoch 3/12 · loss 0.82` */
  progress(done: number, total: number, label?: string): void;
  /** headline figures: written to `summary.json` in the report folder and kept in the run summary */
  summary(value: Record<string, unknown>): Promise<void>;
  /** small facts about the execution (e.g. `backend: 'wasm'`) recorded in the cache entry and run summary */
  annotate(key: string, value: string | number | boolean): void;
}

export interface NodeDefinition<P = any> {
  type: string;
  /** bump when behaviour changes in ways the source hash cannot see (e.g. a dependency upgrade) */
  version: number;
  description: string;
  /** input ports; the key `*` accepts any other name (e.g. the models of `compare`) */
  inputs: Record<string, InputPortSpec>;
  outputs: Record<string, OutputPortSpec>;
  params: ParamsSchema;
  resources?: NodeResources | ((params: P) => NodeResources);
  /**
   * Files and folders (relative to the spec's folder) whose contents enter the key,
   * e.g. a `command`'s deps or `load-cafe`'s image folder.
   */
  fileDeps?(params: P): string[];
  /**
   * Extra checks on resolved params that a JSON Schema cannot express. Return
   * problems as `{ param, message }`; the runner locates them in the spec.
   */
  check?(params: P): { param: string; message: string }[];
  run(ctx: NodeContext<P>): Promise<void>;
  /**
   * Called when the node's result comes from the cache, to put outputs back where
   * the user expects them (a `command`'s declared outs in the spec's folder).
   */
  restore?(ctx: RestoreContext<P>): Promise<void>;
}

export interface RestoreContext<P = Record<string, unknown>> {
  readonly params: P;
  readonly specDir: string;
  readonly outputs: Record<string, InputHandle>;
  readonly log: Logger;
}

export function defineNode<P>(def: NodeDefinition<P>): NodeDefinition<P> {
  return def;
}

/**
 * A problem with the user's input (a bad CSV row, an undecodable image): shown as
 * one line with no stack trace. `where` is `FILE:ROW` or a path.
 */
export class UserInputError extends Error {
  override readonly name = 'UserInputError';
  constructor(message: string) {
    super(message);
  }
}

/** Throw if the run was cancelled; call between units of work (batches, images). */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}

/** A program the node ran exited with a failure status. */
export class CommandExitError extends Error {
  override readonly name = 'CommandExitError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
  ) {
    super(message);
  }
}

/** The node finished but an output it promised is not there. */
export class MissingOutputError extends Error {
  override readonly name = 'MissingOutputError';
}

export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}
