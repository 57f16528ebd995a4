// A tiny anti-aliased rasteriser for the synthetic faces. Shapes are signed
// distance functions in "face space" (the image spans -1..1 on both axes at zero
// pose, y down); a similarity transform (the head pose) maps them to pixels. Each
// shape is painted only over its bounding box, with coverage from the distance to
// its edge, so a face costs a few hundred thousand cheap evaluations at 224 px.

export type Sdf = (x: number, y: number) => number;
/** A colour with one value per canvas channel (grey: luma). */
export type Paint = Float32Array;
/** Face-space bounding box: x0, y0, x1, y1. */
export type Box = readonly [number, number, number, number];

export class Canvas {
  readonly data: Float32Array;
  /** pixels per face-space unit */
  private s = 1;
  // face -> pixel: px = ox + a*x - b*y, py = oy + b*x + a*y
  private a = 1;
  private b = 0;
  private ox = 0;
  private oy = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    readonly channels: 1 | 3,
  ) {
    this.data = new Float32Array(width * height * channels);
  }

  /** A colour for this canvas from RGB 0-255 (grey canvases take its luma). */
  rgb(r: number, g: number, b: number): Paint {
    return this.channels === 1 ? Float32Array.of(0.299 * r + 0.587 * g + 0.114 * b) : Float32Array.of(r, g, b);
  }

  /** Pose: scale (1 = the face space spans the image), rotation (radians), shift (face units). */
  setPose(scale: number, angle: number, dx: number, dy: number): void {
    const half = this.width / 2;
    this.s = half * scale;
    this.a = this.s * Math.cos(angle);
    this.b = this.s * Math.sin(angle);
    this.ox = half + dx * half;
    this.oy = this.height / 2 + dy * half;
  }

  clear(color: Paint): void {
    const c = this.channels;
    for (let i = 0; i < this.data.length; i += c) for (let k = 0; k < c; k++) this.data[i + k] = color[k];
  }

  /** Pixel bounds of a face-space box under the pose, clipped to the canvas. */
  private pixelBox(box: Box): [number, number, number, number] | undefined {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const fx of [box[0], box[2]]) {
      for (const fy of [box[1], box[3]]) {
        const px = this.ox + this.a * fx - this.b * fy;
        const py = this.oy + this.b * fx + this.a * fy;
        if (px < x0) x0 = px;
        if (px > x1) x1 = px;
        if (py < y0) y0 = py;
        if (py > y1) y1 = py;
      }
    }
    const X0 = Math.max(0, Math.floor(x0 - 1));
    const Y0 = Math.max(0, Math.floor(y0 - 1));
    const X1 = Math.min(this.width, Math.ceil(x1 + 1));
    const Y1 = Math.min(this.height, Math.ceil(y1 + 1));
    return X0 < X1 && Y0 < Y1 ? [X0, Y0, X1, Y1] : undefined;
  }

  /**
   * Paint the inside of `sdf` (negative = inside, in face units) with `color` at
   * opacity `alpha`; edges get partial coverage. `box` must contain the shape.
   */
  fill(box: Box, sdf: Sdf, color: Paint, alpha = 1): void {
    this.paint(box, sdf, color, alpha, false);
  }

  /** Paint with a soft field: `field(x, y)` in 0..1 is the opacity (times `alpha`). */
  glow(box: Box, field: Sdf, color: Paint, alpha = 1): void {
    this.paint(box, field, color, alpha, true);
  }

  private paint(box: Box, fn: Sdf, color: Paint, alpha: number, soft: boolean): void {
    if (alpha <= 0) return;
    const pb = this.pixelBox(box);
    if (!pb) return;
    const [X0, Y0, X1, Y1] = pb;
    // pixel -> face: inverse of the similarity transform
    const k = 1 / (this.s * this.s);
    const ia = this.a * k;
    const ib = this.b * k;
    const c = this.channels;
    const s = this.s;
    const data = this.data;
    const c0 = color[0];
    const c1 = c === 3 ? color[1] : 0;
    const c2 = c === 3 ? color[2] : 0;
    for (let py = Y0; py < Y1; py++) {
      const vy = py + 0.5 - this.oy;
      let vx = X0 + 0.5 - this.ox;
      let o = (py * this.width + X0) * c;
      for (let px = X0; px < X1; px++, vx += 1, o += c) {
        const fx = ia * vx + ib * vy;
        const fy = -ib * vx + ia * vy;
        let cov: number;
        if (soft) {
          cov = fn(fx, fy);
          if (cov <= 0) continue;
        } else {
          cov = 0.5 - fn(fx, fy) * s;
          if (cov <= 0) continue;
          if (cov > 1) cov = 1;
        }
        const w = cov * alpha;
        if (c === 1) {
          data[o] += (c0 - data[o]) * w;
        } else {
          data[o] += (c0 - data[o]) * w;
          data[o + 1] += (c1 - data[o + 1]) * w;
          data[o + 2] += (c2 - data[o + 2]) * w;
        }
      }
    }
  }

  /**
   * Write the canvas as uint8 into `out` at `offset`, with lighting (brightness
   * times a linear gradient across the image, gx and gy per half image) and
   * Gaussian sensor noise of sd `noiseSd` drawn from `seed` (any 32-bit integer).
   */
  develop(out: Uint8Array, offset: number, brightness: number, gx: number, gy: number, noiseSd: number, seed: number): void {
    const w = this.width, h = this.height, c = this.channels;
    const data = this.data;
    const table = NORMALS;
    // xorshift32: a few cycles per sample; the table turns its top bits into normal deviates
    let x = seed | 0 || 0x9e3779b9;
    const stepX = (brightness * gx * 2) / w;
    let i = 0;
    for (let py = 0; py < h; py++) {
      const ny = ((py + 0.5) / h) * 2 - 1;
      let light = brightness * (1 + gy * ny + gx * (1 / w - 1));
      for (let px = 0; px < w; px++, light += stepX) {
        for (let k = 0; k < c; k++, i++) {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          const v = data[i] * light + table[x >>> 20] * noiseSd;
          out[offset + i] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
        }
      }
    }
  }
}

