// From a latent blend over the 7 expressions to facial actions (FACS-like
// movements the renderer draws). Each expression has a prototype per mouth variant;
// a blend's actions are the blend-weighted sum of prototypes, so a 60/40
// fear/surprise face really is between the two. The confusion partners say which
// expressions an ambiguous pose leans towards: the confusions people make.

import { CAFE_EXPRESSIONS, type Expression } from '../../../artifacts/classes.js';
import type { Mouth } from './cafe-table.js';

export const ACTIONS = [
  'browRaise', // whole brow up (surprise, fear)
  'browLower', // brow down (anger, disgust)
  'browInner', // inner ends up: oblique brows (sadness, fear)
  'browPinch', // brows drawn together
  'eyeOpen', // +1 wide open, -1 squeezed
  'cheekRaise', // cheeks up, lower lids pushed up (smile, disgust)
  'noseWrinkle',
  'upperLipRaise',
  'lipCorner', // +1 pulled up (smile), -1 pulled down
  'mouthOpen', // jaw drop / lips parted
  'mouthStretch', // +1 wide, -1 narrow and round
  'lipPress', // thin, pressed lips
  'teeth', // teeth showing when open
  'tongue', // tongue out
] as const;
export type Action = (typeof ACTIONS)[number];
export type Actions = Float64Array; // indexed like ACTIONS

type Proto = Partial<Record<Action, number>>;

const PROTOTYPES: Record<Expression, Record<Mouth, Proto>> = {
  anger: {
    closed: { browLower: 1, browPinch: 0.9, eyeOpen: -0.25, lipPress: 0.9, lipCorner: -0.25, noseWrinkle: 0.15 },
    open: { browLower: 1, browPinch: 0.9, eyeOpen: -0.1, mouthOpen: 0.55, mouthStretch: 0.45, teeth: 0.9, upperLipRaise: 0.35, lipCorner: -0.3 },
  },
  disgust: {
    closed: { browLower: 0.55, browPinch: 0.3, noseWrinkle: 1, upperLipRaise: 0.9, cheekRaise: 0.45, eyeOpen: -0.55, lipCorner: -0.35, lipPress: 0.3 },
    open: { browLower: 0.5, browPinch: 0.3, noseWrinkle: 0.9, upperLipRaise: 0.8, cheekRaise: 0.4, eyeOpen: -0.5, mouthOpen: 0.5, tongue: 1, lipCorner: -0.2 },
  },
  fear: {
    closed: { browRaise: 0.75, browInner: 0.7, browPinch: 0.55, eyeOpen: 1, mouthStretch: 0.8, lipCorner: -0.35, lipPress: 0.35 },
    open: { browRaise: 0.8, browInner: 0.7, browPinch: 0.5, eyeOpen: 1, mouthOpen: 0.55, mouthStretch: 0.85, teeth: 0.5, lipCorner: -0.3 },
  },
  happy: {
    closed: { lipCorner: 1, cheekRaise: 0.85, eyeOpen: -0.45, mouthStretch: 0.45 },
    open: { lipCorner: 1, cheekRaise: 0.9, eyeOpen: -0.5, mouthStretch: 0.5, mouthOpen: 0.55, teeth: 1 },
  },
  neutral: {
    closed: {},
    open: { mouthOpen: 0.3, teeth: 0.2 },
  },
  sad: {
    closed: { browInner: 1, browPinch: 0.35, lipCorner: -1, eyeOpen: -0.25, lipPress: 0.3 },
    open: { browInner: 0.95, browPinch: 0.3, lipCorner: -0.9, eyeOpen: -0.2, mouthOpen: 0.4, mouthStretch: 0.2 },
  },
  surprise: {
    // CAFE has no closed-mouth surprise; this one is only reached through blends
    closed: { browRaise: 1, eyeOpen: 0.9, mouthOpen: 0.2, mouthStretch: -0.4 },
    open: { browRaise: 1, eyeOpen: 1, mouthOpen: 1, mouthStretch: -0.55 },
  },
};

