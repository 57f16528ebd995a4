// Digests: SHA-256 over canonical JSON, files and folders. Everything the cache
// keys or stores is addressed by these, so they must be stable across machines.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * JSON with object keys sorted at every level, so equal values always serialise
 * (and hash) the same. `undefined` members are dropped, as JSON does; numbers use
 * JavaScript's shortest round-trip form; -0 is 0.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error(`cannot hash a non-finite number (${value})`);
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    }
    if (value === undefined) return 'null';
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

export function digestJson(value: unknown): string {
  return sha256(canonicalJson(value));
}

/** Files up to this size are read in one go; larger ones are streamed. */
const SMALL_FILE = 4 << 20;

/** SHA-256 and size of a file; large files are streamed (datasets never sit in memory twice). */
export async function digestFile(file: string): Promise<{ digest: string; size: number }> {
  const fh = await open(file, 'r');
  try {
    return await digestHandle(fh);
  } finally {
    await fh.close();
  }
}

/** SHA-256 and size of an open file, read from its start. */
export async function digestHandle(fh: FileHandle): Promise<{ digest: string; size: number }> {
  const { size } = await fh.stat();
  // most cached files are tiny (summaries, labels): one read, no stream machinery
  if (size <= SMALL_FILE) {
    const buf = await fh.readFile();
    return { digest: createHash('sha256').update(buf).digest('hex'), size: buf.length };
  }
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 20);
  let total = 0;
  for (;;) {
    const { bytesRead } = await fh.read(chunk, 0, chunk.length, total);
    if (bytesRead === 0) break;
    hash.update(chunk.subarray(0, bytesRead));
    total += bytesRead;
  }
  return { digest: hash.digest('hex'), size: total };
}

/** SHA-256 and size of a file with blocking reads: for small files, where an async read costs more than it saves. */
export function digestFileSync(file: string): { digest: string; size: number } {
  const fd = openSync(file, 'r');
  try {
    return digestFdSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 and size of an open file descriptor, read from its start, blocking. */
export function digestFdSync(fd: number): { digest: string; size: number } {
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(Math.min(Math.max(fstatSync(fd).size, 1), 1 << 20));
  let total = 0;
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, total);
    if (n === 0) break;
    hash.update(chunk.subarray(0, n));
    total += n;
  }
  return { digest: hash.digest('hex'), size: total };
}

/**
 * Digest of a file or a folder's contents: for a folder, the sorted relative paths
 * with each file's digest (names and contents matter, timestamps do not).
 */
export async function digestPath(p: string): Promise<string> {
  const st = await stat(p);
  if (!st.isDirectory()) return (await digestFile(p)).digest;
  const parts: string[] = [];
  async function walk(abs: string, rel: string): Promise<void> {
    const entries = (await readdir(abs, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const child = path.join(abs, e.name);
      if (e.isDirectory()) await walk(child, r);
      else parts.push(`${r}\0${(await digestFile(child)).digest}`);
    }
  }
  await walk(p, '');
  return sha256(`dir\n${parts.join('\n')}`);
}
