// The content-addressed store. Layout under the cache directory:
//   objects/ab/<sha256>       file contents, read-only, shared by every entry that holds them
//   entries/ab/<key>.json     one per node key: its outputs (port -> file -> object), duration,
//                             logs, softlab version, and a checksum of itself
//   locks/<key>.lock          per-key locks (lock.ts)
//   tmp/<host>-<pid>-<rand>/  staging folders of running nodes; removed when their process is gone
//   runs/                     records of recent runs (for gc and status)
//   views/ab/<key>.<port>/    folder views of a port's files, hard links to its objects (portView)
//
// Commit protocol: every output file is hashed, fsynced and renamed into objects/
// first; the entry is written last, atomically. A process killed at any point
// leaves at worst unreferenced objects or a stale staging folder, never an entry
// that points at something incomplete.

import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { chmodSync, closeSync, constants as fsConstants, copyFileSync, existsSync, linkSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { digestFdSync, digestFile, digestHandle, sha256 } from './hash.js';
import { isNoSpace, removeQuietly, writeFileAtomic, writeFileAtomicSync, writeSyncedFileSync } from './fs-atomic.js';
import { faultPoint } from './faults.js';
import { pidAlive, removeDeadLocks } from './lock.js';

export const ENTRY_FORMAT = 2;

/** Files up to this size are hashed with blocking reads when committed (~1 ms of hashing). */
const BLOCKING_HASH_LIMIT = 1 << 20;

export interface ObjectRef {
  digest: string;
  size: number;
}

export interface PortEntry {
  kind: string;
  /** relative file name -> object */
  files: Record<string, ObjectRef>;
}

/** The report folder is stored as a port of this name. */
export const REPORT_PORT = '_report';

export interface CacheEntry {
  format: number;
  key: string;
  /** node name and type that made it (informational: the key is what matters) */
  name: string;
  type: string;
  createdAt: string;
  durationMs: number;
  softlabVersion: string;
  outputs: Record<string, PortEntry>;
  info: Record<string, string | number | boolean>;
  logs: string[];
  summary?: Record<string, unknown>;
}

/** Why a lookup did not give a usable entry. */
export type CacheMiss =
  | { kind: 'absent' }
  | { kind: 'corrupt-entry'; message: string }
  | { kind: 'missing-object'; message: string };

export type LookupResult = { hit: true; entry: CacheEntry } | { hit: false; miss: CacheMiss };

/** A problem the store reports as a typed value (it crosses into the runner and UI). */
export class CacheError extends Error {
  override readonly name = 'CacheError';
  constructor(
    message: string,
    readonly code: 'no-space' | 'io' | 'corrupt-object',
    readonly detail?: { digest?: string; file?: string },
  ) {
    super(message);
  }
}

function shard(hex: string): string {
  return hex.slice(0, 2);
}

export class CacheStore {
  readonly root: string;
  /** object and view shard folders known to exist (saves a mkdir per stored file) */
  private readonly shards = new Set<string>();

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  objectPath(digest: string): string {
    return path.join(this.root, 'objects', shard(digest), digest);
  }

  entryPath(key: string): string {
    return path.join(this.root, 'entries', shard(key), `${key}.json`);
  }

  lockPath(key: string): string {
    return path.join(this.root, 'locks', `${key}.lock`);
  }

  get tmpRoot(): string {
    return path.join(this.root, 'tmp');
  }

  /** A fresh staging folder owned by this process (blocking: called where nodes run). */
  makeStagingDirSync(label: string): string {
    const dir = path.join(this.tmpRoot, `${os.hostname()}-${process.pid}-${label}-${randomBytes(4).toString('hex')}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Remove this process's staging folders made under `label`: what a worker that
   * was terminated or died (so never ran its own cleanup) leaves behind.
   */
  async removeStaging(label: string): Promise<void> {
    const prefix = `${os.hostname()}-${process.pid}-${label}-`;
    const names = await readdir(this.tmpRoot).catch(() => [] as string[]);
    for (const name of names) if (name.startsWith(prefix)) await removeQuietly(path.join(this.tmpRoot, name));
  }

  /**
   * Read an entry and check it is whole: parseable, checksum right, every object
   * present with its size. Blocking reads: a run looks up every node at its start,
   * and a small file read through the thread pool costs four round trips.
   */
  async lookup(key: string): Promise<LookupResult> {
    let text: string;
    try {
      text = readFileSync(this.entryPath(key), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { hit: false, miss: { kind: 'absent' } };
      return { hit: false, miss: { kind: 'corrupt-entry', message: `cannot read cache entry: ${(e as Error).message}` } };
    }
    const parsed = parseEntry(text, key);
    if ('error' in parsed) return { hit: false, miss: { kind: 'corrupt-entry', message: parsed.error } };
    const entry = parsed.entry;
    for (const port of Object.values(entry.outputs)) {
      for (const [rel, ref] of Object.entries(port.files)) {
        try {
          const st = statSync(this.objectPath(ref.digest));
          if (st.size !== ref.size) {
            return { hit: false, miss: { kind: 'missing-object', message: `object for ${rel} has ${st.size} bytes, expected ${ref.size}` } };
          }
        } catch {
          return { hit: false, miss: { kind: 'missing-object', message: `object for ${rel} is missing` } };
        }
      }
    }
    return { hit: true, entry };
  }

  /** Whether an entry file exists for the key (not whether it is whole: see lookup). */
  hasEntrySync(key: string): boolean {
    return existsSync(this.entryPath(key));
  }

  /** Parse an entry without checking its objects (for readers that verify objects as they read them). */
  async readEntry(key: string): Promise<CacheEntry | undefined> {
    try {
      const parsed = parseEntry(await readFile(this.entryPath(key), 'utf8'), key);
      return 'entry' in parsed ? parsed.entry : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Move the files of staged output folders into objects/ and write the entry.
   * `ports` maps port name -> { kind, dir }. The staged files are consumed.
   */
  async commit(
    meta: Omit<CacheEntry, 'format' | 'outputs' | 'createdAt'>,
    ports: Record<string, { kind: string; dir: string; stored?: Record<string, ObjectRef> }>,
  ): Promise<CacheEntry> {
    const { entry, body } = await this.storeObjects(meta, ports);
    try {
      writeFileAtomicSync(this.entryPath(meta.key), body, this.tmpRoot);
      faultPoint('commit:entry-written');
      return entry;
    } catch (e) {
      throw this.asCacheError(e);
    }
  }

  /**
   * The first half of `commit`: store the objects (each hashed, synced and in
   * place when this returns) and make the entry, without writing it. The caller
   * can use the entry at once (hand it to dependent nodes) and write it with
   * `writeEntry` off its critical path: until then a later lookup misses, and a
   * killed process leaves only unreferenced objects.
   */
  async storeObjects(
    meta: Omit<CacheEntry, 'format' | 'outputs' | 'createdAt'>,
    ports: Record<string, { kind: string; dir: string; stored?: Record<string, ObjectRef> }>,
  ): Promise<{ entry: CacheEntry; body: string }> {
    try {
      // blocking calls for small files on purpose: a small node's commit is a dozen tiny
      // file operations, each a thread-pool round trip otherwise; big files are hashed
      // without blocking, since a commit may run on the scheduler's thread (inline nodes)
      const outputs: Record<string, PortEntry> = {};
      for (const [port, { kind, dir, stored }] of Object.entries(ports)) {
        const files: Record<string, ObjectRef> = {};
        for (const rel of listFilesSync(dir)) {
          const file = path.join(dir, ...rel.split('/'));
          files[rel] = statSync(file).size > BLOCKING_HASH_LIMIT ? await this.putFileAsync(file) : this.putFileSync(file);
        }
        // files stored already (putBytesSync) stand for any staged file of the same name
        const all = stored ? Object.fromEntries(Object.entries({ ...files, ...stored }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : files;
        outputs[port] = { kind, files: all };
      }
      const entry: CacheEntry = { format: ENTRY_FORMAT, ...meta, createdAt: new Date().toISOString(), outputs };
      // the checksum covers the exact bytes of the JSON line: checking it needs no re-serialising
      const json = JSON.stringify(entry);
      faultPoint('commit:objects-stored');
      return { entry, body: `${json}\n${sha256(json)}\n` };
    } catch (e) {
      throw this.asCacheError(e);
    }
  }

  /** The second half of `commit`, without blocking: write the entry `storeObjects` made (temporary file, fsync, rename). */
  async writeEntry(key: string, body: string): Promise<void> {
    try {
      await writeFileAtomic(this.entryPath(key), body, this.tmpRoot);
      faultPoint('commit:entry-written');
    } catch (e) {
      throw this.asCacheError(e);
    }
  }

  private asCacheError(e: unknown): unknown {
    if (isNoSpace(e)) {
      return new CacheError(`no space left on the device of cache directory ${this.root}: free some space (or run "softlab gc") and rerun`, 'no-space');
    }
    return e;
  }

  /**
   * Store bytes as an object without a staging file: nothing is written when an
   * intact object holds them already (a summary many nodes share), else a new
   * object is written, synced and renamed into place as for a staged file.
   */
  putBytesSync(data: Uint8Array): ObjectRef {
    const ref: ObjectRef = { digest: sha256(data), size: data.length };
    if (this.hasIntactObjectSync(ref)) return ref;
    // named host-pid-… like staging folders, so cleanupDeadProcesses removes it if we die here
    const tmp = path.join(this.tmpRoot, `${os.hostname()}-${process.pid}-object-${randomBytes(6).toString('hex')}.tmp`);
    try {
      writeSyncedFileSync(tmp, data);
    } catch (e) {
      throw this.asCacheError(e);
    }
    return this.placeObjectSync(tmp, ref, false);
  }

  /** Move one file into the object store (or drop it if an identical object exists). */
  async putFile(file: string): Promise<ObjectRef> {
    return this.putFileSync(file);
  }

  private putFileSync(file: string): ObjectRef {
    // one descriptor for hashing and syncing, closed exactly once (a second close
    // could hit a descriptor number the thread has reused meanwhile)
    const fd = openSync(file, 'r');
    let ref: ObjectRef;
    let stored: boolean;
    try {
      ref = digestFdSync(fd);
      stored = this.hasIntactObjectSync(ref);
      if (!stored) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return this.placeObjectSync(file, ref, stored);
  }

  /** putFileSync for big files: hashed and synced without blocking the thread (commits on the scheduler's thread). */
  private async putFileAsync(file: string): Promise<ObjectRef> {
    const fh = await open(file, 'r');
    let ref: ObjectRef;
    let stored: boolean;
    try {
      ref = await digestHandle(fh);
      stored = this.hasIntactObjectSync(ref);
      if (!stored) await fh.sync();
    } finally {
      await fh.close();
    }
    return this.placeObjectSync(file, ref, stored);
  }

  /** Whether an object of the right size already holds this content; a wrong-sized one is corrupt and is quarantined. */
  private hasIntactObjectSync(ref: ObjectRef): boolean {
    let existing: number | undefined;
    try {
      existing = statSync(this.objectPath(ref.digest)).size;
    } catch {
      /* absent: store it */
    }
    if (existing === ref.size) return true;
    if (existing !== undefined) this.quarantineSync(ref.digest);
    return false;
  }

  /** Move a hashed, synced staging file into objects/ (or drop it when the object is there already). */
  private placeObjectSync(file: string, ref: ObjectRef, stored: boolean): ObjectRef {
    if (stored) {
      try {
        unlinkSync(file);
      } catch {
        /* already gone */
      }
      return ref;
    }
    const target = this.objectPath(ref.digest);
    chmodSync(file, 0o444);
    const shardDir = path.dirname(target);
    if (!this.shards.has(shardDir)) {
      mkdirSync(shardDir, { recursive: true });
      this.shards.add(shardDir);
    }
    faultPoint('commit:object-synced');
    try {
      renameSync(file, target);
    } catch (e) {
      // the shard folder went away since we made it (a cache emptied by hand)
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(shardDir, { recursive: true });
      renameSync(file, target);
    }
    faultPoint('commit:object-renamed');
    return ref;
  }

  /**
   * Verify an object's digest (the slow, sure check) and return its path.
   * A corrupt object is removed so that recomputation can store a good copy.
   */
  async verifiedObject(ref: ObjectRef, what: string): Promise<string> {
    const p = this.objectPath(ref.digest);
    let actual: { digest: string; size: number };
    try {
      actual = await digestFile(p);
    } catch {
      throw new CacheError(`cache object for ${what} is missing`, 'corrupt-object', { digest: ref.digest, file: p });
    }
    if (actual.digest !== ref.digest || actual.size !== ref.size) {
      await this.quarantine(ref.digest);
      throw new CacheError(`cache object for ${what} is corrupt (digest mismatch); it was removed and will be recomputed`, 'corrupt-object', {
        digest: ref.digest,
        file: p,
      });
    }
    return p;
  }

  private quarantineSync(digest: string): void {
    const aside = path.join(this.tmpRoot, `corrupt-${digest}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(this.tmpRoot, { recursive: true });
      renameSync(this.objectPath(digest), aside);
      unlinkSync(aside);
    } catch {
      /* gone already */
    }
  }

  /** Remove a corrupt object (renamed aside first, so a concurrent reader never sees half of it). */
  async quarantine(digest: string): Promise<void> {
    const p = this.objectPath(digest);
    const aside = path.join(this.tmpRoot, `corrupt-${digest}-${randomBytes(4).toString('hex')}`);
    await mkdir(this.tmpRoot, { recursive: true });
    try {
      await rename(p, aside);
    } catch {
      return;
    }
    await unlink(aside).catch(() => undefined);
  }

  /** Drop an entry (it will be recomputed). */
  async dropEntry(key: string): Promise<void> {
    await unlink(this.entryPath(key)).catch(() => undefined);
  }

  /**
   * Copy (reflink where the file system can) an entry's port files into `dest`,
   * verifying each object. Used to materialise results for people, who may edit
   * them without touching the cache.
   */
  async copyPortTo(entry: CacheEntry, port: string, dest: string): Promise<void> {
    const pe = entry.outputs[port];
    if (!pe) return;
    for (const [rel, ref] of Object.entries(pe.files)) {
      const src = await this.verifiedObject(ref, `${entry.name}.${port}/${rel}`);
      const to = path.join(dest, ...rel.split('/'));
      await mkdir(path.dirname(to), { recursive: true });
      await rm(to, { force: true });
      await copyFile(src, to, fsConstants.COPYFILE_FICLONE);
      await chmod(to, 0o644);
    }
  }

  viewPath(key: string, port: string): string {
    return path.join(this.root, 'views', shard(key), `${key}.${port}`);
  }

  /**
   * A folder view of an entry's port: its files under their names, hard-linked
   * to the objects (copied where links fail), for tools that want a folder (a
   * command's input). Views live under views/ and are built once, then shared by
   * every consumer: a node with two inputs would otherwise make and remove a
   * dozen folders per run. Before a view is handed out, each object is checked
   * with `verify` and each view file must be that object's inode; a view with a
   * file gone or replaced is rebuilt.
   */
  async portView(entry: CacheEntry, port: string, verify: (ref: ObjectRef, what: string) => Promise<string>): Promise<string> {
    const files = Object.entries(entry.outputs[port]?.files ?? {});
    const dir = this.viewPath(entry.key, port);
    const objects: [string, string][] = [];
    let intact = existsSync(dir);
    for (const [rel, ref] of files) {
      const obj = await verify(ref, `${entry.name}.${port}/${rel}`);
      objects.push([rel, obj]);
      if (intact) {
        const v = statSync(path.join(dir, ...rel.split('/')), { throwIfNoEntry: false });
        const o = v && statSync(obj);
        intact = v !== undefined && v.ino === o!.ino && v.dev === o!.dev;
      }
    }
    if (intact) return dir;
    // blocking calls: a handful of folders and links, where nodes run
    const fresh = path.join(this.tmpRoot, `view-${os.hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`);
    const made = new Set<string>();
    mkdirSync(fresh, { recursive: true });
    for (const [rel, obj] of objects) {
      const to = path.join(fresh, ...rel.split('/'));
      const parent = path.dirname(to);
      if (!made.has(parent)) {
        mkdirSync(parent, { recursive: true });
        made.add(parent);
      }
      try {
        linkSync(obj, to);
      } catch {
        copyFileSync(obj, to, fsConstants.COPYFILE_FICLONE);
        chmodSync(to, 0o444);
      }
    }
    const shardDir = path.dirname(dir);
    if (!this.shards.has(shardDir)) {
      mkdirSync(shardDir, { recursive: true });
      this.shards.add(shardDir);
    }
    // swap it in; a view already there (stale, or built meanwhile by another run) is moved aside first
    for (let attempt = 0; ; attempt++) {
      try {
        renameSync(fresh, dir);
        return dir;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || attempt >= 5) {
          rmSync(fresh, { recursive: true, force: true });
          throw e;
        }
        const aside = `${fresh}.old${attempt}`;
        try {
          renameSync(dir, aside);
        } catch {
          /* gone meanwhile: retry */
        }
        rmSync(aside, { recursive: true, force: true });
      }
    }
  }

  /** Remove the views of entries not in `keep` (gc: a view's links would keep removed objects' space in use). */
  async removeViews(keep: Set<string>): Promise<number> {
    let removed = 0;
    for (const { name, file } of await listSharded(path.join(this.root, 'views'))) {
      if (keep.has(name.slice(0, name.indexOf('.')))) continue;
      await rm(file, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  /** `verifiedObject` with blocking reads, for worker threads and job processes. */
  verifiedObjectSync(ref: ObjectRef, what: string): string {
    const p = this.objectPath(ref.digest);
    let actual: { digest: string; size: number };
    try {
      const fd = openSync(p, 'r');
      try {
        actual = digestFdSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      throw new CacheError(`cache object for ${what} is missing`, 'corrupt-object', { digest: ref.digest, file: p });
    }
    if (actual.digest !== ref.digest || actual.size !== ref.size) {
      this.quarantineSync(ref.digest);
      throw new CacheError(`cache object for ${what} is corrupt (digest mismatch); it was removed and will be recomputed`, 'corrupt-object', {
        digest: ref.digest,
        file: p,
      });
    }
    return p;
  }

  /** Remove staging folders and lock files left by processes of this host that no longer exist. */
  async cleanupDeadProcesses(): Promise<number> {
    const host = os.hostname();
    let removed = await removeDeadLocks(path.join(this.root, 'locks'));
    let names: string[] = [];
    try {
      names = await readdir(this.tmpRoot);
    } catch {
      /* no tmp yet */
    }
    for (const name of names) {
      const m = /^(.*)-(\d+)-/.exec(name);
      const pidFromTmpFile = /\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
      let dead = false;
      if (m && m[1] === host) dead = !pidAlive(Number(m[2]));
      else if (pidFromTmpFile) dead = !pidAlive(Number(pidFromTmpFile[1]));
      else if (name.startsWith('corrupt-')) dead = true;
      if (dead) {
        await removeQuietly(path.join(this.tmpRoot, name));
        removed++;
      }
    }
    return removed;
  }

  async listEntryKeys(): Promise<string[]> {
    const files = await listSharded(path.join(this.root, 'entries'));
    return files.filter((f) => f.name.endsWith('.json')).map((f) => f.name.slice(0, -5)).sort();
  }

  async listObjects(): Promise<{ digest: string; file: string }[]> {
    return (await listSharded(path.join(this.root, 'objects'))).map((f) => ({ digest: f.name, file: f.file }));
  }
}

/** An entry file is its JSON on one line, then the SHA-256 of that line. */
function parseEntry(text: string, key: string): { entry: CacheEntry } | { error: string } {
  const trimmed = text.replace(/\n+$/, '');
  const nl = trimmed.lastIndexOf('\n');
  if (nl < 0) return { error: 'cache entry has no checksum' };
  const body = trimmed.slice(0, nl);
  if (sha256(body) !== trimmed.slice(nl + 1)) return { error: 'cache entry checksum mismatch' };
  let e: CacheEntry;
  try {
    e = JSON.parse(body) as CacheEntry;
  } catch {
    return { error: 'cache entry is not valid JSON' };
  }
  if (!e || typeof e !== 'object') return { error: 'cache entry is not an object' };
  if (e.format !== ENTRY_FORMAT) return { error: `cache entry format ${String(e.format)} is not ${ENTRY_FORMAT}` };
  if (e.key !== key) return { error: 'cache entry is filed under the wrong key' };
  return { entry: e };
}

function listFilesSync(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string): void => {
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(abs, e.name), r);
      else if (e.isFile()) out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** The files of a two-level sharded folder (`ab/abcdef...`); a missing folder is empty. */
async function listSharded(base: string): Promise<{ name: string; file: string }[]> {
  const out: { name: string; file: string }[] = [];
  const shards = await readdir(base).catch(() => [] as string[]);
  for (const s of shards) {
    for (const f of await readdir(path.join(base, s)).catch(() => [] as string[])) out.push({ name: f, file: path.join(base, s, f) });
  }
  return out;
}
