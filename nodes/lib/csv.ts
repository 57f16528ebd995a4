// A small RFC 4180 CSV reader shared by the nodes that import people's files
// (validity sheets, manifests, crowd exports). It keeps the line number where each
// record starts so error messages can say `FILE:LINE`, as an editor or a
// spreadsheet shows it (header = line 1 when nothing precedes it).
//
// Handles: a UTF-8 byte-order mark, CRLF/LF/CR line ends, quoted fields with
// commas, line breaks and doubled quotes, blank lines (skipped), and `;` or tab
// delimited files (Excel in some locales), detected from the header line.

export interface CsvRow {
  /** 1-based line where the record starts in the file */
  line: number;
  cells: string[];
}

export interface CsvTable {
  header: string[];
  /** 1-based line of the header record (0 for an empty file) */
  headerLine: number;
  /** records after the header; rows whose cells are all empty are left out */
  rows: CsvRow[];
}

/** A CSV file that cannot be read as CSV (an unterminated quoted field). */
export class CsvSyntaxError extends Error {
  override readonly name = 'CsvSyntaxError';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const QUOTE = 34;
const CR = 13;
const LF = 10;

/** Parse a whole CSV text. `delimiter` defaults to the most frequent of `,` `;` tab on the first line. */
export function parseCsv(text: string, options: { delimiter?: string } = {}): CsvTable {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const delim = (options.delimiter ?? detectDelimiter(text)).charCodeAt(0);
  const records: CsvRow[] = [];
  const n = text.length;
  let pos = 0;
  let line = 1;
  while (pos < n) {
    const start = line;
    const cells: string[] = [];
    // one record
    for (;;) {
      let value: string;
      if (text.charCodeAt(pos) === QUOTE) {
        let out = '';
        let from = pos + 1;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) throw new CsvSyntaxError(start, `line ${start}: a quoted field is never closed`);
          const chunk = text.slice(from, q);
          line += countLineBreaks(chunk);
          out += chunk;
          if (text.charCodeAt(q + 1) === QUOTE) {
            out += '"';
            from = q + 2;
          } else {
            pos = q + 1;
            break;
          }
        }
        // anything between the closing quote and the delimiter is kept (lenient)
        let end = pos;
        while (end < n) {
          const c = text.charCodeAt(end);
          if (c === delim || c === LF || c === CR) break;
          end++;
        }
        value = end > pos ? out + text.slice(pos, end) : out;
        pos = end;
      } else {
        let end = pos;
        while (end < n) {
          const c = text.charCodeAt(end);
          if (c === delim || c === LF || c === CR) break;
          end++;
        }
        value = text.slice(pos, end);
        pos = end;
      }
      cells.push(value);
      if (pos < n && text.charCodeAt(pos) === delim) {
        pos++;
        continue;
      }
      break;
    }
    // end of record: consume one line break
    if (pos < n) {
      if (text.charCodeAt(pos) === CR) pos++;
      if (pos < n && text.charCodeAt(pos) === LF) pos++;
      line++;
    }
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: start, cells });
  }
  const headerIndex = records.findIndex((r) => r.cells.some((c) => c.trim() !== ''));
  if (headerIndex < 0) return { header: [], headerLine: 0, rows: [] };
  const head = records[headerIndex];
  const rows = records.slice(headerIndex + 1).filter((r) => r.cells.some((c) => c.trim() !== ''));
  return { header: head.cells, headerLine: head.line, rows };
}

function countLineBreaks(s: string): number {
  let k = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === LF) k++;
    else if (c === CR && s.charCodeAt(i + 1) !== LF) k++;
  }
  return k;
}

function detectDelimiter(text: string): string {
  let end = text.length;
  const nl = text.search(/[\r\n]/);
  if (nl >= 0) end = nl;
  const first = text.slice(0, end);
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t']) {
    let count = 0;
    let quoted = false;
    for (let i = 0; i < first.length; i++) {
      const c = first[i];
      if (c === '"') quoted = !quoted;
      else if (!quoted && c === d) count++;
    }
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** How header names are compared: case, spaces and punctuation ignored (`Image ID` = `image_id`). */
export function headerKey(name: string): string {
  return name.trim().toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Index of the first header cell matching any candidate name (compared by `headerKey`), or -1. */
export function findColumn(header: readonly string[], candidates: readonly string[]): number {
  const keys = header.map(headerKey);
  for (const cand of candidates) {
    const i = keys.indexOf(headerKey(cand));
    if (i >= 0) return i;
  }
  return -1;
}
