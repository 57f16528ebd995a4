// Pictures for people and pixels from files: raw uint8 images (grey or RGB),
// drawing helpers for report figures (nearest-neighbour blits, rectangles, a 5x7
// bitmap font so captions look the same on every machine without system fonts),
// a contact sheet of labelled tiles with bar strips, and sharp-based PNG encoding
// and image decoding. sharp is imported on first use: it is heavy and a cached
// run never needs it.

export interface RawImage {
  /** row-major, channel-interleaved bytes: height * width * channels */
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

export type Rgb = readonly [number, number, number];

/** Ten distinct colours (Tableau 10), for classes in charts and bar strips. */
export const CLASS_PALETTE: readonly Rgb[] = [
  [225, 87, 89], // red
  [89, 161, 79], // green
  [176, 122, 161], // purple
  [237, 201, 72], // yellow
  [186, 176, 172], // grey
  [78, 121, 167], // blue
  [242, 142, 43], // orange
  [118, 183, 178], // teal
  [255, 157, 167], // pink
  [156, 117, 95], // brown
];

export function blankImage(width: number, height: number, channels: 1 | 3 | 4, fill: Rgb | number = 255): RawImage {
  const img: RawImage = { data: new Uint8Array(width * height * channels), width, height, channels };
  fillRect(img, 0, 0, width, height, fill);
  return img;
}

function colorOf(img: RawImage, color: Rgb | number): number[] {
  const rgb: Rgb = typeof color === 'number' ? [color, color, color] : color;
  if (img.channels === 1) return [Math.round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])];
  return img.channels === 3 ? [rgb[0], rgb[1], rgb[2]] : [rgb[0], rgb[1], rgb[2], 255];
}

/** Fill a rectangle (clipped to the image). */
export function fillRect(img: RawImage, x: number, y: number, w: number, h: number, color: Rgb | number): void {
  const c = colorOf(img, color);
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(img.width, Math.floor(x + w));
  const y1 = Math.min(img.height, Math.floor(y + h));
  const ch = img.channels;
  for (let yy = y0; yy < y1; yy++) {
    let o = (yy * img.width + x0) * ch;
    for (let xx = x0; xx < x1; xx++) {
      for (let k = 0; k < ch; k++) img.data[o + k] = c[k];
      o += ch;
    }
  }
}

/**
 * Copy `src` into `dst` at (x, y), enlarged `scale` times by pixel repetition.
 * Grey sources are spread over RGB destinations and RGB sources averaged into grey ones.
 */
export function blit(dst: RawImage, src: RawImage, x: number, y: number, scale = 1): void {
  const dc = dst.channels;
  const sc = src.channels;
  for (let sy = 0; sy < src.height; sy++) {
    for (let sx = 0; sx < src.width; sx++) {
      const so = (sy * src.width + sx) * sc;
      let r: number, g: number, b: number;
      if (sc === 1) r = g = b = src.data[so];
      else [r, g, b] = [src.data[so], src.data[so + 1], src.data[so + 2]];
      const px = dc === 1 ? [Math.round(0.299 * r + 0.587 * g + 0.114 * b)] : dc === 3 ? [r, g, b] : [r, g, b, 255];
      for (let dy = 0; dy < scale; dy++) {
        const yy = y + sy * scale + dy;
        if (yy < 0 || yy >= dst.height) continue;
        for (let dx = 0; dx < scale; dx++) {
          const xx = x + sx * scale + dx;
          if (xx < 0 || xx >= dst.width) continue;
          const o = (yy * dst.width + xx) * dc;
          for (let k = 0; k < dc; k++) dst.data[o + k] = px[k];
        }
      }
    }
  }
}

