// InputHandles over cache entries: what a node reads when its input is another
// node's output. Every object is digest-checked the first time it is handed out
// in this process; a corrupt one surfaces as CorruptInputError naming its producer.

import { readFile } from 'node:fs/promises';
import { CacheError, type CacheEntry, type CacheStore, type ObjectRef } from '../../cache/store.js';
import type { ArtifactKind, InputHandle } from '../node-api.js';

export class CorruptInputError extends Error {
  override readonly name = 'CorruptInputError';
  constructor(
    message: string,
    readonly producerKey: string,
  ) {
    super(message);
  }
}

const verified = new Set<string>();

/** Objects up to this size are verified with blocking reads where blocking is allowed. */
const BLOCKING_VERIFY_LIMIT = 1 << 20;

/**
 * `blocking`: verify small objects with blocking reads (where a node runs: it
 * saves thread-pool round trips).
 */
export function cacheInput(store: CacheStore, entry: CacheEntry, port: string, kind: ArtifactKind, source: string, blocking = false): InputHandle {
  const pe = entry.outputs[port];
  const files = pe ? Object.keys(pe.files).sort() : [];
  const set = new Set(files);
  const verify = async (ref: ObjectRef, what: string): Promise<string> => {
    if (verified.has(ref.digest)) return store.objectPath(ref.digest);
    try {
      // big objects never block: a node may run on the scheduler's thread (resources.inline)
      const p = blocking && ref.size <= BLOCKING_VERIFY_LIMIT ? store.verifiedObjectSync(ref, what) : await store.verifiedObject(ref, what);
      verified.add(ref.digest);
      return p;
    } catch (e) {
      if (e instanceof CacheError) throw new CorruptInputError(`input ${source}: ${e.message}`, entry.key);
      throw e;
    }
  };
  const objectFor = async (rel: string): Promise<string> => {
    if (!set.has(rel)) throw new Error(`input ${source} has no file "${rel}" (it has: ${files.slice(0, 8).join(', ')}${files.length > 8 ? ', ...' : ''})`);
    return verify(pe!.files[rel], `${source}/${rel}`);
  };
  let dirPromise: Promise<string> | undefined;
  return {
    origin: 'node',
    kind,
    source,
    list: () => files,
    has: (rel) => set.has(rel),
    path: objectFor,
    readFile: async (rel) => readFile(await objectFor(rel)),
    readText: async (rel) => readFile(await objectFor(rel), 'utf8'),
    readJson: async <T>(rel: string) => JSON.parse(await readFile(await objectFor(rel), 'utf8')) as T,
    digestOf: (rel) => pe?.files[rel]?.digest,
    dir: () => {
      dirPromise ??= store.portView(entry, port, verify);
      return dirPromise;
    },
  };
}
