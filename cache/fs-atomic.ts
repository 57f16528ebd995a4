// Small file-system primitives with the durability the cache promises: a file
// appears complete under its final name or not at all.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { faultPoint } from './faults.js';

/** Write `data` to `file` atomically: temp file in `tmpDir`, fsync, rename. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, tmpDir: string, mode = 0o644): Promise<void> {
  const tmp = path.join(tmpDir, `${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  await mkdir(tmpDir, { recursive: true });
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  faultPoint('atomic:synced');
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * The same, with blocking calls: where nodes run (worker threads, the scheduler's
 * thread for inline nodes, job processes), a node's commit is a dozen tiny file
 * operations and each async one costs a round trip through libuv's thread pool.
 */
const madeDirs = new Set<string>();

/** mkdir -p, once per folder per process (each call costs a system call or two). */
function ensureDirSync(dir: string): void {
  if (madeDirs.has(dir)) return;
  mkdirSync(dir, { recursive: true });
  madeDirs.add(dir);
}

export function writeFileAtomicSync(file: string, data: string | Uint8Array, tmpDir: string, mode = 0o644): void {
  const tmp = path.join(tmpDir, `${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  ensureDirSync(tmpDir);
  writeSyncedFileSync(tmp, data, mode);
  faultPoint('atomic:synced');
  try {
    ensureDirSync(path.dirname(file));
    try {
      renameSync(tmp, file);
    } catch (e) {
      // the folder went away since we made it (a cache emptied by hand): make it again
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(path.dirname(file), { recursive: true });
      renameSync(tmp, file);
    }
  } catch (e) {
    madeDirs.delete(path.dirname(file));
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
}

/**
 * Create `file` (it must not exist), write `data` and fsync it, with blocking
 * calls; its folder is made if missing. On failure nothing is left behind. The
 * descriptor is closed exactly once on every path (a second close could hit a
 * number the thread has reused meanwhile).
 */
export function writeSyncedFileSync(file: string, data: string | Uint8Array, mode = 0o644): void {
  let fd: number;
  try {
    fd = openSync(file, 'wx', mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(path.dirname(file), { recursive: true });
    fd = openSync(file, 'wx', mode);
  }
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(file);
    } catch {
      /* already gone */
    }
    throw e;
  }
  closeSync(fd);
}

export async function removeQuietly(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true }).catch(() => undefined);
}

export function isNoSpace(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
