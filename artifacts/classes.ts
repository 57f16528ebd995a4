// The label vocabulary every node shares: CAFE's seven expressions, the study's
// five-class merge, and the synonym rules that turn spreadsheet headers and crowd
// answers ("Angry", "happiness", "afraid") into canonical class names.

/** CAFE's seven expressions, in the canonical order every count vector uses. */
export const CAFE_EXPRESSIONS = ['anger', 'disgust', 'fear', 'happy', 'neutral', 'sad', 'surprise'] as const;
export type Expression = (typeof CAFE_EXPRESSIONS)[number];

/** The words CAFE itself writes in file names and the calibration table. */
export const CAFE_WORDS: Record<Expression, string> = {
  anger: 'angry',
  disgust: 'disgust',
  fear: 'fearful',
  happy: 'happy',
  neutral: 'neutral',
  sad: 'sad',
  surprise: 'surprise',
};

/** The study compared answers on five classes: people confuse fear/surprise and anger/disgust. */
export const STUDY5_CLASSES = ['happy', 'neutral', 'sad', 'fear+surprise', 'anger+disgust'] as const;

export type MergeName = 'study5' | 'none';

/** A class merge: the merged class names and, for each of the 7 expressions, its merged index. */
export interface ClassMerge {
  readonly name: MergeName;
  readonly classes: readonly string[];
  /** index into `classes` for each entry of CAFE_EXPRESSIONS */
  readonly mapIndex: readonly number[];
}

const STUDY5_OF: Record<Expression, string> = {
  anger: 'anger+disgust',
  disgust: 'anger+disgust',
  fear: 'fear+surprise',
  surprise: 'fear+surprise',
  happy: 'happy',
  neutral: 'neutral',
  sad: 'sad',
};

export function classMerge(name: MergeName): ClassMerge {
  if (name === 'none') {
    return { name, classes: [...CAFE_EXPRESSIONS], mapIndex: CAFE_EXPRESSIONS.map((_, i) => i) };
  }
  const classes = [...STUDY5_CLASSES];
  return { name, classes, mapIndex: CAFE_EXPRESSIONS.map((e) => classes.indexOf(STUDY5_OF[e] as (typeof STUDY5_CLASSES)[number])) };
}

/** Sum a 7-vector of counts (or probabilities) into the merged classes. */
export function mergeVector(values: ArrayLike<number>, merge: ClassMerge): number[] {
  const out = new Array<number>(merge.classes.length).fill(0);
  for (let i = 0; i < CAFE_EXPRESSIONS.length; i++) out[merge.mapIndex[i]] += values[i];
  return out;
}

const SYNONYMS: Record<string, Expression> = {
  anger: 'anger', angry: 'anger', mad: 'anger',
  disgust: 'disgust', disgusted: 'disgust', disgustwithtongue: 'disgust',
  fear: 'fear', fearful: 'fear', afraid: 'fear', scared: 'fear',
  happy: 'happy', happiness: 'happy', joy: 'happy', joyful: 'happy',
  neutral: 'neutral', calm: 'neutral',
  sad: 'sad', sadness: 'sad',
  surprise: 'surprise', surprised: 'surprise',
};

/**
 * Canonical expression for a label as people and platforms write it, or undefined.
 * Case, surrounding space and punctuation are ignored ("Happy ", "SURPRISED!").
 */
export function normalizeExpression(raw: string): Expression | undefined {
  const k = raw.trim().toLowerCase().replace(/[^a-z]/g, '');
  return SYNONYMS[k];
}

/**
 * Canonical class for a label under a merge: an expression synonym, or (for merged
 * classes) the merged name itself, e.g. "anger+disgust" or "fear + surprise".
 * Returns the class index, or -1 when the label is not recognised.
 */
export function classIndexOf(raw: string, merge: ClassMerge): number {
  const e = normalizeExpression(raw);
  if (e) return merge.mapIndex[CAFE_EXPRESSIONS.indexOf(e)];
  const compact = raw.trim().toLowerCase().replace(/\s+/g, '');
  return merge.classes.indexOf(compact);
}

/** Index of the largest value; ties go to the lowest index (a documented, deterministic rule). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Normalise a non-negative vector to sum 1; an all-zero vector becomes uniform. */
export function normalize(values: ArrayLike<number>): number[] {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = s > 0 ? values[i] / s : 1 / values.length;
  return out;
}
