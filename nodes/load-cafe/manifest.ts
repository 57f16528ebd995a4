// `source: manifest`: any face set with per-image rater distributions. One row
// per image: an image path (relative to `images`, else to the manifest's folder),
// a subject id, and vote columns for some or all of the 7 expressions (counts,
// proportions or percentages). Optional columns give the image id, the posed
// expression (else the CAFE file name's, else the raters' plurality), mouth, sex,
// age and ethnicity.

import { access } from 'node:fs/promises';
import path from 'node:path';
import { argmax, CAFE_EXPRESSIONS, normalizeExpression } from '../../artifacts/classes.js';
import type { ImageMeta } from '../../artifacts/dataset.js';
import { UserInputError, type NodeContext } from '../../runner/node-api.js';
import { parseCafeName } from './cafe-names.js';
import { detectColumns, mappingNote, requireColumns, type MetaRole } from './columns.js';
import { decodeAll, packPixels } from './decode.js';
import { existingPath, rowCounts } from './directory.js';
import type { Loaded } from './loaded.js';
import type { LoadCafeParams } from './params.js';
import { Problems } from './problems.js';
import { readTable } from './table.js';

const META_ROLES: MetaRole[] = ['file', 'subject', 'id', 'expression', 'mouth', 'sex', 'age', 'ethnicity'];

/** `faces/p1/a.jpg` -> `faces/p1/a`: unique where bare stems may repeat across subjects' folders. */
function withoutExtension(file: string): string {
  const norm = file.replace(/\\/g, '/').replace(/^\.\//, '');
  const ext = path.posix.extname(norm);
  return ext ? norm.slice(0, -ext.length) : norm;
}

function parseMouth(raw: string): 'open' | 'closed' | undefined {
  const t = raw.trim().toLowerCase();
  if (['open', 'o', '1', 'yes', 'true', 'withtongue'].includes(t)) return 'open';
  if (['closed', 'c', '0', 'no', 'false'].includes(t)) return 'closed';
  return undefined;
}

export async function loadManifest(ctx: NodeContext<LoadCafeParams>): Promise<Loaded> {
  const p = ctx.params;
  const problems = new Problems(p.strict);
  const manifest = await existingPath(ctx, 'manifest', 'file');
  const base = p.images ? (await existingPath(ctx, 'images', 'folder')) : { abs: path.dirname(manifest.abs), display: path.dirname(manifest.display) };

  const isHeader = (cells: string[]): boolean => {
    const c = detectColumns(cells, p.columns, META_ROLES);
    return c.meta.file !== undefined && c.meta.subject !== undefined && c.votes.filter((i) => i >= 0).length >= 2;
  };
  const table = await readTable(manifest.abs, manifest.display, isHeader, `an image column, a subject column and vote columns for at least 2 expressions${mappingNote(p.columns)}`);
  const cols = detectColumns(table.header, p.columns, META_ROLES);
  requireColumns(cols, table.header, p.columns, ['file', 'subject'], 2, table.file);
  const { scale, counts, rescaled } = rowCounts(table, cols.votes, p.raters, problems);
  const cell = (cells: string[], role: MetaRole): string => (cols.meta[role] !== undefined ? (cells[cols.meta[role]!] ?? '').trim() : '');

  const seen = new Map<string, number>();
  const rows: { meta: Omit<ImageMeta, 'split'>; abs: string; display: string; counts: number[] }[] = [];
  for (let i = 0; i < table.rows.length; i++) {
    const r = table.rows[i];
    const where = `${table.file}:${r.line}`;
    const file = cell(r.cells, 'file');
    const subject = cell(r.cells, 'subject');
    if (!file) {
      problems.add(where, 'row has no image', 'the image cell is empty');
      continue;
    }
    const abs = path.resolve(base.abs, file);
    const display = path.join(base.display, file);
    if (!(await access(abs).then(() => true, () => false))) {
      problems.add(where, 'row has no image', `image ${display} not found; fix the path or remove the row`);
      continue;
    }
    const c = counts[i];
    if (!c) continue; // already a problem
    if (!subject) {
      problems.add(where, 'bad values', 'the subject cell is empty; every image needs its subject for the split');
      continue;
    }
    const cafe = parseCafeName(file);
    const id = cell(r.cells, 'id') || cafe?.id || withoutExtension(file);
    if (seen.has(id.toLowerCase())) {
      problems.add(where, 'duplicate row', `image id ${id} already on line ${seen.get(id.toLowerCase())}; ids must be unique`);
      continue;
    }
    seen.set(id.toLowerCase(), r.line);
    const exprCell = cell(r.cells, 'expression');
    const expression = exprCell ? normalizeExpression(exprCell) : (cafe?.expression ?? CAFE_EXPRESSIONS[argmax(c)]);
    if (!expression) {
      problems.add(where, 'bad values', `unknown expression "${exprCell}" (use one of ${CAFE_EXPRESSIONS.join(', ')} or a synonym)`);
      continue;
    }
    const mouthCell = cell(r.cells, 'mouth');
    const mouth = mouthCell ? parseMouth(mouthCell) : (cafe?.mouth ?? 'closed');
    if (!mouth) {
      problems.add(where, 'bad values', `mouth "${mouthCell}" is neither open nor closed`);
      continue;
    }
    const meta: Omit<ImageMeta, 'split'> = { id, child: subject, expression, mouth, file };
    const sex = cell(r.cells, 'sex').toUpperCase();
    if (sex === 'F' || sex === 'M') meta.sex = sex;
    else if (cafe) meta.sex = cafe.sex;
    const eth = cell(r.cells, 'ethnicity') || cafe?.ethnicity;
    if (eth) meta.ethnicity = eth;
    const age = Number(cell(r.cells, 'age'));
    if (cell(r.cells, 'age') && Number.isFinite(age) && age > 0) meta.age = age;
    rows.push({ meta, abs, display, counts: c });
  }
  problems.check();

  const frames = await decodeAll(ctx, rows, { size: p.size, channels: p.channels, fit: p.fit }, problems);
  problems.check();
  const ok = rows.map((r, i) => ({ ...r, frame: frames[i] })).filter((r): r is typeof r & { frame: Uint8Array } => r.frame !== undefined);
  if (ok.length === 0) throw new UserInputError(`${manifest.display}: no image could be loaded (${problems.items.length} skipped: ${problems.items[0]?.where}: ${problems.items[0]?.message})`);
  const missing = CAFE_EXPRESSIONS.filter((_, k) => cols.votes[k] < 0);
  return {
    source: 'manifest',
    synthetic: false,
    images: ok.map((r) => r.meta),
    counts: ok.map((r) => r.counts),
    pixels: packPixels(ok.map((r) => r.frame), p.size * p.size * p.channels),
    skipped: problems.items,
    facts: {
      'vote scale': scale,
      'rows rescaled to the raters count': rescaled,
      'manifest rows': table.rows.length,
      ...(missing.length ? { 'expressions with no vote column (counted as 0)': missing.join(', ') } : {}),
      ...(cols.meta.mouth === undefined ? { 'mouth': 'no mouth column: taken from CAFE names, else closed' } : {}),
    },
  };
}
