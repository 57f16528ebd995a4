// A streaming RFC 4180 CSV parser: quoted fields, escaped quotes (""), commas and
// newlines inside quotes, a UTF-8 BOM, CRLF or LF line ends, and `;` or tab
// delimited files (detected from the header line, as nodes/lib/csv.ts does for
// whole texts; that reader holds every row in memory, this one streams). Text arrives in
// chunks of any size (a field or a CRLF may straddle two chunks), so a file of
// any length is read in bounded memory. Rows are numbered as a spreadsheet shows
// them: the header is row 1, a record with a quoted newline is still one row, and
// blank lines count as rows but are not reported.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { throwIfAborted } from '../../runner/node-api.js';

/** A malformed file (only an unterminated quote is fatal; other quirks are read leniently). */
export class CsvSyntaxError extends Error {
  override readonly name = 'CsvSyntaxError';
  constructor(
    message: string,
    readonly row: number,
  ) {
    super(message);
  }
}

/**
 * Called once per non-blank record. `fields` is reused for the next row: copy what
 * you keep. Return `false` to stop parsing.
 */
export type RowHandler = (fields: string[], row: number) => void | boolean;

const LF = 10;
const CR = 13;
const QUOTE = 34;

// parser states
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** a quote seen inside a quoted field: an escaped quote or the field's end */
const QUOTE_IN_QUOTED = 3;

export class CsvParser {
  private fields: string[] = [];
  private field = '';
  private state: number = FIELD_START;
  /** rows started so far (the current record's row number once one is open) */
  private row = 0;
  private recordOpen = false;
  private skipLf = false;
  private first = true;
  private stopped = false;
  private delim: number;

  /** `delimiter`: one character, or undefined to detect `,` `;` or tab from the first line */
  constructor(
    private readonly onRow: RowHandler,
    delimiter?: string,
  ) {
    this.delim = delimiter ? delimiter.charCodeAt(0) : -1;
  }

  get stoppedEarly(): boolean {
    return this.stopped;
  }

  push(chunk: string): void {
    if (this.stopped) return;
    let i = 0;
    const n = chunk.length;
    if (this.first && n > 0) {
      this.first = false;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
      if (this.delim < 0) this.delim = detectDelimiter(chunk, i);
    }
    const delim = this.delim;
    while (i < n && !this.stopped) {
      if (this.skipLf) {
        this.skipLf = false;
        if (chunk.charCodeAt(i) === LF) {
          i++;
          continue;
        }
      }
      if (!this.recordOpen) {
        this.recordOpen = true;
        this.row++;
      }
      switch (this.state) {
        case QUOTED: {
          const q = chunk.indexOf('"', i);
          if (q < 0) {
            this.field += chunk.slice(i);
            i = n;
          } else {
            this.field += chunk.slice(i, q);
            i = q + 1;
            this.state = QUOTE_IN_QUOTED;
          }
          break;
        }
        case QUOTE_IN_QUOTED: {
          if (chunk.charCodeAt(i) === QUOTE) {
            this.field += '"';
            i++;
            this.state = QUOTED;
          } else {
            // the closing quote; anything before the next separator is kept as text (lenient)
            this.state = UNQUOTED;
          }
          break;
        }
        default: {
          if (this.state === FIELD_START && chunk.charCodeAt(i) === QUOTE) {
            this.state = QUOTED;
            i++;
            break;
          }
          let j = i;
          let c = 0;
          while (j < n) {
            c = chunk.charCodeAt(j);
            if (c === delim || c === LF || c === CR) break;
            j++;
          }
          if (j > i) this.field = this.field === '' ? chunk.slice(i, j) : this.field + chunk.slice(i, j);
          if (j === n) {
            this.state = UNQUOTED;
            i = n;
            break;
          }
          this.fields.push(this.field);
          this.field = '';
          this.state = FIELD_START;
          i = j + 1;
          if (c !== delim) {
            if (c === CR) this.skipLf = true;
            this.endRecord();
          }
        }
      }
    }
  }

  /** Flush the last record; throws CsvSyntaxError on an unterminated quote. */
  end(): void {
    if (this.stopped) return;
    if (this.state === QUOTED) {
      throw new CsvSyntaxError(`a quoted field opened on row ${this.row} is never closed`, this.row);
    }
    if (this.recordOpen) {
      this.fields.push(this.field);
      this.field = '';
      this.state = FIELD_START;
      this.endRecord();
    }
  }

  private endRecord(): void {
    const f = this.fields;
    this.recordOpen = false;
    const blank = f.length === 1 && f[0] === '';
    if (!blank && this.onRow(f, this.row) === false) this.stopped = true;
    f.length = 0;
  }
}

/** The most frequent of `,` `;` tab outside quotes on the first line (`,` when none). */
function detectDelimiter(text: string, from: number): number {
  let end = text.length;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === LF || c === CR) {
      end = i;
      break;
    }
  }
  let best = 44;
  let bestCount = 0;
  for (const d of [44, 59, 9]) {
    let count = 0;
    let quoted = false;
    for (let i = from; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) quoted = !quoted;
      else if (!quoted && c === d) count++;
    }
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/** Parse a whole string (small files, tests). Rows come back with their row numbers. */
export function parseCsv(text: string): { row: number; fields: string[] }[] {
  const out: { row: number; fields: string[] }[] = [];
  const p = new CsvParser((fields, row) => {
    out.push({ row, fields: [...fields] });
  });
  p.push(text);
  p.end();
  return out;
}

/**
 * Stream a file through the parser. `onProgress(bytesRead, totalBytes)` is called
 * per chunk; `signal` aborts between chunks.
 */
export async function parseCsvFile(
  file: string,
  onRow: RowHandler,
  opts: { onProgress?: (bytes: number, total: number) => void; signal?: AbortSignal; chunkBytes?: number } = {},
): Promise<void> {
  const total = (await stat(file)).size;
  const parser = new CsvParser(onRow);
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: opts.chunkBytes ?? 1 << 20 });
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      if (opts.signal) throwIfAborted(opts.signal);
      parser.push(chunk);
      bytes = stream.bytesRead;
      opts.onProgress?.(bytes, total);
      if (parser.stoppedEarly) break;
    }
  } finally {
    stream.destroy();
  }
  parser.end();
}
