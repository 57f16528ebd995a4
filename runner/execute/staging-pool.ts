// Staging folders reused from one node to the next on the scheduler's thread
// (inline nodes). Making a node's folders and removing them afterwards is about
// twenty file-system operations, a millisecond or more on a busy disk, for nodes
// whose whole run can be a few milliseconds. After a commit a staging folder
// usually holds nothing but empty folders: those below its skeleton are pruned
// and the folder is handed to the next node; one with files left in it is removed.

import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { CacheStore } from '../../cache/store.js';

/** The folders every task makes (run-task.ts), kept between nodes. */
const SKELETON = new Set(['work', 'report', 'out']);

export class StagingPool {
  private readonly free: string[] = [];

  constructor(private readonly store: CacheStore) {}

  acquire(label: string): string {
    return this.free.pop() ?? this.store.makeStagingDirSync(label);
  }

  /** Take a folder back after its node: reused when only empty folders were left in it, removed otherwise. */
  release(dir: string): void {
    if (pruneEmpty(dir, 0)) this.free.push(dir);
    else rmSync(dir, { recursive: true, force: true });
  }

  /** Remove the folders kept for reuse. */
  close(): void {
    for (const dir of this.free.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Remove the empty folders under `dir` below the skeleton (work/, report/,
 * out/<port>/). Returns false, leaving the rest, as soon as a file is found.
 */
function pruneEmpty(dir: string, depth: number): boolean {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    if (!e.isDirectory()) return false;
    const child = path.join(dir, e.name);
    const keep = depth === 0 ? SKELETON.has(e.name) : depth === 1 && path.basename(dir) === 'out';
    if (depth === 0 && !keep) return false;
    if (!pruneEmpty(child, depth + 1)) return false;
    if (!keep) rmdirSync(child);
  }
  return true;
}
