// Input handles and output writers backed by plain folders: how a node writes its
// outputs (into a staging folder the cache commits afterwards), how a file or
// folder named in a spec is read, and what tests use to run a node directly.

import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactKind, InputHandle, OutputWriter } from './node-api.js';

export function folderOutput(dir: string): OutputWriter {
  const resolve = (rel: string): string => {
    const abs = path.resolve(dir, rel);
    if (abs !== dir && !abs.startsWith(dir + path.sep)) throw new Error(`output path escapes its folder: ${rel}`);
    return abs;
  };
  // folders this writer has made: each is created once, not before every file
  const made = new Set<string>();
  const write = async (rel: string, data: string | Uint8Array): Promise<void> => {
    const abs = resolve(rel);
    const parent = path.dirname(abs);
    if (!made.has(parent)) {
      await mkdir(parent, { recursive: true });
      made.add(parent);
    }
    await writeFile(abs, data);
  };
  return {
    dir,
    writeFile: write,
    writeJson: (rel, value) => write(rel, JSON.stringify(value, null, 1) + '\n'),
  };
}

/** Relative paths of every regular file under `dir`, sorted, with `/` separators. */
export async function listFilesRecursive(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(abs: string, rel: string): Promise<void> {
    const entries = await readdir(abs, { withFileTypes: true });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(abs, e.name), r);
      else if (e.isFile() || e.isSymbolicLink()) out.push(r);
    }
  }
  await walk(dir, '');
  return out.sort();
}

/**
 * A handle on a file or folder the spec names (`{ file: data/human.csv }`), or on
 * any plain folder. A single file appears as one entry named by its base name.
 */
export async function fileInput(absPath: string, source: string, kind: ArtifactKind = 'file'): Promise<InputHandle> {
  const st = await stat(absPath);
  const isDir = st.isDirectory();
  const root = isDir ? absPath : path.dirname(absPath);
  const files = isDir ? await listFilesRecursive(absPath) : [path.basename(absPath)];
  const set = new Set(files);
  const abs = (rel: string): string => {
    if (!set.has(rel)) throw new Error(`${source} has no file ${rel}`);
    return path.join(root, rel);
  };
  return {
    origin: 'file',
    kind,
    source,
    filePath: absPath,
    list: () => files,
    has: (rel) => set.has(rel),
    path: async (rel) => abs(rel),
    readFile: async (rel) => readFile(abs(rel)),
    readText: async (rel) => readFile(abs(rel), 'utf8'),
    readJson: async <T>(rel: string) => JSON.parse(await readFile(abs(rel), 'utf8')) as T,
    dir: async () => root,
  };
}

/** A handle on a folder as if an upstream node had produced it (tests, `softlab exec`). */
export async function folderInput(dir: string, kind: ArtifactKind, source: string): Promise<InputHandle> {
  const h = await fileInput(dir, source, kind);
  return { ...h, origin: 'node', filePath: undefined };
}
