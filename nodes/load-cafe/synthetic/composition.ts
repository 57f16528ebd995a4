// Who is in the synthetic set and which poses each child has: CAFE's composition
// (exact at 154 children, scaled proportionally for fewer or more), its mix of
// sexes and ethnicities, and each cell's images spread over the children so that
// everyone poses 7 or 8 of the 13 cells, at most once each, as in CAFE.

import type { Random } from '../../../runner/random.js';
import { roundToTotal as apportion } from '../votes.js';
import { CAFE_AGE, CAFE_CELLS, CAFE_CHILDREN, CAFE_ETHNICITY, CAFE_SEX, type CafeCell } from './cafe-table.js';

/** Images per cell for `children` children: CAFE's counts scaled by children / 154. */
export function cellCounts(children: number): number[] {
  const total = Math.round((CAFE_CELLS.reduce((s, c) => s + c.images, 0) * children) / CAFE_CHILDREN);
  return apportion(
    CAFE_CELLS.map((c) => c.images),
    total,
  ).map((n) => Math.min(n, children));
}

export interface SyntheticChild {
  id: string;
  sex: 'F' | 'M';
  ethnicity: string;
  age: number;
}

/** Children with CAFE's sex and ethnicity mix, numbered within each sex-ethnicity group like CAFE. */
export function makeChildren(n: number, rng: Random): SyntheticChild[] {
  const ethCodes = Object.keys(CAFE_ETHNICITY);
  const eths = apportion(Object.values(CAFE_ETHNICITY), n).flatMap((k, i) => Array<string>(k).fill(ethCodes[i]));
  const sexes = apportion([CAFE_SEX.F, CAFE_SEX.M], n).flatMap((k, i) => Array<'F' | 'M'>(k).fill(i === 0 ? 'F' : 'M'));
  rng.shuffle(sexes);
  // ages: a beta on [min, max] with CAFE's mean
  const m = (CAFE_AGE.mean - CAFE_AGE.min) / (CAFE_AGE.max - CAFE_AGE.min);
  const conc = 6;
  const next = new Map<string, number>();
  const kids = eths.map((ethnicity, i) => {
    const sex = sexes[i];
    const group = `${sex}-${ethnicity}`;
    const nn = (next.get(group) ?? 0) + 1;
    next.set(group, nn);
    const age = CAFE_AGE.min + (CAFE_AGE.max - CAFE_AGE.min) * rng.beta(m * conc, (1 - m) * conc);
    return { id: `${group}-${String(nn).padStart(2, '0')}`, sex, ethnicity, age: Math.round(age * 10) / 10 };
  });
  return kids.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface PoseSlot {
  cell: CafeCell;
  cellIndex: number;
  child: number;
}

/**
 * Spread each cell's images over the children: larger cells first, each image to a
 * child with the fewest poses so far (random among ties), never twice in a cell.
 */
export function assignPoses(counts: readonly number[], children: number, rng: Random): PoseSlot[] {
  const load = new Array<number>(children).fill(0);
  const slots: PoseSlot[] = [];
  const order = counts.map((n, i) => ({ n, i })).sort((a, b) => b.n - a.n || a.i - b.i);
  for (const { n, i } of order) {
    const candidates = rng.shuffle(Array.from({ length: children }, (_, c) => c));
    candidates.sort((a, b) => load[a] - load[b]); // stable: ties stay shuffled
    for (const c of candidates.slice(0, n)) {
      load[c]++;
      slots.push({ cell: CAFE_CELLS[i], cellIndex: i, child: c });
    }
  }
  return slots.sort((a, b) => a.child - b.child || a.cellIndex - b.cellIndex);
}