// 5x7 glyphs, one string of 7 rows per character ('#' = ink). Lower case prints as upper case.
const FONT_SRC: Record<string, string> = {
  A: '.###.|#...#|#...#|#####|#...#|#...#|#...#',
  B: '####.|#...#|#...#|####.|#...#|#...#|####.',
  C: '.###.|#...#|#....|#....|#....|#...#|.###.',
  D: '####.|#...#|#...#|#...#|#...#|#...#|####.',
  E: '#####|#....|#....|####.|#....|#....|#####',
  F: '#####|#....|#....|####.|#....|#....|#....',
  G: '.###.|#...#|#....|#.###|#...#|#...#|.####',
  H: '#...#|#...#|#...#|#####|#...#|#...#|#...#',
  I: '.###.|..#..|..#..|..#..|..#..|..#..|.###.',
  J: '..###|...#.|...#.|...#.|...#.|#..#.|.##..',
  K: '#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#',
  L: '#....|#....|#....|#....|#....|#....|#####',
  M: '#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#',
  N: '#...#|##..#|#.#.#|#..##|#...#|#...#|#...#',
  O: '.###.|#...#|#...#|#...#|#...#|#...#|.###.',
  P: '####.|#...#|#...#|####.|#....|#....|#....',
  Q: '.###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#',
  R: '####.|#...#|#...#|####.|#.#..|#..#.|#...#',
  S: '.####|#....|#....|.###.|....#|....#|####.',
  T: '#####|..#..|..#..|..#..|..#..|..#..|..#..',
  U: '#...#|#...#|#...#|#...#|#...#|#...#|.###.',
  V: '#...#|#...#|#...#|#...#|#...#|.#.#.|..#..',
  W: '#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.',
  X: '#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#',
  Y: '#...#|#...#|.#.#.|..#..|..#..|..#..|..#..',
  Z: '#####|....#|...#.|..#..|.#...|#....|#####',
  '0': '.###.|#...#|#..##|#.#.#|##..#|#...#|.###.',
  '1': '..#..|.##..|..#..|..#..|..#..|..#..|.###.',
  '2': '.###.|#...#|....#|...#.|..#..|.#...|#####',
  '3': '#####|...#.|..#..|...#.|....#|#...#|.###.',
  '4': '...#.|..##.|.#.#.|#..#.|#####|...#.|...#.',
  '5': '#####|#....|####.|....#|....#|#...#|.###.',
  '6': '..##.|.#...|#....|####.|#...#|#...#|.###.',
  '7': '#####|....#|...#.|..#..|.#...|.#...|.#...',
  '8': '.###.|#...#|#...#|.###.|#...#|#...#|.###.',
  '9': '.###.|#...#|#...#|.####|....#|...#.|.##..',
  ' ': '.....|.....|.....|.....|.....|.....|.....',
  '.': '.....|.....|.....|.....|.....|.##..|.##..',
  ',': '.....|.....|.....|.....|.##..|..#..|.#...',
  ':': '.....|.##..|.##..|.....|.##..|.##..|.....',
  '-': '.....|.....|.....|#####|.....|.....|.....',
  '+': '.....|..#..|..#..|#####|..#..|..#..|.....',
  '_': '.....|.....|.....|.....|.....|.....|#####',
  '/': '.....|....#|...#.|..#..|.#...|#....|.....',
  '%': '##...|##..#|...#.|..#..|.#...|#..##|...##',
  '=': '.....|.....|#####|.....|#####|.....|.....',
  '(': '...#.|..#..|.#...|.#...|.#...|..#..|...#.',
  ')': '.#...|..#..|...#.|...#.|...#.|..#..|.#...',
  '<': '...#.|..#..|.#...|#....|.#...|..#..|...#.',
  '>': '.#...|..#..|...#.|....#|...#.|..#..|.#...',
  '#': '.#.#.|.#.#.|#####|.#.#.|#####|.#.#.|.#.#.',
  '?': '.###.|#...#|....#|...#.|..#..|.....|..#..',
  '!': '..#..|..#..|..#..|..#..|..#..|.....|..#..',
  "'": '..#..|..#..|.#...|.....|.....|.....|.....',
};

const FONT = new Map<string, boolean[][]>(
  Object.entries(FONT_SRC).map(([ch, rows]) => [ch, rows.split('|').map((r) => [...r].map((c) => c === '#'))]),
);

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;

