// Read a spec file into a JS value plus a way to point back at the source: every
// later check reports `FILE:LINE:COL` at the key or value it is about.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Document, Node as YamlNode } from 'yaml';

// The yaml library is needed only when a spec's text is new (a rerun takes the parsed
// value from the memo, memo.ts) or a flag needs parsing, so it is loaded on first use:
// `loadYaml` imports it from the build's bundle (~10 ms, against ~40 ms for its fifty
// CommonJS files); where it was not loaded first, `yamlLibrary` requires the package.
type YamlLib = typeof import('yaml');
let yamlLib: YamlLib | undefined;

export async function loadYaml(): Promise<YamlLib> {
  if (!yamlLib) {
    // a CommonJS package: its exports object is the default export (bundled or not)
    const m = (await import('yaml')) as YamlLib & { default?: YamlLib };
    yamlLib = m.default ?? m;
  }
  return yamlLib;
}

export function yamlLibrary(): YamlLib {
  yamlLib ??= createRequire(import.meta.url)('yaml') as YamlLib;
  return yamlLib;
}
const yaml = yamlLibrary;
import type { Diagnostic } from './diagnostics.js';
import type { SpecMemo } from './memo.js';

/** Larger specs are refused before parsing (a generated 1000-node DAG is ~150 KB). */
export const MAX_SPEC_BYTES = 5 * 1024 * 1024;
/** Deeper nesting than this is refused before parsing (YAML parsers recurse). */
export const MAX_NESTING = 64;
const MAX_ALIASES = 200;

export type SpecPath = (string | number)[];

export interface SpecSource {
  /** the file as the user named it (for messages) */
  file: string;
  /** absolute folder of the spec: relative paths in the spec resolve against it */
  dir: string;
  /** the parsed value */
  value: unknown;
  /** a diagnostic at the key (`key`) or value (`value`) found at `path`, or the nearest existing parent */
  at(path: SpecPath, message: string, where?: 'key' | 'value'): Diagnostic;
}

export type LoadResult = { ok: true; source: SpecSource } | { ok: false; diagnostics: Diagnostic[] };

export interface LoadOptions {
  /** reuse the parsed value of a text seen before (see memo.ts) */
  memo?: SpecMemo;
}

export async function loadSpecFile(file: string, opts: LoadOptions = {}): Promise<LoadResult> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a spec file' : (e as Error).message;
    return { ok: false, diagnostics: [{ file, line: 1, col: 1, message: `cannot read spec: ${why}` }] };
  }
  return loadSpecText(bytes, file, opts);
}

