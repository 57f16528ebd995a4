// `source: directory`: a user's copy of CAFE. Image files are found recursively
// and parsed by CAFE's naming scheme (with or without a Databrary prefix), the
// validity spreadsheet gives each image's lab votes, and the two are matched by
// image id. Every mismatch is a problem: fail (strict) or skip and count.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { CAFE_EXPRESSIONS } from '../../artifacts/classes.js';
import type { ImageMeta } from '../../artifacts/dataset.js';
import { listFilesRecursive } from '../../runner/folder-io.js';
import { UserInputError, type NodeContext } from '../../runner/node-api.js';
import { CAFE_SCHEME, imageKey, parseCafeName, type CafeName } from './cafe-names.js';
import { detectColumns, mappingNote, requireColumns, type MetaRole } from './columns.js';
import { decodeAll, packPixels } from './decode.js';
import type { Loaded } from './loaded.js';
import type { LoadCafeParams } from './params.js';
import { Problems } from './problems.js';
import { readTable, type Table } from './table.js';
import { detectScale, parseVote, toCounts, type VoteScale } from './votes.js';

export const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp', '.gif']);

/** Resolve a path param against the spec folder and check it exists. */
export async function existingPath(ctx: NodeContext<LoadCafeParams>, param: 'images' | 'ratings' | 'manifest', kind: 'file' | 'folder'): Promise<{ abs: string; display: string }> {
  const rel = ctx.params[param];
  if (!rel) throw new UserInputError(`source: ${ctx.params.source} needs param "${param}"`);
  const abs = path.resolve(ctx.specDir, rel);
  const st = await stat(abs).catch(() => undefined);
  if (!st) throw new UserInputError(`${rel}: not found (param ${param})`);
  if (kind === 'folder' && !st.isDirectory()) throw new UserInputError(`${rel}: not a folder (param ${param} names the image folder)`);
  if (kind === 'file' && !st.isFile()) throw new UserInputError(`${rel}: not a file (param ${param})`);
  return { abs, display: rel };
}

export interface VoteRow {
  line: number;
  values: number[];
  cells: string[];
}

/** Read a votes table: column detection, scale detection, and per-row counts (bad rows become problems). */
export function rowCounts(
  table: Table,
  votes: number[],
  raters: number,
  problems: Problems,
): { scale: VoteScale; counts: (number[] | undefined)[]; rescaled: number } {
  const values = table.rows.map((r) => votes.map((col) => (col < 0 ? 0 : parseVote(r.cells[col]))));
  const scale = detectScale(values);
  let rescaled = 0;
  const counts = table.rows.map((r, i) => {
    const res = toCounts(values[i], scale, raters);
    if ('error' in res) {
      problems.add(`${table.file}:${r.line}`, 'bad values', `${res.error}; correct the row or remove it`);
      return undefined;
    }
    if (res.rescaled) rescaled++;
    return res.counts;
  });
  return { scale, counts, rescaled };
}

