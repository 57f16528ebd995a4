// A node's cache key: a pure function of what determines its outputs. Inputs
// enter by their producers' keys (Merkle), so every key in a pipeline is known
// before anything runs: `--dry-run` and `status` are exact, and equal keys in
// different sweep variants are one execution.

import { digestJson } from './hash.js';

export type KeyInput =
  /** an upstream node's output port */
  | { node: string; port: string }
  /** a file or folder named in the spec, by content */
  | { file: string };

export interface KeyParts {
  type: string;
  version: number;
  /** digest of the node module's source closure */
  code: string;
  /** resolved params, defaults filled */
  params: Record<string, unknown>;
  /** by port name: upstream key + port, or a file content digest */
  inputs: Record<string, KeyInput>;
  /** digests of files the params name (a command's deps, a data folder), by spec-relative path */
  files: Record<string, string>;
}

export const KEY_FORMAT = 1;

export function nodeKey(parts: KeyParts): string {
  return digestJson({ format: KEY_FORMAT, ...parts });
}

/** What differs between two key derivations: the reasons a node is stale. */
export function keyDifferences(prev: KeyParts, next: KeyParts): string[] {
  const out: string[] = [];
  if (prev.type !== next.type) out.push(`type changed (${prev.type} → ${next.type})`);
  if (prev.version !== next.version) out.push(`node version changed (${prev.version} → ${next.version})`);
  if (prev.code !== next.code) out.push('code changed');
  const pk = new Set([...Object.keys(prev.params), ...Object.keys(next.params)]);
  const changed = [...pk].filter((k) => digestJson(prev.params[k]) !== digestJson(next.params[k]));
  if (changed.length) {
    out.push(
      `params changed (${changed
        .map((k) => `${k}: ${short(prev.params[k])} → ${short(next.params[k])}`)
        .join(', ')})`,
    );
  }
  const ik = new Set([...Object.keys(prev.inputs), ...Object.keys(next.inputs)]);
  const inChanged = [...ik].filter((k) => digestJson(prev.inputs[k]) !== digestJson(next.inputs[k]));
  if (inChanged.length) out.push(`inputs changed (${inChanged.join(', ')})`);
  const fk = new Set([...Object.keys(prev.files), ...Object.keys(next.files)]);
  const fChanged = [...fk].filter((k) => prev.files[k] !== next.files[k]);
  if (fChanged.length) out.push(`files changed (${fChanged.join(', ')})`);
  return out;
}

function short(v: unknown): string {
  if (v === undefined) return '(unset)';
  const s = JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}
