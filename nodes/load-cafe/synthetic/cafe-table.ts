// What the real CAFE looks like (from ../shared/SCIENCE.md): its composition by
// expression and mouth variant, how clearly each cell reads to the 100 lab raters
// (the validity figures the synthetic set is calibrated against), and its children.

import type { Expression } from '../../../artifacts/classes.js';

export type Mouth = 'open' | 'closed';

export interface CafeCell {
  expression: Expression;
  mouth: Mouth;
  /** images of this cell in CAFE */
  images: number;
  /** share of lab raters choosing the posed expression, over the cell's images */
  mean: number;
  sd: number;
  /** quantiles at 10, 25, 50, 75, 90 % */
  q10: number;
  q25: number;
  median: number;
  q75: number;
  q90: number;
}

const row = (expression: Expression, mouth: Mouth, images: number, mean: number, sd: number, q10: number, q25: number, median: number, q75: number, q90: number): CafeCell => ({
  expression, mouth, images, mean, sd, q10, q25, median, q75, q90,
});

/** CAFE's 13 cells in canonical order (expression order of CAFE_EXPRESSIONS, closed before open). */
export const CAFE_CELLS: readonly CafeCell[] = [
  row('anger', 'closed', 121, 0.656, 0.247, 0.27, 0.47, 0.76, 0.86, 0.9),
  row('anger', 'open', 84, 0.663, 0.204, 0.35, 0.54, 0.72, 0.83, 0.88),
  row('disgust', 'closed', 96, 0.544, 0.197, 0.28, 0.39, 0.55, 0.7, 0.81),
  row('disgust', 'open', 95, 0.734, 0.1, 0.6, 0.68, 0.74, 0.79, 0.86),
  row('fear', 'closed', 79, 0.454, 0.201, 0.19, 0.3, 0.48, 0.59, 0.72),
  row('fear', 'open', 61, 0.385, 0.147, 0.23, 0.28, 0.37, 0.49, 0.58),
  row('happy', 'closed', 120, 0.932, 0.032, 0.89, 0.92, 0.94, 0.95, 0.96),
  row('happy', 'open', 95, 0.736, 0.185, 0.47, 0.62, 0.77, 0.9, 0.94),
  row('neutral', 'closed', 129, 0.856, 0.091, 0.73, 0.82, 0.88, 0.92, 0.94),
  row('neutral', 'open', 101, 0.399, 0.233, 0.11, 0.22, 0.35, 0.62, 0.73),
  row('sad', 'closed', 62, 0.752, 0.156, 0.54, 0.65, 0.79, 0.87, 0.92),
  row('sad', 'open', 46, 0.449, 0.216, 0.12, 0.29, 0.45, 0.63, 0.72),
  row('surprise', 'open', 103, 0.716, 0.123, 0.55, 0.62, 0.71, 0.81, 0.87),
];

export const CAFE_IMAGES = 1192;
export const CAFE_CHILDREN = 154;
export const CAFE_RATERS = 100;

/** 90 girls, 64 boys. */
export const CAFE_SEX: Readonly<Record<'F' | 'M', number>> = { F: 90, M: 64 };
/** Ethnicity codes as CAFE writes them, with its counts of children. */
export const CAFE_ETHNICITY: Readonly<Record<string, number>> = { AA: 27, AS: 16, EA: 77, LA: 23, SA: 11 };
/** Ages 2.7-8.7 years, mean 5.3. */
export const CAFE_AGE = { min: 2.7, max: 8.7, mean: 5.3 };

/** Cell key as the summary writes it, with CAFE's words: `angry/closed`. */
export function cellKey(expression: Expression, mouth: Mouth, words: Record<Expression, string>): string {
  return `${words[expression]}/${mouth}`;
}
