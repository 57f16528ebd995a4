// Small file-system primitives with the durability the cache promises: a file
// appears complete under its final name or not at all.

import { randomBytes } from 'node:crypto';
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

export async function removeQuietly(p: string): Promise<void> {
  await rm(p, { recursive: true, force: true }).catch(() => undefined);
}

export function isNoSpace(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
