// Helpers for tests that build specs: temp folders, the fixture node module,
// and planning a spec text in-process.

import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlan, type PlanOptions, type PlanResult } from '../../runner/plan/build.js';
import { formatDiagnostic } from '../../runner/spec/diagnostics.js';
import { loadSpecText } from '../../runner/spec/load.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Absolute path of the `test-emit` fixture node (usable as `type:` in a spec). */
export const EMIT_NODE = path.join(ROOT, 'tests', 'fixtures', 'nodes', 'emit.mjs');

export function tempDir(prefix = 'softlab-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function writeSpec(dir: string, text: string, name = 'spec.yaml'): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Plan a spec text; returns the plan result and the formatted diagnostics. */
export async function planText(text: string | Buffer, opts: PlanOptions = {}, file = 'spec.yaml', dir = tempDir()): Promise<{ result: PlanResult; messages: string[] }> {
  const loaded = loadSpecText(typeof text === 'string' ? Buffer.from(text) : text, file);
  if (!loaded.ok) return { result: { ok: false, diagnostics: loaded.diagnostics }, messages: loaded.diagnostics.map(formatDiagnostic) };
  const result = await buildPlan({ ...loaded.source, dir }, opts);
  return { result, messages: result.ok ? [] : result.diagnostics.map(formatDiagnostic) };
}
