// The streaming CSV parser the crowd import uses (nodes/crowd/csv.ts).

import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CsvParser, CsvSyntaxError, parseCsv } from '../nodes/crowd/csv.js';

function parseChunked(text: string, cuts: number[]): { row: number; fields: string[] }[] {
  const out: { row: number; fields: string[] }[] = [];
  const p = new CsvParser((fields, row) => {
    out.push({ row, fields: [...fields] });
  });
  let at = 0;
  for (const c of [...cuts].sort((a, b) => a - b)) {
    p.push(text.slice(at, c));
    at = c;
  }
  p.push(text.slice(at));
  p.end();
  return out;
}

test('quotes, escaped quotes, quoted commas and newlines', () => {
  const rows = parseCsv('a,b,c\n"x, y","say ""hi""","two\nlines"\nplain,,end\n');
  assert.equal(rows, [
    { row: 1, fields: ['a', 'b', 'c'] },
    { row: 2, fields: ['x, y', 'say "hi"', 'two\nlines'] },
    { row: 3, fields: ['plain', '', 'end'] },
  ]);
});

test('BOM, CRLF, no final newline, blank lines counted as spreadsheet rows', () => {
  const rows = parseCsv('\ufeffw,i\r\nA,1\r\n\r\nB,2');
  assert.equal(rows, [
    { row: 1, fields: ['w', 'i'] },
    { row: 2, fields: ['A', '1'] },
    { row: 4, fields: ['B', '2'] },
  ]);
});

test('a record with a quoted newline is one row: the next row number follows it', () => {
  const rows = parseCsv('h\n"a\nb\nc"\nnext\n');
  assert.equal(rows.map((r) => r.row), [1, 2, 3]);
  assert.equal(rows[2].fields, ['next']);
});

test('semicolon and tab delimiters are detected from the header', () => {
  assert.equal(parseCsv('a;b\n1,5;2\n')[1].fields, ['1,5', '2']);
  assert.equal(parseCsv('a\tb\n1\t2\n')[1].fields, ['1', '2']);
});

test('an unterminated quote is a syntax error naming its row', () => {
  try {
    parseCsv('a,b\n1,2\n3,"oops\n4,5\n');
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, CsvSyntaxError);
    assert.is((e as CsvSyntaxError).row, 3);
  }
});

test('returning false from the row handler stops parsing', () => {
  const seen: number[] = [];
  const p = new CsvParser((_, row) => {
    seen.push(row);
    return row < 2;
  });
  p.push('a\nb\nc\nd\n');
  p.end();
  assert.equal(seen, [1, 2]);
});

test('property: any table survives quoting and any chunking', () => {
  const cell = fc.oneof(
    fc.string({ maxLength: 6 }),
    fc.constantFrom('"', ',', '\n', '\r\n', 'a"b', ' x ', '""'),
  );
  // a first cell that is not empty keeps rows from being blank lines
  const row = fc.tuple(fc.string({ minLength: 1, maxLength: 4 }).filter((s) => !/[",\r\n;\t]/.test(s)), fc.array(cell, { maxLength: 4 }));
  fc.assert(
    fc.property(fc.array(row, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(200), { maxLength: 8 }), fc.boolean(), (rows, cuts, crlf) => {
      const table = rows.map(([first, rest]) => [first, ...rest]);
      const quote = (s: string) => (/[",\r\n;\t]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
      const text = table.map((r) => r.map(quote).join(',')).join(crlf ? '\r\n' : '\n');
      const parsed = parseChunked(text, cuts.map((c) => Math.min(c, text.length)));
      assert.equal(
        parsed.map((r) => r.fields),
        table,
      );
    }),
    { numRuns: 300 },
  );
});

test.run();