/** Width in pixels of `text` drawn at `scale` (one blank column between glyphs). */
export function textWidth(text: string, scale = 1): number {
  return text.length === 0 ? 0 : (text.length * (GLYPH_WIDTH + 1) - 1) * scale;
}

/** Draw `text` with its top-left corner at (x, y); returns the width drawn. */
export function drawText(img: RawImage, x: number, y: number, text: string, color: Rgb | number = 0, scale = 1): number {
  let cx = x;
  for (const raw of text) {
    const glyph = FONT.get(raw.toUpperCase()) ?? FONT.get('?')!;
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (glyph[gy][gx]) fillRect(img, cx + gx * scale, y + gy * scale, scale, scale, color);
      }
    }
    cx += (GLYPH_WIDTH + 1) * scale;
  }
  return cx - x - scale;
}

/** Cut `text` to fit `maxWidth` pixels at `scale`. */
export function fitText(text: string, maxWidth: number, scale = 1): string {
  const max = Math.max(0, Math.floor((maxWidth / scale + 1) / (GLYPH_WIDTH + 1)));
  return text.length <= max ? text : text.slice(0, max);
}

export interface BarStrip {
  /** one value per class, in [0, 1] (e.g. a label distribution) */
  values: readonly number[];
  /** class whose bar gets a dark outline (e.g. the posed expression) */
  highlight?: number;
}

export interface ContactTile {
  image: RawImage;
  /** lines printed under the image */
  caption?: string[];
  /** bar strips drawn under the caption, one bar per class coloured by `palette` */
  strips?: BarStrip[];
}

export interface ContactSheetOptions {
  columns: number;
  /** integer enlargement of each tile's image (default: enough to be at least 96 px wide) */
  scale?: number;
  title?: string;
  /** class names for the legend and bar colours */
  classes?: readonly string[];
  palette?: readonly Rgb[];
  /** height of one bar strip in pixels (default 24) */
  stripHeight?: number;
}

/** Lay tiles out in a grid with captions and bar strips; a legend of class colours on top. */
export function contactSheet(tiles: readonly ContactTile[], opts: ContactSheetOptions): RawImage {
  const palette = opts.palette ?? CLASS_PALETTE;
  const classes = opts.classes ?? [];
  const maxW = Math.max(1, ...tiles.map((t) => t.image.width));
  const maxH = Math.max(1, ...tiles.map((t) => t.image.height));
  const scale = opts.scale ?? Math.max(1, Math.ceil(96 / maxW));
  const stripH = opts.stripHeight ?? 24;
  const pad = 6;
  const lineH = GLYPH_HEIGHT + 3;
  const captionLines = Math.max(0, ...tiles.map((t) => t.caption?.length ?? 0));
  const strips = Math.max(0, ...tiles.map((t) => t.strips?.length ?? 0));
  const cellW = Math.max(maxW * scale, 7 * 8) + pad * 2;
  const cellH = maxH * scale + captionLines * lineH + strips * (stripH + 3) + pad * 2 + 2;
  const cols = Math.max(1, Math.min(opts.columns, tiles.length || 1));
  const rows = Math.ceil(tiles.length / cols);
  const titleH = opts.title ? lineH * 2 : 0;
  const legendLines = classes.length ? legendLayout(classes, cols * cellW - pad * 2).length : 0;
  const legendH = legendLines * (lineH + 2) + (legendLines ? pad : 0);
  const sheet = blankImage(cols * cellW, titleH + legendH + rows * cellH + pad, 3, 255);
  if (opts.title) drawText(sheet, pad, pad, fitText(opts.title, sheet.width - 2 * pad, 1), 20);
  if (classes.length) {
    let y = titleH + pad;
    for (const line of legendLayout(classes, cols * cellW - pad * 2)) {
      let x = pad;
      for (const k of line) {
        fillRect(sheet, x, y, 9, 9, palette[k % palette.length]);
        x += 12;
        x += drawText(sheet, x, y + 1, classes[k], 40) + 12;
      }
      y += lineH + 2;
    }
  }
  tiles.forEach((tile, i) => {
    const x0 = (i % cols) * cellW + pad;
    let y = titleH + legendH + Math.floor(i / cols) * cellH + pad;
    blit(sheet, tile.image, x0, y, scale);
    y += maxH * scale + 3;
    for (const line of tile.caption ?? []) {
      drawText(sheet, x0, y, fitText(line, cellW - pad * 2), 30);
      y += lineH;
    }
    for (const strip of tile.strips ?? []) {
      drawBars(sheet, x0, y, cellW - pad * 2, stripH, strip, palette);
      y += stripH + 3;
    }
  });
  return sheet;
}

