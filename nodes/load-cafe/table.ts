// Reads a spreadsheet people hand us (CSV or XLSX) as rows of text cells with the
// line or row number they would see, and finds the header row: the first row
// (within the first few) that `isHeader` accepts, so title lines above it are fine.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UserInputError } from '../../runner/node-api.js';
import { CsvSyntaxError, parseCsv, type CsvRow } from '../lib/csv.js';

export interface Table {
  /** how messages name the file (spec-relative path) */
  file: string;
  header: string[];
  headerLine: number;
  rows: CsvRow[];
}

const HEADER_SEARCH_ROWS = 20;

export async function readTable(absPath: string, display: string, isHeader: (cells: string[]) => boolean, describeWanted: string): Promise<Table> {
  const ext = path.extname(absPath).toLowerCase();
  if (ext === '.xls') throw new UserInputError(`${display}: the old .xls format cannot be read; save it as .xlsx or .csv`);
  let records: CsvRow[];
  try {
    records = ext === '.xlsx' || ext === '.xlsm' ? await readXlsx(absPath, display, isHeader) : await readCsv(absPath);
  } catch (err) {
    if (err instanceof UserInputError) throw err;
    if (err instanceof CsvSyntaxError) throw new UserInputError(`${display}:${err.line}: a quoted field is never closed; check the quotes in that row`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserInputError(`${display}: file not found`);
    throw new UserInputError(`${display}: cannot read it as ${ext === '.xlsx' ? 'an XLSX workbook' : 'CSV'} (${(err as Error).message.split('\n')[0]})`);
  }
  const at = records.slice(0, HEADER_SEARCH_ROWS).findIndex((r) => isHeader(r.cells));
  if (at < 0) {
    const first = records[0]?.cells.filter((c) => c.trim()).join(', ') ?? '';
    throw new UserInputError(
      `${display}: no header row with ${describeWanted}${first ? ` (first row: ${first.slice(0, 200)})` : ' (the file is empty)'}; rename the headers or map them with the "columns" param`,
    );
  }
  return { file: display, header: records[at].cells.map((c) => c.trim()), headerLine: records[at].line, rows: records.slice(at + 1) };
}

async function readCsv(absPath: string): Promise<CsvRow[]> {
  const buf = await readFile(absPath);
  // Excel's "Unicode text" is UTF-16LE with a byte-order mark
  const text = buf[0] === 0xff && buf[1] === 0xfe ? buf.subarray(2).toString('utf16le') : buf.toString('utf8');
  const t = parseCsv(text);
  return t.headerLine ? [{ line: t.headerLine, cells: t.header }, ...t.rows] : [];
}

async function readXlsx(absPath: string, display: string, isHeader: (cells: string[]) => boolean): Promise<CsvRow[]> {
  const ExcelJS = (await import('exceljs')).default;
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(absPath);
  let fallback: CsvRow[] | undefined;
  for (const ws of wb.worksheets) {
    const rows: CsvRow[] = [];
    ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
      const cells: string[] = [];
      row.eachCell({ includeEmpty: true }, (cell, col) => {
        cells[col - 1] = cellText(cell.value);
      });
      for (let i = 0; i < cells.length; i++) cells[i] ??= '';
      if (cells.some((c) => c.trim() !== '')) rows.push({ line: rowNumber, cells });
    });
    if (rows.slice(0, HEADER_SEARCH_ROWS).some((r) => isHeader(r.cells))) return rows;
    fallback ??= rows;
  }
  if (!fallback) throw new UserInputError(`${display}: the workbook has no worksheets`);
  return fallback;
}

/** Text of an exceljs cell value: numbers at full precision, formulas by their result, rich text joined. */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') {
    const o = v as { result?: unknown; richText?: { text: string }[]; text?: unknown; error?: string };
    if ('result' in o) return cellText(o.result);
    if (o.richText) return o.richText.map((r) => r.text).join('');
    if (o.text !== undefined) return cellText(o.text);
    if (o.error) return o.error;
  }
  return String(v);
}
