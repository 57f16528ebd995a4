// Draws one child's face making one expression. A child's identity (head shape
// and proportions by age, skin tone, hair, eye spacing, feature sizes) is drawn
// once and kept for all their images; the facial actions come from the image's
// expression blend; pose and lighting change from photo to photo.

import type { Random } from '../../../runner/random.js';
import { ACTIONS, type Actions } from './expressions.js';
import { both, band, ellipse, ellipseBox, pointsBox, quadPoints, spot, stroke, type Canvas, type Paint } from './raster.js';
import type { SyntheticChild } from './composition.js';

type Rgb = [number, number, number];

export interface Identity {
  faceRx: number;
  faceRy: number;
  /** eye line, face units below the head centre */
  eyeY: number;
  eyeSpacing: number;
  eyeSize: number;
  browThick: number;
  noseLen: number;
  noseWidth: number;
  mouthWidth: number;
  lipThick: number;
  headScale: number;
  skin: Rgb;
  hair: Rgb;
  hairStyle: 'short' | 'long' | 'puffy';
  iris: Rgb;
  shirt: Rgb;
  background: Rgb;
  /** how strongly this child poses (scales the facial actions) */
  expressiveness: number;
}

const SKIN: Record<string, Rgb> = {
  AA: [122, 84, 62],
  AS: [222, 188, 158],
  EA: [236, 200, 178],
  LA: [206, 160, 126],
  SA: [172, 122, 92],
  PI: [190, 140, 106],
};

const HAIR: { color: Rgb; weight: Record<string, number> }[] = [
  { color: [30, 25, 24], weight: { AA: 6, AS: 8, EA: 1, LA: 4, SA: 6, PI: 5 } },
  { color: [60, 42, 32], weight: { AA: 3, AS: 2, EA: 3, LA: 5, SA: 3, PI: 4 } },
  { color: [105, 72, 48], weight: { AA: 0.3, AS: 0.2, EA: 4, LA: 2, SA: 0.5, PI: 1 } },
  { color: [165, 128, 80], weight: { AA: 0, AS: 0, EA: 3, LA: 0.3, SA: 0, PI: 0.2 } },
  { color: [205, 172, 112], weight: { AA: 0, AS: 0, EA: 2.5, LA: 0.2, SA: 0, PI: 0 } },
  { color: [150, 74, 42], weight: { AA: 0, AS: 0, EA: 0.8, LA: 0.1, SA: 0, PI: 0 } },
];

const SHIRTS: Rgb[] = [
  [200, 60, 60], [60, 110, 190], [70, 150, 90], [230, 200, 80], [140, 90, 160], [240, 240, 240], [60, 60, 70], [230, 140, 170],
];

const clamp255 = (v: number): number => Math.max(0, Math.min(255, v));
const scaleRgb = (c: Rgb, f: number): Rgb => [clamp255(c[0] * f), clamp255(c[1] * f), clamp255(c[2] * f)];
const mix = (a: Rgb, b: Rgb, t: number): Rgb => [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];

export function makeIdentity(child: SyntheticChild, rng: Random): Identity {
  const ageT = Math.max(0, Math.min(1, (child.age - 2.7) / 6));
  const faceRx = 0.47 + rng.normal(0, 0.018);
  const skinBase = SKIN[child.ethnicity] ?? SKIN.EA;
  const hairIdx = rng.categorical(HAIR.map((h) => h.weight[child.ethnicity] ?? 1));
  const styleWeights = child.sex === 'F' ? [1, 5, 2] : [6, 0.5, 1.5];
  const style = (['short', 'long', 'puffy'] as const)[rng.categorical(styleWeights)];
  const lightEyes = child.ethnicity === 'EA' && rng.bool(0.35);
  const bg = 228 + rng.normal(0, 8);
  return {
    faceRx,
    faceRy: faceRx * (1.14 + 0.14 * ageT + rng.normal(0, 0.03)),
    eyeY: 0.03 + 0.05 * (1 - ageT) + rng.normal(0, 0.012),
    eyeSpacing: 0.195 + rng.normal(0, 0.01),
    eyeSize: (1 + 0.12 * (1 - ageT)) * (1 + rng.normal(0, 0.06)),
    browThick: 1 + rng.normal(0, 0.12),
    noseLen: 0.9 + 0.2 * ageT + rng.normal(0, 0.05),
    noseWidth: 1 + rng.normal(0, 0.1),
    mouthWidth: 1 + rng.normal(0, 0.07),
    lipThick: 1 + rng.normal(0, 0.12),
    headScale: 0.97 + rng.normal(0, 0.025),
    skin: scaleRgb(skinBase, 1 + rng.normal(0, 0.06)),
    hair: scaleRgb(HAIR[hairIdx].color, 1 + rng.normal(0, 0.08)),
    hairStyle: style,
    iris: lightEyes ? [90 + rng.normal(0, 10), 120 + rng.normal(0, 10), 140 + rng.normal(0, 15)] : [70, 45, 30],
    shirt: SHIRTS[rng.int(SHIRTS.length)],
    background: [bg + rng.normal(0, 3), bg + rng.normal(0, 3), bg + rng.normal(0, 3)],
    expressiveness: 0.85 + 0.3 * rng.next(),
  };
}