const PROTO_VECTORS: Record<Mouth, Float64Array[]> = {
  closed: CAFE_EXPRESSIONS.map((e) => toVector(PROTOTYPES[e].closed)),
  open: CAFE_EXPRESSIONS.map((e) => toVector(PROTOTYPES[e].open)),
};

function toVector(p: Proto): Float64Array {
  return Float64Array.from(ACTIONS, (a) => p[a] ?? 0);
}

/** The facial actions of a blend (weights over CAFE_EXPRESSIONS, summing to 1) for one mouth variant. */
export function blendActions(blend: ArrayLike<number>, mouth: Mouth): Actions {
  const out = new Float64Array(ACTIONS.length);
  const protos = PROTO_VECTORS[mouth];
  for (let k = 0; k < protos.length; k++) {
    const w = blend[k];
    if (w === 0) continue;
    const p = protos[k];
    for (let a = 0; a < out.length; a++) out[a] += w * p[a];
  }
  return out;
}

export function actionIndex(a: Action): number {
  return ACTIONS.indexOf(a);
}

/**
 * Where the non-posed share of an ambiguous blend goes, per posed expression and
 * mouth variant (weights over the other expressions). Strong pairs first:
 * anger/disgust, fear/surprise, sad/neutral; open mouths pull towards surprise.
 */
const PARTNERS: Record<Expression, Record<Mouth, Partial<Record<Expression, number>>>> = {
  anger: {
    closed: { disgust: 0.45, neutral: 0.22, sad: 0.2, fear: 0.07, surprise: 0.03, happy: 0.03 },
    open: { disgust: 0.45, fear: 0.15, surprise: 0.15, sad: 0.15, neutral: 0.07, happy: 0.03 },
  },
  disgust: {
    closed: { anger: 0.55, sad: 0.2, neutral: 0.13, fear: 0.07, happy: 0.05 },
    open: { anger: 0.4, sad: 0.15, happy: 0.15, fear: 0.12, surprise: 0.12, neutral: 0.06 },
  },
  fear: {
    closed: { surprise: 0.45, sad: 0.28, neutral: 0.1, disgust: 0.1, anger: 0.07 },
    open: { surprise: 0.6, sad: 0.14, disgust: 0.1, anger: 0.06, happy: 0.05, neutral: 0.05 },
  },
  happy: {
    closed: { neutral: 0.6, surprise: 0.1, sad: 0.1, disgust: 0.1, anger: 0.1 },
    open: { surprise: 0.4, neutral: 0.18, disgust: 0.15, anger: 0.12, fear: 0.15 },
  },
  neutral: {
    closed: { sad: 0.5, anger: 0.28, disgust: 0.1, fear: 0.06, happy: 0.06 },
    open: { surprise: 0.35, sad: 0.3, fear: 0.15, anger: 0.1, disgust: 0.1 },
  },
  sad: {
    closed: { neutral: 0.4, anger: 0.2, disgust: 0.2, fear: 0.2 },
    open: { fear: 0.3, neutral: 0.2, anger: 0.2, disgust: 0.15, surprise: 0.15 },
  },
  surprise: {
    closed: { fear: 0.6, happy: 0.25, neutral: 0.1, disgust: 0.05 },
    open: { fear: 0.6, happy: 0.25, neutral: 0.1, disgust: 0.05 },
  },
};

/** Partner weights as a 7-vector (zero at the posed expression, summing to 1). */
export function partnerVector(posed: Expression, mouth: Mouth): number[] {
  const p = PARTNERS[posed][mouth];
  const v = CAFE_EXPRESSIONS.map((e) => (e === posed ? 0 : (p[e] ?? 0)));
  const s = v.reduce((a, b) => a + b, 0);
  return v.map((x) => x / s);
}