export async function loadDirectory(ctx: NodeContext<LoadCafeParams>): Promise<Loaded> {
  const p = ctx.params;
  const problems = new Problems(p.strict);
  const folder = await existingPath(ctx, 'images', 'folder');
  const sheet = await existingPath(ctx, 'ratings', 'file');

  // 1. image files and their names
  const files = await listFilesRecursive(folder.abs);
  let ignored = 0;
  const byKey = new Map<string, { name: CafeName; rel: string }>();
  for (const rel of files) {
    const base = rel.split('/').pop()!;
    if (rel.split('/').some((seg) => seg.startsWith('.')) || !IMAGE_EXTENSIONS.has(path.extname(base).toLowerCase())) {
      ignored++; // hidden files (macOS ._ copies), spreadsheets, notes
      continue;
    }
    const display = path.join(folder.display, rel);
    const name = parseCafeName(base);
    if (!name) {
      problems.add(display, 'name does not parse', `the file name does not follow CAFE's scheme ${CAFE_SCHEME}.jpg; rename or remove it`);
      continue;
    }
    const key = name.id.toLowerCase();
    const prev = byKey.get(key);
    if (prev) {
      problems.add(display, 'duplicate image', `same image id ${name.id} as ${path.join(folder.display, prev.rel)}; keep one of them`);
      continue;
    }
    byKey.set(key, { name, rel });
  }
  if (byKey.size === 0 && problems.items.length === 0) throw new UserInputError(`${folder.display}: no image files found (looked for ${[...IMAGE_EXTENSIONS].join(' ')})`);
  problems.check();

  // 2. the validity sheet
  const metaRoles: MetaRole[] = ['file', 'age'];
  const isHeader = (cells: string[]): boolean => {
    const c = detectColumns(cells, p.columns, metaRoles);
    return c.meta.file !== undefined && c.votes.every((i) => i >= 0);
  };
  const table = await readTable(sheet.abs, sheet.display, isHeader, `a file-name column and one column per expression${mappingNote(p.columns)}`);
  const cols = detectColumns(table.header, p.columns, metaRoles);
  requireColumns(cols, table.header, p.columns, ['file'], CAFE_EXPRESSIONS.length, table.file);
  const { scale, counts, rescaled } = rowCounts(table, cols.votes, p.raters, problems);
  const rowOf = new Map<string, number>();
  table.rows.forEach((r, i) => {
    const where = `${table.file}:${r.line}`;
    const name = (r.cells[cols.meta.file!] ?? '').trim();
    if (!name) {
      problems.add(where, 'row has no image', 'the file-name cell is empty');
      return;
    }
    const key = imageKey(name);
    if (rowOf.has(key)) {
      problems.add(where, 'duplicate row', `a second row for ${name} (first at line ${table.rows[rowOf.get(key)!].line}); keep one`);
      return;
    }
    rowOf.set(key, i);
    if (!byKey.has(key)) problems.add(where, 'row has no image', `no image file for ${name} under ${folder.display}; add the image or remove the row`);
  });
  for (const [key, { name, rel }] of byKey) {
    if (!rowOf.has(key)) problems.add(path.join(folder.display, rel), 'image has no row', `no row for ${name.id} in ${table.file}; add its votes or remove the image`);
  }
  problems.check();

  // 3. decode the images that have good rows
  const keep = [...byKey.entries()]
    .filter(([key]) => rowOf.has(key) && counts[rowOf.get(key)!] !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const frames = await decodeAll(
    ctx,
    keep.map(([, v]) => ({ abs: path.join(folder.abs, v.rel), display: path.join(folder.display, v.rel) })),
    { size: p.size, channels: p.channels, fit: p.fit },
    problems,
  );
  problems.check();

  const images: Omit<ImageMeta, 'split'>[] = [];
  const outCounts: number[][] = [];
  const kept: Uint8Array[] = [];
  keep.forEach(([key, { name, rel }], i) => {
    const frame = frames[i];
    if (!frame) return;
    const row = table.rows[rowOf.get(key)!];
    const meta: Omit<ImageMeta, 'split'> = { id: name.id, child: name.child, expression: name.expression, mouth: name.mouth, sex: name.sex, ethnicity: name.ethnicity, file: rel };
    const age = cols.meta.age !== undefined ? Number((row.cells[cols.meta.age] ?? '').trim()) : NaN;
    if (Number.isFinite(age) && age > 0) meta.age = age;
    images.push(meta);
    outCounts.push(counts[rowOf.get(key)!]!);
    kept.push(frame);
  });
  if (images.length === 0) throw new UserInputError(`${folder.display}: no image could be loaded (${problems.items.length} skipped: ${problems.items[0]?.where}: ${problems.items[0]?.message})`);
  return {
    source: 'directory',
    synthetic: false,
    images,
    counts: outCounts,
    pixels: packPixels(kept, p.size * p.size * p.channels),
    skipped: problems.items,
    facts: { 'vote scale': scale, 'rows rescaled to the raters count': rescaled, 'non-image or hidden files ignored': ignored, 'spreadsheet rows': table.rows.length },
  };
}
