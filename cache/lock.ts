// Per-key locks, so two runs on one cache compute each key once. A lock is a file
// created with O_EXCL holding its owner; the owner refreshes its mtime while it
// works. A lock whose owner process is gone (same host), or whose mtime has not
// moved for STALE_MS (another host, e.g. a cluster node), is stale and is taken over.

import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { faultPoint } from './faults.js';
import { writeSyncedFileSync } from './fs-atomic.js';

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

const lockDirs = new Set<string>();

/** Try once to take the lock; undefined when someone else holds it. */
export async function tryLock(file: string): Promise<HeldLock | undefined> {
  const dir = path.dirname(file);
  if (!lockDirs.has(dir)) {
    await mkdir(dir, { recursive: true });
    lockDirs.add(dir);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    const owner = await createWithOwner(file);
    if (owner) {
      faultPoint('lock:taken');
      return makeHeld(file, owner.token);
    }
    if (!(await isStale(file))) return undefined;
    await breakStaleLock(file);
  }
  return undefined;
}

/** This process's owner file in each locks folder (every lock it takes there is a hard link to it). */
const ownerFiles = new Map<string, { file: string; owner: LockOwner }>();
let ownerCleanup = false;

function ownerFileIn(dir: string): { file: string; owner: LockOwner } {
  const known = ownerFiles.get(dir);
  if (known) return known;
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), token: randomBytes(8).toString('hex'), since: new Date().toISOString() };
  // named like a half-made lock of this pid, which removeDeadLocks clears once the process is gone
  const file = path.join(dir, `owner.lock.${process.pid}.${owner.token}.tmp`);
  // synced: written once per process, and an owner must never read back empty
  writeSyncedFileSync(file, JSON.stringify(owner));
  faultPoint('lock:owner-written');
  const made = { file, owner };
  ownerFiles.set(dir, made);
  if (!ownerCleanup) {
    ownerCleanup = true;
    process.once('exit', () => {
      for (const o of ownerFiles.values()) {
        try {
          unlinkSync(o.file);
        } catch {
          /* gone */
        }
      }
    });
  }
  return made;
}

/**
 * Create the lock file with its owner already in it: a hard link to this
 * process's owner file (written once), which fails if the lock exists. One
 * link per lock, where writing a fresh owner file each time cost four more file
 * operations; and a process killed half-way leaves no empty lock file, which
 * another run could only judge by age (STALE_MS). Returns the owner, or
 * undefined when the lock is held.
 */
async function createWithOwner(file: string): Promise<LockOwner | undefined> {
  // blocking calls: tiny operations per node on the scheduler's thread cost
  // microseconds this way, a millisecond through the thread pool
  const dir = path.dirname(file);
  for (let attempt = 0; ; attempt++) {
    const { file: ownerFile, owner } = ownerFileIn(dir);
    try {
      linkSync(ownerFile, file);
      return owner;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') return undefined;
      if (NO_HARD_LINKS.has(code)) {
        try {
          await createInPlace(file, owner);
          return owner;
        } catch (e2) {
          if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
          throw e2;
        }
      }
      // our owner file (or the whole folder) was removed behind our back: make it again
      if (code !== 'ENOENT' || attempt >= 1) throw e;
      ownerFiles.delete(dir);
    }
  }
}

/** What link() says on file systems without hard links (some network and FUSE mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** The fallback without hard links: create the lock exclusively, then write its owner (removed again if that fails). */
async function createInPlace(file: string, owner: LockOwner): Promise<void> {
  const fh = await open(file, 'wx');
  try {
    await fh.writeFile(JSON.stringify(owner));
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(file).catch(() => undefined);
    throw e;
  }
  await fh.close();
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

/**
 * Remove what processes of this host that no longer exist left in a locks
 * folder: their locks (moved aside with the same care as breaking a stale lock,
 * so a live run's fresh lock is never removed) and their half-made lock files.
 * Returns how many were removed.
 */
export async function removeDeadLocks(dir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    const leftover = /\.lock\.(?:stale\.)?(\d+)\.[0-9a-f]+(?:\.tmp)?$/.exec(name);
    if (leftover) {
      if (!pidAlive(Number(leftover[1]))) {
        await unlink(file).catch(() => undefined);
        removed++;
      }
    } else if (name.endsWith('.lock')) {
      const owner = await readOwner(file);
      if (owner && owner.host === os.hostname() && !pidAlive(owner.pid)) {
        await breakStaleLock(file);
        removed++;
      }
    }
  }
  return removed;
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
      // blocking: one small read and an unlink, on the scheduler's thread
      try {
        if (stillOurs()) unlinkSync(file);
      } catch {
        /* already gone */
      }
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
