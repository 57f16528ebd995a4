// Node types by name: the built-ins (nodes/index.ts) and user modules a spec
// names by path (`type: ./my-nodes/foo.js`). Loading returns the definition, the
// module's file, and its code digest (part of every key).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { codeDigest } from '../cache/code-digest.js';
import { BUILTIN_NODE_MODULES } from '../nodes/index.js';
import type { NodeDefinition } from './node-api.js';
import { codeModule } from './package-paths.js';

export interface LoadedNodeType {
  def: NodeDefinition;
  /** absolute path of the module file (what a worker imports) */
  modulePath: string;
  code: string;
  builtin: boolean;
}

export type NodeTypeResult = { ok: true; nodeType: LoadedNodeType } | { ok: false; message: string };

const cache = new Map<string, Promise<NodeTypeResult>>();

export function builtinTypeNames(): string[] {
  return Object.keys(BUILTIN_NODE_MODULES).sort();
}

export function builtinModulePath(type: string): string | undefined {
  const rel = BUILTIN_NODE_MODULES[type];
  return rel ? codeModule(`nodes/${rel.replace(/^\.\//, '').replace(/\.js$/, '')}`) : undefined;
}

export function isModuleReference(type: string): boolean {
  return type.startsWith('./') || type.startsWith('../') || path.isAbsolute(type);
}

/** Load a node type by built-in name or by a module path relative to the spec's folder. */
export function loadNodeType(type: string, specDir: string): Promise<NodeTypeResult> {
  const builtin = builtinModulePath(type);
  const file = builtin ?? (isModuleReference(type) ? path.resolve(specDir, type) : undefined);
  if (!file) return Promise.resolve({ ok: false, message: `unknown node type "${type}"` });
  let p = cache.get(file);
  if (!p) {
    p = importDefinition(file, !!builtin, type);
    cache.set(file, p);
  }
  return p;
}

async function importDefinition(file: string, builtin: boolean, type: string): Promise<NodeTypeResult> {
  if (!existsSync(file)) return { ok: false, message: `node module ${type} not found (looked for ${file})` };
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    return { ok: false, message: `cannot load node module ${type}: ${(e as Error).message.split('\n')[0]}` };
  }
  const def = mod.default as NodeDefinition | undefined;
  const problem = checkDefinition(def);
  if (problem) return { ok: false, message: `node module ${type} ${problem}` };
  return { ok: true, nodeType: { def: def!, modulePath: file, code: codeDigest(file), builtin } };
}

function checkDefinition(def: NodeDefinition | undefined): string | undefined {
  if (!def || typeof def !== 'object') return 'has no default export (export default defineNode({...}))';
  if (typeof def.type !== 'string' || !def.type) return 'definition has no "type"';
  if (typeof def.version !== 'number') return 'definition has no numeric "version"';
  if (typeof def.run !== 'function') return 'definition has no run(ctx) function';
  if (!def.params || def.params.type !== 'object') return 'definition has no params schema ({ type: "object", properties: {...} })';
  if (!def.inputs || typeof def.inputs !== 'object') return 'definition has no "inputs"';
  if (!def.outputs || typeof def.outputs !== 'object') return 'definition has no "outputs"';
  return undefined;
}