export interface Photo {
  scale: number;
  angle: number;
  dx: number;
  dy: number;
  /** horizontal shift of the inner features (a slight head turn) */
  yaw: number;
  brightness: number;
  gx: number;
  gy: number;
}

/** Pose and lighting of one photo; `jitter` and `lighting` scale the variation (0 = none). */
export function makePhoto(id: Identity, jitter: number, lighting: number, rng: Random): Photo {
  const theta = rng.next() * 2 * Math.PI;
  const g = 0.2 * lighting * rng.next();
  return {
    // roughly aligned photos, as face sets are: at 48 px, jitter 1 moves the face by ~0.4 px sd
    scale: id.headScale * (1 + rng.normal(0, 0.015) * jitter),
    angle: rng.normal(0, 0.035) * jitter,
    dx: rng.normal(0, 0.016) * jitter,
    dy: rng.normal(0, 0.016) * jitter,
    yaw: rng.normal(0, 0.012) * jitter,
    brightness: 1 + rng.normal(0, 0.07) * lighting,
    gx: g * Math.cos(theta),
    gy: g * Math.sin(theta),
  };
}

const A = Object.fromEntries(ACTIONS.map((a, i) => [a, i])) as Record<(typeof ACTIONS)[number], number>;

/** Paint the face onto the canvas (the caller develops the canvas into pixels). */
export function drawFace(cv: Canvas, id: Identity, actions: Actions, photo: Photo): void {
  const e = id.expressiveness;
  const act = (name: keyof typeof A): number => actions[A[name]] * (name === 'mouthOpen' || name === 'tongue' ? 1 : e);
  const P = (c: Rgb): Paint => cv.rgb(c[0], c[1], c[2]);
  const skin = id.skin;
  const shade = scaleRgb(skin, 0.78);
  const dark = scaleRgb(skin, 0.55);

  cv.setPose(photo.scale, photo.angle, photo.dx, photo.dy);
  cv.clear(P(id.background));

  const cy = -0.02; // head centre
  const rx = id.faceRx;
  const ry = id.faceRy;

  // clothes, neck, hair behind the head, ears
  cv.fill([-1.4, 0.55, 1.4, 1.6], ellipse(0, 1.25, 0.85, 0.5), P(id.shirt));
  if (id.hairStyle === 'long') {
    // hangs behind the head and down the sides, cut level a little below the chin
    const hem = cy + ry * 1.05;
    cv.fill([-rx * 1.3, cy - ry * 1.2, rx * 1.3, hem], both(ellipse(0, cy + 0.08, rx * 1.2, ry * 1.12), (_x, y) => y - hem), P(id.hair));
  }
  cv.fill([-0.2, 0.2, 0.2, 1.0], both(ellipse(0, 0.75, 0.16, 0.45), (_x, y) => cy + ry * 0.5 - y), P(shade));
  const earY = cy + id.eyeY + 0.06;
  for (const sx of [-1, 1]) {
    cv.fill(ellipseBox(sx * rx * 0.97, earY, 0.07, 0.1), ellipse(sx * rx * 0.97, earY, 0.065, 0.1), P(shade));
  }

  // the face, darker towards its edge
  const faceBox = ellipseBox(0, cy, rx, ry);
  cv.fill(faceBox, ellipse(0, cy, rx, ry), P(skin));
  cv.glow(faceBox, (x, y) => {
    const u = x / rx, v = (y - cy) / ry;
    const r = Math.sqrt(u * u + v * v);
    return r < 0.72 ? 0 : r > 1.02 ? 0 : (r - 0.72) / 0.3;
  }, P(shade), 0.55);

  // hair on top, with a hairline above the brows
  const hairline = cy + id.eyeY - 0.3;
  const capRy = id.hairStyle === 'puffy' ? ry * 0.85 : ry * 0.72;
  const capRx = id.hairStyle === 'puffy' ? rx * 1.18 : rx * 1.06;
  const capCy = cy - ry * 0.32;
  cv.fill(
    [-capRx, capCy - capRy, capRx, hairline + 0.1],
    both(ellipse(0, capCy, capRx, capRy), (x, y) => y - (hairline + 0.5 * x * x)),
    P(id.hair),
  );

  const ex = id.eyeSpacing;
  const yaw = photo.yaw;
  const eyeY = cy + id.eyeY;

  // brows
  const raise = act('browRaise'), lower = act('browLower'), inner = act('browInner'), pinch = act('browPinch');
  const browY = eyeY - 0.13 - 0.09 * raise + 0.06 * lower;
  const browColor = P(scaleRgb(mix(id.hair, [25, 20, 18], 0.5), 1));
  const browW = 0.04 * id.browThick;
  for (const sx of [-1, 1]) {
    const innerP: [number, number] = [yaw + sx * (ex - 0.075 + -0.035 * pinch), browY + 0.035 * lower - 0.07 * inner];
    const outerP: [number, number] = [yaw + sx * (ex + 0.105), browY + 0.01 + 0.012 * inner - 0.01 * lower];
    const arch = 0.03 + 0.02 * raise - 0.02 * lower;
    const midP: [number, number] = [(innerP[0] + outerP[0]) / 2, (innerP[1] + outerP[1]) / 2 - arch];
    const pts = quadPoints(innerP, midP, outerP, 6);
    cv.fill(pointsBox(pts, browW), stroke(pts, browW), browColor);
  }
  // frown lines between the brows, forehead lines when raised
  const frown = Math.max(0, Math.min(1, lower * 0.6 + pinch * 0.4 - 0.1));
  for (const sx of [-1, 1]) {
    const pts: [number, number][] = [[yaw + sx * 0.025, eyeY - 0.16], [yaw + sx * 0.035, eyeY - 0.08]];
    cv.fill(pointsBox(pts, 0.02), stroke(pts, 0.012), P(dark), 0.55 * frown);
  }
  if (raise > 0.2) {
    for (const k of [0, 1]) {
      const y0 = browY - 0.07 - 0.045 * k;
      const pts = quadPoints([yaw - 0.17, y0 + 0.01], [yaw, y0 - 0.02], [yaw + 0.17, y0 + 0.01], 4);
      cv.fill(pointsBox(pts, 0.02), stroke(pts, 0.011), P(shade), 0.6 * (raise - 0.2));
    }
  }

  // eyes
  const open = act('eyeOpen'), cheek = act('cheekRaise');
  const erx = 0.078 * id.eyeSize;
  const eryBase = 0.046 * id.eyeSize;
  const ery = Math.max(0.006, eryBase * (1 + 0.5 * open - 0.35 * Math.max(0, cheek)));
  const eyeCy = eyeY - 0.25 * eryBase * Math.max(0, cheek);
  for (const sx of [-1, 1]) {
    const ecx = yaw + sx * ex;
    const box = ellipseBox(ecx, eyeCy, erx + 0.02, ery + 0.02);
    const eye = ellipse(ecx, eyeCy, erx, ery);
    cv.fill(box, eye, cv.rgb(240, 236, 230));
    const irisR = 0.04 * id.eyeSize;
    cv.fill(box, both(ellipse(ecx, eyeCy, irisR, irisR), eye), P(id.iris));
    cv.fill(box, both(ellipse(ecx, eyeCy, irisR * 0.45, irisR * 0.45), eye), cv.rgb(15, 12, 12));
    // upper lid line
    const lid = quadPoints([ecx - sx * erx, eyeCy], [ecx, eyeCy - ery * 2], [ecx + sx * erx, eyeCy], 6);
    cv.fill(pointsBox(lid, 0.03), stroke(lid, 0.017), cv.rgb(35, 25, 22));
    // lower lid crease when the cheeks push up
    if (cheek > 0.1) {
      const crease = quadPoints([ecx - sx * erx, eyeCy + 0.01], [ecx, eyeCy + ery + 0.05], [ecx + sx * erx, eyeCy + 0.01], 4);
      cv.fill(pointsBox(crease, 0.02), stroke(crease, 0.012), P(dark), 0.6 * Math.min(1, cheek));
    }
  }

  // nose
  const wrinkle = Math.max(0, act('noseWrinkle'));
  const noseY = eyeY + 0.19 * id.noseLen - 0.02 * wrinkle;
  const nw = 0.045 * id.noseWidth * (1 + 0.25 * wrinkle);
  cv.glow([yaw - 0.09, noseY - 0.05, yaw + 0.09, noseY + 0.06], spot(yaw, noseY + 0.025, 0.09, 0.04), P(shade), 0.6);
  for (const sx of [-1, 1]) {
    cv.fill(ellipseBox(yaw + sx * nw, noseY, 0.03, 0.02), ellipse(yaw + sx * nw, noseY, 0.021, 0.012, sx * 0.3), P(dark), 0.85);
  }
  if (wrinkle > 0.05) {
    for (const k of [0, 1, 2]) {
      const y0 = eyeY + 0.035 + 0.03 * k;
      const pts = quadPoints([yaw - 0.045, y0 + 0.008], [yaw, y0 - 0.01], [yaw + 0.045, y0 + 0.008], 3);
      cv.fill(pointsBox(pts, 0.02), stroke(pts, 0.011), P(dark), 0.7 * Math.min(1, wrinkle));
    }
  }

  // cheeks
  for (const sx of [-1, 1]) {
    const ccx = yaw + sx * 0.21, ccy = eyeY + 0.16 - 0.04 * Math.max(0, cheek);
    cv.glow(ellipseBox(ccx, ccy, 0.1, 0.08), spot(ccx, ccy, 0.1, 0.075), cv.rgb(225, 120, 120), 0.1 + 0.2 * Math.max(0, cheek));
  }

  // mouth
  const corner = act('lipCorner'), mOpen = Math.max(0, act('mouthOpen')), stretch = act('mouthStretch');
  const press = Math.max(0, act('lipPress')), lipUp = Math.max(0, act('upperLipRaise'));
  const teeth = Math.max(0, Math.min(1, act('teeth'))), tongue = Math.max(0, Math.min(1, act('tongue')));
  const mY = eyeY + 0.34 + 0.015 * (id.noseLen - 1) - 0.015 * lipUp;
  const hw = 0.15 * id.mouthWidth * (1 + 0.28 * stretch);
  const cornerY = -0.07 * corner;
  const o = 0.15 * mOpen;
  const round = Math.max(0, -stretch);
  const pw = 1 - 0.45 * round;
  const smile = Math.max(0, corner);
  const shape = (t: number): number => Math.pow(Math.max(0, 1 - t * t), pw);
  const mid = (t: number): number => mY + cornerY * t * t;
  const upperInner = (t: number): number => mid(t) - (o * (0.35 - 0.15 * smile) + 0.03 * lipUp) * shape(t);
  const lowerInner = (t: number): number => mid(t) + o * (0.65 + 0.3 * smile) * shape(t);
  const thU = 0.026 * id.lipThick * (1 - 0.6 * press);
  const thL = 0.032 * id.lipThick * (1 - 0.6 * press);
  const upperOuter = (t: number): number => upperInner(t) - thU * Math.sqrt(Math.max(0, 1 - t * t));
  const lowerOuter = (t: number): number => lowerInner(t) + thL * Math.sqrt(Math.max(0, 1 - t * t));
  const lipColor = P(mix(skin, [185, 80, 85], 0.4));
  const mBox: [number, number, number, number] = [yaw - hw - 0.03, mY - 0.16, yaw + hw + 0.03, mY + 0.22];
  cv.fill(mBox, band(yaw, hw, upperOuter, lowerOuter), lipColor);
  if (o > 0.004) {
    const cavity = band(yaw, hw * 0.96, upperInner, lowerInner);
    cv.fill(mBox, cavity, cv.rgb(70, 25, 30));
    if (teeth > 0) {
      const teethDepth = Math.min(0.035, o * 0.45);
      cv.fill(mBox, both(cavity, band(yaw, hw * 0.8, upperInner, (t) => upperInner(t) + teethDepth)), cv.rgb(245, 240, 228), teeth);
    }
    if (tongue > 0) {
      const ty = lowerInner(0) - 0.01 + 0.02 * tongue;
      const tongueShape = both(ellipse(yaw, ty, hw * 0.55, 0.03 + 0.035 * tongue), (_x, y) => upperInner(0) + 0.01 - y);
      cv.fill(mBox, tongueShape, cv.rgb(210, 95, 110), tongue);
    }
  }
  // the line between the lips (what carries a closed mouth's curve)
  const linePts: [number, number][] = [];
  for (let i = 0; i <= 8; i++) {
    const t = -1 + i / 4;
    linePts.push([yaw + t * hw, (upperInner(t) + lowerInner(t)) / 2]);
  }
  cv.fill(pointsBox(linePts, 0.03), stroke(linePts, 0.014 + 0.01 * press), cv.rgb(60, 28, 30), o > 0.02 ? 0.3 : 0.85);

  // folds from nose to mouth corners when cheeks or the upper lip pull
  const fold = Math.max(0, Math.min(1, 0.8 * cheek + 0.6 * lipUp + 0.3 * wrinkle));
  if (fold > 0.05) {
    for (const sx of [-1, 1]) {
      const pts = quadPoints([yaw + sx * (nw + 0.04), noseY - 0.01], [yaw + sx * (hw + 0.07), mY - 0.05], [yaw + sx * (hw + 0.025), mY + cornerY + 0.01], 4);
      cv.fill(pointsBox(pts, 0.02), stroke(pts, 0.014), P(dark), 0.5 * fold);
    }
  }
}
