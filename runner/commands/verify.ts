// `softlab verify`: re-hash every object and check every entry; list what is
// corrupt (exit 1 if anything is). Nothing is changed: a corrupt entry is
// recomputed by the next run that needs it.

import { readFile } from 'node:fs/promises';
import { digestFile } from '../../cache/hash.js';
import { CacheStore } from '../../cache/store.js';
import { resolveCacheDir } from '../cli/args.js';
import { EXIT } from '../cli/exit.js';

export interface VerifyFinding {
  kind: 'corrupt-object' | 'corrupt-entry' | 'missing-object';
  path: string;
  message: string;
  /** node name, where an entry tells it */
  node?: string;
}

export async function verifyCache(store: CacheStore): Promise<{ objects: number; entries: number; findings: VerifyFinding[] }> {
  const findings: VerifyFinding[] = [];
  const objects = await store.listObjects();
  const good = new Set<string>();
  for (const { digest, file } of objects) {
    try {
      const d = await digestFile(file);
      if (d.digest === digest) good.add(digest);
      else findings.push({ kind: 'corrupt-object', path: file, message: 'content does not match its digest' });
    } catch (e) {
      findings.push({ kind: 'corrupt-object', path: file, message: `unreadable: ${(e as Error).message}` });
    }
  }
  const keys = await store.listEntryKeys();
  for (const key of keys) {
    const file = store.entryPath(key);
    const r = await store.lookup(key);
    if (!r.hit) {
      if (r.miss.kind === 'absent') continue;
      let node: string | undefined;
      try {
        node = (JSON.parse((await readFile(file, 'utf8')).split('\n')[0]) as { name?: string }).name;
      } catch {
        /* garbage entry: no name to give */
      }
      findings.push({ kind: r.miss.kind === 'corrupt-entry' ? 'corrupt-entry' : 'missing-object', path: file, message: r.miss.message, node });
      continue;
    }
    for (const [port, pe] of Object.entries(r.entry.outputs)) {
      for (const [rel, ref] of Object.entries(pe.files)) {
        if (!good.has(ref.digest)) {
          findings.push({ kind: 'corrupt-object', path: file, message: `${port}/${rel} refers to a corrupt object ${ref.digest.slice(0, 12)}`, node: r.entry.name });
        }
      }
    }
  }
  return { objects: objects.length, entries: keys.length, findings };
}

export async function verifyCommand(opts: { json?: boolean; cacheDir?: string }): Promise<number> {
  const store = new CacheStore(resolveCacheDir(opts.cacheDir));
  const r = await verifyCache(store);
  if (opts.json) process.stdout.write(JSON.stringify({ cacheDir: store.root, ...r }, null, 2) + '\n');
  else {
    for (const f of r.findings) process.stdout.write(`${f.kind}: ${f.path}${f.node ? ` (node "${f.node}")` : ''}: ${f.message}\n`);
    process.stdout.write(`${store.root}: ${r.objects} objects, ${r.entries} entries, ${r.findings.length ? `${r.findings.length} problem${r.findings.length === 1 ? '' : 's'}` : 'all good'}\n`);
  }
  return r.findings.length ? EXIT.failed : EXIT.ok;
}
