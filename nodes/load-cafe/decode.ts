// Decodes the image files of a real data set to size x size x channels with
// sharp, a few at a time, reporting progress and honouring cancellation. A file
// sharp cannot read becomes a problem (fail or skip, per `strict`).

import { open } from 'node:fs/promises';
import { throwIfAborted, type NodeContext } from '../../runner/node-api.js';
import { decodeImage, type ResizeFit } from '../lib/images.js';
import type { Problems } from './problems.js';

export interface DecodeJob {
  /** absolute path */
  abs: string;
  /** how messages name it */
  display: string;
}

const PARALLEL = 4;

/** Decoded pixels per job, `undefined` where the file could not be decoded (recorded in `problems`). */
export async function decodeAll(
  ctx: Pick<NodeContext, 'signal' | 'progress'>,
  jobs: readonly DecodeJob[],
  opts: { size: number; channels: 1 | 3; fit: ResizeFit },
  problems: Problems,
): Promise<(Uint8Array | undefined)[]> {
  const out: (Uint8Array | undefined)[] = new Array(jobs.length);
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      throwIfAborted(ctx.signal);
      const i = next++;
      try {
        out[i] = await decodeImage(jobs[i].abs, { width: opts.size, height: opts.size, channels: opts.channels, fit: opts.fit });
      } catch (err) {
        const why = (await whatIsWrong(jobs[i].abs)) ?? (err as Error).message.split('\n')[0];
        problems.add(jobs[i].display, 'undecodable image', `cannot decode the image (${why}); replace or remove the file`);
      }
      done++;
      ctx.progress(done, jobs.length, `${done}/${jobs.length} images`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, jobs.length) }, worker));
  return out;
}

/** Concatenate the decoded frames of the kept images into one buffer. */
export function packPixels(frames: readonly Uint8Array[], frameSize: number): Uint8Array {
  const pixels = new Uint8Array(frames.length * frameSize);
  frames.forEach((f, i) => pixels.set(f, i * frameSize));
  return pixels;
}

/**
 * Say in plain words what is wrong with a file the decoder refused, when its
 * bytes show it: empty, cut short (an interrupted copy or download), or not an
 * image at all. The decoder's own message is vaguer for these, and when several
 * images are decoded at once it can come back as "Unknown error".
 */
async function whatIsWrong(file: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
    const { size } = await fh.stat();
    if (size === 0) return 'the file is empty, 0 bytes';
    const head = Buffer.alloc(Math.min(12, size));
    const tail = Buffer.alloc(Math.min(12, size));
    await fh.read(head, 0, head.length, 0);
    await fh.read(tail, 0, tail.length, size - tail.length);
    const starts = (...bytes: number[]): boolean => bytes.every((b, k) => head[k] === b);
    if (starts(0xff, 0xd8, 0xff)) return tail[tail.length - 2] === 0xff && tail[tail.length - 1] === 0xd9 ? undefined : 'the JPEG data is cut short: the file is truncated';
    if (starts(0x89, 0x50, 0x4e, 0x47)) return tail.includes('IEND') ? undefined : 'the PNG data is cut short: the file is truncated';
    const known = starts(0x47, 0x49, 0x46) || starts(0x42, 0x4d) || starts(0x49, 0x49, 0x2a) || starts(0x4d, 0x4d, 0x00, 0x2a) || (starts(0x52, 0x49, 0x46, 0x46) && head.subarray(8, 12).toString('latin1') === 'WEBP');
    return known ? undefined : 'not an image: the content is not JPEG, PNG, GIF, WebP, TIFF or BMP';
  } catch {
    return undefined;
  } finally {
    await fh?.close();
  }
}
