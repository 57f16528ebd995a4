// The gallery: for a few test images, the face itself (PNG, scaled up so a small
// synthetic face is visible) next to a chart of the human distribution and each
// model's output. Synthetic faces carry a red SYNTHETIC band on the picture too.

import { open } from 'node:fs/promises';
import type { DatasetMeta } from '../../artifacts/dataset.js';
import type { InputHandle } from '../../runner/node-api.js';
import type { Random } from '../../runner/random.js';

/** Faces are shown about this many pixels on their long side. */
const DISPLAY_SIZE = 160;

/** Pick `count` of the compared images, ordered by human plurality class then id (so alike faces sit together). */
export function pickGallery(ids: string[], truth: number[], count: number, random: Random): number[] {
  const order = random.shuffle(ids.map((_, i) => i)).slice(0, Math.min(count, ids.length));
  return order.sort((a, b) => truth[a] - truth[b] || (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
}

/** A file-name-safe stem for an image id. */
export function fileStem(index: number, id: string): string {
  return `${String(index + 1).padStart(2, '0')}-${id.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60)}`;
}

/** Read the pixels of the given dataset images without loading the whole tensor. */
export async function readImagePixels(handle: InputHandle, meta: DatasetMeta, indices: number[]): Promise<Map<number, Uint8Array>> {
  const size = meta.height * meta.width * meta.channels;
  const out = new Map<number, Uint8Array>();
  const fh = await open(await handle.path('pixels.u8'), 'r');
  try {
    for (const i of indices) {
      const buf = new Uint8Array(size);
      const { bytesRead } = await fh.read(buf, 0, size, i * size);
      if (bytesRead !== size) throw new Error(`pixels.u8 of ${handle.source} is shorter than its meta.json says (image ${i})`);
      out.set(i, buf);
    }
  } finally {
    await fh.close();
  }
  return out;
}

export async function facePng(pixels: Uint8Array, meta: Pick<DatasetMeta, 'height' | 'width' | 'channels'>, synthetic: boolean): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const long = Math.max(meta.height, meta.width);
  const scale = long < DISPLAY_SIZE ? Math.max(1, Math.round(DISPLAY_SIZE / long)) : DISPLAY_SIZE / long;
  const width = Math.max(1, Math.round(meta.width * scale));
  const height = Math.max(1, Math.round(meta.height * scale));
  let img = sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), {
    raw: { width: meta.width, height: meta.height, channels: meta.channels },
  }).resize(width, height, { kernel: scale >= 1 ? 'nearest' : 'lanczos3' });
  if (synthetic) {
    const band = Math.max(12, Math.round(height * 0.11));
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect x="0" y="${height - band}" width="${width}" height="${band}" fill="#c62828" fill-opacity="0.85"/><text x="${width / 2}" y="${height - band * 0.25}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${Math.round(band * 0.72)}" font-weight="bold" fill="white" text-anchor="middle">SYNTHETIC</text></svg>`;
    img = sharp(await img.png().toBuffer()).composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
  }
  return img.png({ compressionLevel: 9 }).toBuffer();
}
