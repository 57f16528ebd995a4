// CAFE's file naming scheme: `<expression>[open|withtongue]_<Sex>-<Ethnicity>-<NN>[b][-2].jpg`,
// optionally behind a Databrary download prefix (`9977-angry_F-AA-01.jpg`). The
// image id is the name without prefix and extension; the child id is `F-AA-01`.

import { normalizeExpression, type Expression } from '../../artifacts/classes.js';

export interface CafeName {
  /** `angry_F-AA-01`, `neutral_M-EA-15b`, `happy_F-LA-07-2` */
  id: string;
  /** `F-AA-01` */
  child: string;
  expression: Expression;
  mouth: 'open' | 'closed';
  sex: 'F' | 'M';
  ethnicity: string;
}

export const CAFE_SCHEME = '<expression>[open|withtongue]_<Sex>-<Ethnicity>-<NN>[b][-2]';

const STEM = /^(?:\d+-)?((angry|anger|disgusted|disgust|fearful|fear|happy|neutral|sad|surprised|surprise)(open|withtongue)?_([FM])-([A-Z]{2})-(\d+)(b)?(-2)?)$/i;

/** The file's base name without its extension. */
export function stemOf(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/** Parse a CAFE file name (a path or a bare name, with or without extension and prefix). */
export function parseCafeName(file: string): CafeName | undefined {
  const m = STEM.exec(stemOf(file));
  if (!m) return undefined;
  const expression = normalizeExpression(m[2]);
  const suffix = m[3]?.toLowerCase();
  if (!expression || (suffix === 'withtongue' && expression !== 'disgust')) return undefined;
  const sex = m[4].toUpperCase() as 'F' | 'M';
  const ethnicity = m[5].toUpperCase();
  return {
    id: m[1],
    child: `${sex}-${ethnicity}-${m[6]}`,
    expression,
    mouth: suffix || expression === 'surprise' ? 'open' : 'closed',
    sex,
    ethnicity,
  };
}

/** How a spreadsheet row or another file refers to an image: the CAFE id when the name parses, else the stem. */
export function imageKey(name: string): string {
  return (parseCafeName(name)?.id ?? stemOf(name.trim())).toLowerCase();
}