export async function loadSpecText(bytes: Buffer | string, file: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const at1 = (message: string): LoadResult => ({ ok: false, diagnostics: [{ file, line: 1, col: 1, message }] });
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  if (buf.length > MAX_SPEC_BYTES) {
    return at1(`spec is ${(buf.length / 1048576).toFixed(1)} MB; the limit is ${MAX_SPEC_BYTES / 1048576} MB (is this the right file?)`);
  }
  const decoded = decodeUtf8(buf);
  if ('badOffset' in decoded) {
    const { line, col } = lineColOfByte(buf, decoded.badOffset);
    return { ok: false, diagnostics: [{ file, line, col, message: 'spec is not valid UTF-8 text (save it as UTF-8)' }] };
  }
  // a byte-order mark is legal in YAML; drop it so columns on line 1 are right
  const text = decoded.text.replace(/^\uFEFF/, '');
  // line by line: a single regex over the whole text backtracks exponentially on comment lines
  if (text.split('\n').every((l) => /^\s*(#.*)?$/.test(l))) return at1('spec is empty: expected "pipeline:" and "nodes:"');
  const deep = findDeepNesting(text);
  if (deep) return { ok: false, diagnostics: [{ file, ...deep, message: `spec nests deeper than ${MAX_NESTING} levels` }] };

  const dir = path.dirname(path.resolve(file));
  const memoKey = opts.memo?.keyOf(text);
  const memoValue = memoKey ? opts.memo!.get(memoKey) : undefined;
  if (memoValue !== undefined) {
    // parsed before: the document (for locating problems) is only built if a problem needs it
    let located: ((p: SpecPath, message: string, where?: 'key' | 'value') => Diagnostic) | undefined;
    return {
      ok: true,
      source: {
        file,
        dir,
        value: memoValue,
        at(p, message, where = 'value') {
          if (!located) {
            const r = parseText(text, file);
            located = 'at' in r ? r.at : (_p, m) => ({ file, line: 1, col: 1, message: m });
          }
          return located(p, message, where);
        },
      },
    };
  }
  await loadYaml();
  const parsed = parseText(text, file);
  if ('diagnostics' in parsed) return { ok: false, diagnostics: parsed.diagnostics };
  if (memoKey) opts.memo!.set(memoKey, parsed.value);
  return { ok: true, source: { file, dir, value: parsed.value, at: parsed.at } };
}

type Parsed = { value: unknown; at: SpecSource['at'] } | { diagnostics: Diagnostic[] };

/** YAML text -> value, with a locator for diagnostics; every YAML-level problem as a diagnostic. */
function parseText(text: string, file: string): Parsed {
  const at1 = (message: string): Parsed => ({ diagnostics: [{ file, line: 1, col: 1, message }] });
  const { LineCounter, parseDocument, visit, isAlias, isMap, isSeq, isScalar } = yaml();
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  } catch (e) {
    return at1(`cannot parse spec: ${(e as Error).message.split('\n')[0]}`);
  }
  const pos = (offset: number): { line: number; col: number } => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  };
  if (doc.errors.length) {
    return { diagnostics: doc.errors.map((e) => ({ file, ...pos(e.pos[0]), message: yamlMessage(e.code, e.message) })) };
  }
  // a list or mapping used as a key (`? [a, b]`) has no place in a spec (JS objects cannot hold it)
  let collectionKey: YamlNode | undefined;
  visit(doc, {
    Pair(_, pair) {
      const key = isAlias(pair.key) ? pair.key.resolve(doc) : pair.key;
      // (or a scalar that reads as an object, such as !!binary)
      if (isMap(key) || isSeq(key) || (isScalar(key) && key.value !== null && typeof key.value === 'object')) {
        collectionKey = pair.key as YamlNode;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (collectionKey) {
    return { diagnostics: [{ file, ...pos(collectionKey.range?.[0] ?? 0), message: 'a key must be a name or a number, not a list or mapping' }] };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    const msg = (e as Error).message;
    if (/alias count/i.test(msg)) return at1(`spec expands too many YAML aliases (more than ${MAX_ALIASES}); refusing a possible alias bomb`);
    return at1(`cannot read spec: ${msg.split('\n')[0]}`);
  }
  return {
    value,
    at(p, message, where = 'value') {
      const node = locate(doc, p, where);
      const off = node?.range?.[0] ?? 0;
      return { file, ...pos(off), message };
    },
  };
}

function yamlMessage(code: string, message: string): string {
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'duplicate key: each key may appear once in a mapping';
    case 'TAB_AS_INDENT':
      return 'tab used for indentation: YAML indents with spaces';
    case 'MULTIPLE_DOCS':
      return 'a second YAML document starts here: a spec is one document (remove this "---" and what follows, or make it a separate file)';
    default:
      return `YAML syntax error: ${first}`;
  }
}

/** The YAML node at `path`: its key node (`key`) or value node; falls back to the nearest parent. */
function locate(doc: Document.Parsed, p: SpecPath, where: 'key' | 'value'): YamlNode | undefined {
  const { isMap, isPair, isScalar, isSeq } = yaml();
  let cur: unknown = doc.contents;
  let best: YamlNode | undefined = (doc.contents as YamlNode | null) ?? undefined;
  for (let i = 0; i < p.length; i++) {
    const seg = p[i];
    const last = i === p.length - 1;
    if (isMap(cur)) {
      const pair = cur.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) return best;
      const keyNode = pair.key as YamlNode;
      const valNode = (pair.value as YamlNode | null) ?? undefined;
      if (last) return where === 'key' ? keyNode : (valNode ?? keyNode);
      best = valNode ?? keyNode;
      cur = pair.value;
    } else if (isSeq(cur) && typeof seg === 'number') {
      const item = cur.items[seg] as YamlNode | undefined;
      if (!item) return best;
      best = item;
      if (last) return item;
      cur = item;
    } else {
      return best;
    }
  }
  return best;
}

function decodeUtf8(buf: Buffer): { text: string } | { badOffset: number } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf) };
  } catch {
    // find the first invalid byte by decoding growing prefixes at character boundaries
    let i = 0;
    while (i < buf.length) {
      const b = buf[i];
      const len = b < 0x80 ? 1 : b >> 5 === 0x6 ? 2 : b >> 4 === 0xe ? 3 : b >> 3 === 0x1e ? 4 : 0;
      if (len === 0 || i + len > buf.length) return { badOffset: i };
      for (let k = 1; k < len; k++) if (buf[i + k] >> 6 !== 0x2) return { badOffset: i };
      i += len;
    }
    return { badOffset: 0 };
  }
}

