// Per-key locks, so two runs on one cache compute each key once. A lock is a file
// created with O_EXCL holding its owner; the owner refreshes its mtime while it
// works. A lock whose owner process is gone (same host), or whose mtime has not
// moved for STALE_MS (another host, e.g. a cluster node), is stale and is taken over.

import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 30_000;

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  since: string;
}

export interface HeldLock {
  readonly file: string;
  release(): Promise<void>;
  /** synchronous release, for process exit paths */
  releaseSync(): void;
}

const held = new Set<HeldLock>();

/** Release every lock this process holds (on forced exit). */
export function releaseAllLocksSync(): void {
  for (const l of [...held]) l.releaseSync();
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

export async function isStale(file: string): Promise<boolean> {
  let st;
  try {
    st = await stat(file);
  } catch {
    return false; // gone: not stale, just free
  }
  const owner = await readOwner(file);
  if (owner && owner.host === os.hostname()) return !pidAlive(owner.pid);
  // unreadable (a crash mid-write) or another host's: judge by heartbeat age
  return Date.now() - st.mtimeMs > STALE_MS;
}

/** Try once to take the lock; undefined when someone else holds it. */
export async function tryLock(file: string): Promise<HeldLock | undefined> {
  await mkdir(path.dirname(file), { recursive: true });
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx');
      try {
        await fh.writeFile(JSON.stringify(owner));
      } finally {
        await fh.close();
      }
      return makeHeld(file, owner.token);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    if (!(await isStale(file))) return undefined;
    await breakStaleLock(file);
  }
  return undefined;
}

/**
 * Remove a stale lock without racing another breaker: move it aside under a
 * unique name (only one mover succeeds), check that what we moved is the stale
 * lock we judged, and put it back if it was a fresh one.
 */
async function breakStaleLock(file: string): Promise<void> {
  const before = await readOwner(file);
  const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(file, aside);
  } catch {
    return;
  }
  const moved = await readOwner(aside);
  if (before && moved && moved.token !== before.token) {
    await link(aside, file).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

function makeHeld(file: string, token: string): HeldLock {
  let released = false;
  const timer = setInterval(() => {
    const now = new Date();
    utimes(file, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  const stillOurs = (): boolean => {
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as LockOwner).token === token;
    } catch {
      return false;
    }
  };
  const lock: HeldLock = {
    file,
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      held.delete(lock);
      if (stillOurs()) await unlink(file).catch(() => undefined);
    },
    releaseSync() {
      if (released) return;
      released = true;
      clearInterval(timer);
      held.delete(lock);
      try {
        if (stillOurs()) unlinkSync(file);
      } catch {
        /* already gone */
      }
    },
  };
  held.add(lock);
  return lock;
}

/** Wait until the lock is ours, polling; returns undefined if `signal` aborts first. */
export async function waitLock(file: string, signal: AbortSignal, pollMs = 100): Promise<HeldLock | undefined> {
  for (;;) {
    if (signal.aborted) return undefined;
    const l = await tryLock(file);
    if (l) return l;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