function legendLayout(classes: readonly string[], width: number): number[][] {
  const lines: number[][] = [[]];
  let x = 0;
  classes.forEach((name, k) => {
    const w = 12 + textWidth(name) + 12;
    if (x + w > width && lines[lines.length - 1].length) {
      lines.push([]);
      x = 0;
    }
    lines[lines.length - 1].push(k);
    x += w;
  });
  return lines;
}

function drawBars(img: RawImage, x: number, y: number, w: number, h: number, strip: BarStrip, palette: readonly Rgb[]): void {
  const n = strip.values.length;
  if (n === 0) return;
  fillRect(img, x, y, w, h, 238);
  const bw = Math.max(1, Math.floor(w / n));
  for (let k = 0; k < n; k++) {
    const v = Math.max(0, Math.min(1, strip.values[k]));
    const bh = Math.round(v * (h - 1));
    const bx = x + k * bw;
    if (strip.highlight === k) {
      fillRect(img, bx, y, bw, h, 200);
    }
    fillRect(img, bx + 1, y + h - bh, bw - 2, bh, palette[k % palette.length]);
  }
  fillRect(img, x, y + h - 1, bw * n, 1, 90);
}

/** The image with `channels` channels (grey <-> RGB), same size; returns `img` itself when it already has them. */
export function withChannels(img: RawImage, channels: 1 | 3): RawImage {
  if (img.channels === channels) return img;
  const out: RawImage = { data: new Uint8Array(img.width * img.height * channels), width: img.width, height: img.height, channels };
  blit(out, img, 0, 0, 1);
  return out;
}

/** Encode a raw image as PNG bytes (sharp). */
export async function encodePng(img: RawImage): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: img.channels },
  })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

export type ResizeFit = 'cover' | 'contain' | 'fill';

/**
 * Decode an image file (JPEG, PNG, TIFF, WebP, GIF) and resize it to width x height
 * with `channels` channels. `cover` crops to fill, `contain` letterboxes on white,
 * `fill` stretches. Throws the decoder's error for a file that is not a readable image.
 */
export async function decodeImage(
  input: string | Buffer,
  opts: { width: number; height: number; channels: 1 | 3; fit?: ResizeFit },
): Promise<Uint8Array> {
  const sharp = (await import('sharp')).default;
  let pipeline = sharp(input, { failOn: 'error' })
    .rotate()
    .resize(opts.width, opts.height, { fit: opts.fit ?? 'cover', background: { r: 255, g: 255, b: 255 } })
    .flatten({ background: { r: 255, g: 255, b: 255 } });
  pipeline = opts.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const got = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (info.channels === opts.channels) return got;
  // sharp keeps one channel for grey JPEGs even when asked for sRGB, or an extra alpha
  const src: RawImage = { data: got, width: info.width, height: info.height, channels: info.channels as 1 | 3 | 4 };
  if (src.channels === 4) {
    const rgb = new Uint8Array(info.width * info.height * 3);
    for (let i = 0, j = 0; i < got.length; i += 4, j += 3) {
      rgb[j] = got[i];
      rgb[j + 1] = got[i + 1];
      rgb[j + 2] = got[i + 2];
    }
    return withChannels({ ...src, data: rgb, channels: 3 }, opts.channels).data;
  }
  return withChannels(src, opts.channels).data;
}
