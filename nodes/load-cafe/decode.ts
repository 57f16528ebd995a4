// Decodes the image files of a real data set to size x size x channels with
// sharp, a few at a time, reporting progress and honouring cancellation. A file
// sharp cannot read becomes a problem (fail or skip, per `strict`).

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
        const why = (err as Error).message.split('\n')[0];
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
