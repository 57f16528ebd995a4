// Which column of a spreadsheet holds what: the file name, the subject, the
// optional metadata, and the raters' votes per expression. Headers are matched
// case-insensitively with synonyms ("Angry %", "n_happiness", "Fearful votes");
// an explicit `columns` mapping wins over detection.

import { CAFE_EXPRESSIONS, normalizeExpression, type Expression } from '../../artifacts/classes.js';
import { UserInputError } from '../../runner/node-api.js';
import { findColumn, headerKey } from '../lib/csv.js';
import type { ColumnMapping } from './params.js';

export type MetaRole = 'file' | 'subject' | 'id' | 'expression' | 'mouth' | 'sex' | 'age' | 'ethnicity';

const META_SYNONYMS: Record<MetaRole, string[]> = {
  file: ['file', 'filename', 'file name', 'image', 'image name', 'image file', 'image path', 'path', 'stimulus', 'stimulus name', 'picture', 'photo', 'img', 'name'],
  subject: ['subject', 'subject id', 'child', 'child id', 'participant', 'participant id', 'person', 'identity', 'model', 'actor'],
  id: ['image id', 'imageid', 'id'],
  expression: ['expression', 'posed', 'posed expression', 'intended expression', 'emotion', 'target', 'category'],
  mouth: ['mouth', 'mouth open', 'mouth state'],
  sex: ['sex', 'gender'],
  age: ['age', 'age years', 'age (years)'],
  ethnicity: ['ethnicity', 'race', 'ethnic group'],
};

/** words around an expression name in a votes header: "Angry %", "anger_count", "n happy" */
const FILLER = new Set(['count', 'counts', 'votes', 'vote', 'n', 'num', 'number', 'percent', 'percentage', 'pct', 'prop', 'proportion', 'share', 'p', 'raters', 'ratings', 'rating', 'of', 'lab', 'chose', 'chosen']);

/** The expression a votes column is about, or undefined. */
export function expressionOfHeader(header: string): Expression | undefined {
  const tokens = header.toLowerCase().split(/[^a-z]+/).filter((t) => t && !FILLER.has(t));
  return tokens.length === 1 ? normalizeExpression(tokens[0]) : undefined;
}

export interface Columns {
  meta: Partial<Record<MetaRole, number>>;
  /** column per expression (CAFE_EXPRESSIONS order), -1 when absent */
  votes: number[];
}

/** Find columns without failing (for header-row search). */
export function detectColumns(header: readonly string[], mapping: ColumnMapping, metaRoles: readonly MetaRole[]): Columns {
  const meta: Partial<Record<MetaRole, number>> = {};
  const taken = new Set<number>();
  const votes = CAFE_EXPRESSIONS.map((e) => {
    const explicit = mapping[e];
    const i = explicit !== undefined ? findColumn(header, [explicit]) : header.findIndex((h) => expressionOfHeader(h) === e);
    if (i >= 0) taken.add(i);
    return i;
  });
  for (const role of metaRoles) {
    const explicit = mapping[role];
    const i = explicit !== undefined ? findColumn(header, [explicit]) : findFree(header, META_SYNONYMS[role], taken);
    if (i >= 0) {
      meta[role] = i;
      taken.add(i);
    }
  }
  return { meta, votes };
}

function findFree(header: readonly string[], names: readonly string[], taken: Set<number>): number {
  const keys = header.map(headerKey);
  for (const n of names) {
    const i = keys.findIndex((k, j) => k === headerKey(n) && !taken.has(j));
    if (i >= 0) return i;
  }
  return -1;
}

/**
 * Check that the columns a source needs are there; explicit mappings that name a
 * missing header are reported by name. Throws a one-line UserInputError.
 */
export function requireColumns(
  cols: Columns,
  header: readonly string[],
  mapping: ColumnMapping,
  required: readonly MetaRole[],
  minVotes: number,
  file: string,
): void {
  const have = `headers: ${header.filter((h) => h).join(', ').slice(0, 300)}`;
  for (const [role, name] of Object.entries(mapping)) {
    if (name !== undefined && findColumn(header, [name]) < 0) {
      throw new UserInputError(`${file}: columns.${role} names "${name}", which is not a header (${have})`);
    }
  }
  for (const role of required) {
    if (cols.meta[role] === undefined) {
      throw new UserInputError(`${file}: no ${role} column (${have}); name one with columns.${role}`);
    }
  }
  const found = cols.votes.filter((i) => i >= 0).length;
  if (found < minVotes) {
    const missing = CAFE_EXPRESSIONS.filter((_, k) => cols.votes[k] < 0);
    throw new UserInputError(`${file}: no vote column for ${missing.join(', ')} (${have}); name them with columns.<expression>`);
  }
}

/** ` using columns.file = "Pic", ...` for messages, or '' without a mapping. */
export function mappingNote(mapping: ColumnMapping): string {
  const parts = Object.entries(mapping).filter(([, v]) => v !== undefined).map(([k, v]) => `columns.${k} = "${v}"`);
  return parts.length ? `, using ${parts.join(', ')}` : '';
}
