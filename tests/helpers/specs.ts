// Helpers for tests that build specs: temp folders, the fixture node module,
// and planning a spec text in-process.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPlan, type PlanOptions, type PlanResult } from '../../runner/plan/build.js';
import { formatDiagnostic } from '../../runner/spec/diagnostics.js';
import { loadSpecText } from '../../runner/spec/load.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Absolute path of the `test-emit` fixture node (usable as `type:` in a spec). */
export const EMIT_NODE = path.join(ROOT, 'tests', 'fixtures', 'nodes', 'emit.mjs');

const made: string[] = [];
let cleanupHooked = false;

/** A fresh temp folder, removed when the test process exits (set SOFTLAB_KEEP_TEST_DIRS=1 to keep them). */
export function tempDir(prefix = 'softlab-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  if (!cleanupHooked && !process.env.SOFTLAB_KEEP_TEST_DIRS) {
    cleanupHooked = true;
    process.on('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

export function writeSpec(dir: string, text: string, name = 'spec.yaml'): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Plan a spec text; returns the plan result and the formatted diagnostics. */
export async function planText(text: string | Buffer, opts: PlanOptions = {}, file = 'spec.yaml', dir = tempDir()): Promise<{ result: PlanResult; messages: string[] }> {
  const loaded = await loadSpecText(typeof text === 'string' ? Buffer.from(text) : text, file);
  if (!loaded.ok) return { result: { ok: false, diagnostics: loaded.diagnostics }, messages: loaded.diagnostics.map(formatDiagnostic) };
  const result = await buildPlan({ ...loaded.source, dir }, opts);
  return { result, messages: result.ok ? [] : result.diagnostics.map(formatDiagnostic) };
}