function lineColOfByte(buf: Buffer, offset: number): { line: number; col: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (buf[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, col: offset - lineStart + 1 };
}

/**
 * A cheap lexical scan for nesting depth (flow brackets, and block indentation).
 * Regular expressions find the next character that matters, so the text between
 * them is skipped in native code: a multi-megabyte spec scans in milliseconds,
 * however the JavaScript engine has tiered this function for earlier inputs.
 */
function findDeepNesting(text: string): { line: number; col: number } | undefined {
  const NL = 10, SPACE = 32, TAB = 9, CR = 13, DQ = 34, SQ = 39, HASH = 35, BACKSLASH = 92, COMMA = 44, COLON = 58;
  const OPEN_SQ = 91, OPEN_CURLY = 123, CLOSE_SQ = 93, CLOSE_CURLY = 125;
  const special = /[\n"'#[\]{}\\]/g;
  // two spaces per level is the usual style; allow generous slack
  const tooDeep = new RegExp(` {${MAX_NESTING * 4 + 1}}`, 'y');
  const commentLine = / *#/y;
  let depth = 0;
  let line = 1;
  let lineStartAt = 0;
  let quote = 0;
  /** at a line's start: refuse deep indentation; skip a comment line (returns where to go on) */
  const startLine = (i: number): number | { line: number; col: number } => {
    tooDeep.lastIndex = i;
    if (tooDeep.test(text)) return { line, col: MAX_NESTING * 4 + 1 };
    if (quote === 0) {
      commentLine.lastIndex = i;
      if (commentLine.test(text)) {
        const nl = text.indexOf('\n', i);
        return nl < 0 ? text.length : nl;
      }
    }
    return i;
  };
  let i = 0;
  const first = startLine(0);
  if (typeof first !== 'number') return first;
  i = first;
  for (;;) {
    special.lastIndex = i;
    const m = special.exec(text);
    if (!m) return undefined;
    const j = m.index;
    const ch = text.charCodeAt(j);
    i = j + 1;
    if (ch === NL) {
      line++;
      lineStartAt = i;
      const next = startLine(i);
      if (typeof next !== 'number') return next;
      i = next;
    } else if (quote !== 0) {
      if (ch === quote) quote = 0;
      else if (ch === BACKSLASH && quote === DQ) {
        // an escaped character, perhaps an escaped line break
        if (text.charCodeAt(i) === NL) {
          line++;
          lineStartAt = i + 1;
        }
        i++;
      }
    } else if (ch === DQ || ch === SQ) {
      // a quote starts a string only at a token boundary
      const prev = j === 0 ? SPACE : text.charCodeAt(j - 1);
      if (prev === SPACE || prev === TAB || prev === NL || prev === CR || prev === COMMA || prev === COLON || prev === OPEN_SQ || prev === OPEN_CURLY) quote = ch;
    } else if (ch === HASH) {
      const prev = j === 0 ? SPACE : text.charCodeAt(j - 1);
      if (prev === SPACE || prev === TAB) {
        const nl = text.indexOf('\n', j);
        if (nl < 0) return undefined;
        i = nl;
      }
    } else if (ch === OPEN_SQ || ch === OPEN_CURLY) {
      depth++;
      if (depth > MAX_NESTING) return { line, col: j - lineStartAt + 1 };
    } else if (ch === CLOSE_SQ || ch === CLOSE_CURLY) {
      depth = Math.max(0, depth - 1);
    }
  }
}