/** 4096 standard normal deviates at evenly spaced quantiles (Acklam's inverse normal CDF). */
const NORMALS = Float32Array.from({ length: 4096 }, (_, i) => inverseNormal((i + 0.5) / 4096));

function inverseNormal(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// ---- distance functions (face units; negative inside) ----

/** Ellipse centred at (cx, cy) with radii rx, ry, rotated by `angle` (first-order distance). */
export function ellipse(cx: number, cy: number, rx: number, ry: number, angle = 0): Sdf {
  const cs = Math.cos(angle), sn = Math.sin(angle);
  const irx2 = 1 / (rx * rx), iry2 = 1 / (ry * ry);
  return (x, y) => {
    const dx = x - cx, dy = y - cy;
    const u = cs * dx + sn * dy;
    const v = -sn * dx + cs * dy;
    const g = u * u * irx2 + v * v * iry2 - 1;
    const gx = u * irx2, gy = v * iry2;
    const grad = 2 * Math.sqrt(gx * gx + gy * gy) + 1e-9;
    return g / grad;
  };
}

export function ellipseBox(cx: number, cy: number, rx: number, ry: number): Box {
  const r = Math.max(rx, ry);
  return [cx - r, cy - r, cx + r, cy + r];
}

/** A thick polyline (round caps): distance to the nearest segment minus the half width. */
export function stroke(points: readonly (readonly [number, number])[], width: number): Sdf {
  const n = points.length;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const half = width / 2;
  return (x, y) => {
    let best = Infinity;
    for (let i = 0; i < n - 1; i++) {
      const ax = xs[i], ay = ys[i];
      const bx = xs[i + 1] - ax, by = ys[i + 1] - ay;
      const px = x - ax, py = y - ay;
      const len2 = bx * bx + by * by;
      let t = len2 > 0 ? (px * bx + py * by) / len2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const dx = px - t * bx, dy = py - t * by;
      const d = dx * dx + dy * dy;
      if (d < best) best = d;
    }
    return Math.sqrt(best) - half;
  };
}

export function pointsBox(points: readonly (readonly [number, number])[], pad: number): Box {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of points) {
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return [x0 - pad, y0 - pad, x1 + pad, y1 + pad];
}

/** Points along a quadratic Bezier curve. */
export function quadPoints(p0: readonly [number, number], p1: readonly [number, number], p2: readonly [number, number], segments = 6): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i <= segments; i++) {
    const t = i / segments;
    const u = 1 - t;
    out.push([u * u * p0[0] + 2 * u * t * p1[0] + t * t * p2[0], u * u * p0[1] + 2 * u * t * p1[1] + t * t * p2[1]]);
  }
  return out;
}

/**
 * The band between two curves over |x - cx| <= hw: top(t) <= y <= bottom(t) with
 * t = (x - cx) / hw in -1..1 (vertical distances; fine for anti-aliasing).
 */
export function band(cx: number, hw: number, top: (t: number) => number, bottom: (t: number) => number): Sdf {
  return (x, y) => {
    const t = (x - cx) / hw;
    const side = Math.abs(x - cx) - hw;
    const tc = t < -1 ? -1 : t > 1 ? 1 : t;
    return Math.max(top(tc) - y, y - bottom(tc), side);
  };
}

/** Intersection of two shapes. */
export function both(a: Sdf, b: Sdf): Sdf {
  return (x, y) => Math.max(a(x, y), b(x, y));
}

/** A soft round spot: 1 at the centre fading to 0 at radius rx, ry. */
export function spot(cx: number, cy: number, rx: number, ry: number): Sdf {
  const irx = 1 / rx, iry = 1 / ry;
  return (x, y) => {
    const u = (x - cx) * irx, v = (y - cy) * iry;
    const r2 = u * u + v * v;
    return r2 >= 1 ? 0 : (1 - r2) * (1 - r2);
  };
}
