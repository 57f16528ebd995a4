// A corpus of broken specs (tests/fixtures/broken-specs: every error class of
// the runner core, plus deep nesting, non-UTF-8 bytes, a list, a scalar, tabs,
// a BOM, CRLF, two documents) and generated ones (a very large file, very deep
// block nesting, a multi-megabyte line): each is refused with located one-line
// messages, in well under a second, and `softlab validate` / `run` exit 2
// printing exactly those lines, no stack trace.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { removeScratch, scratchDir } from './helpers/faults.js';
import { cli } from './helpers/run.js';
import { planText, ROOT } from './helpers/specs.js';

const CORPUS = path.join(ROOT, 'tests', 'fixtures', 'broken-specs');
const EXPECTED = JSON.parse(readFileSync(path.join(CORPUS, 'expected.json'), 'utf8')) as Record<string, string[]>;
const LOCATED = /^[^\n]+:\d+:\d+: \S[^\n]*$/;
/** in-process budget for loading and checking one broken spec: well under a second, even on a loaded machine */
const BUDGET_MS = 500;

interface Case {
  file: string;
  /** starts of the expected lines, in order */
  expect: string[];
}

let generatedDir: string;

/** Broken specs too big to keep in the repository, made here. */
function generated(): Case[] {
  const cases: Case[] = [];
  const write = (name: string, text: string | Buffer, expect: string[]): void => {
    writeFileSync(path.join(generatedDir, name), text);
    cases.push({ file: path.join(generatedDir, name), expect });
  };
  const padding = '# padding line to make the file very large ............................................\n'.repeat(70_000);
  write('huge.yaml', `pipeline: huge\n${padding}nodes:\n  cafe: { type: load-cafe }\n`, ['huge.yaml:1:1: spec is 5.9 MB; the limit is 5 MB']);
  let deep = 'pipeline: deep\nnodes:\n  cafe:\n    type: load-cafe\n    params:\n';
  for (let i = 0; i < 300; i++) deep += `${' '.repeat(6 + i)}k${i}:\n`;
  deep += `${' '.repeat(306)}x\n`;
  // refused at the first line indented more than 64 levels x 4 spaces: k251, 257 spaces in, on line 6 + 251
  write('deep-block.yaml', deep, ['deep-block.yaml:257:257: spec nests deeper than 64 levels']);
  write('long-line.yaml', `pipeline: long\ndescription: "${'a'.repeat(1_000_000)}"\nnodes:\n  cafe:\n    type: load-cafee\n`, [
    'long-line.yaml:5:11: unknown node type "load-cafee"; did you mean "load-cafe"?',
  ]);
  return cases;
}

const corpus: Case[] = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ file: path.join(CORPUS, f), expect: EXPECTED[f] }));
let cases: Case[] = corpus;
let rejected = 0;
let rejectedByCli = 0;

/** The CLI's lines, with the spec named as the user typed it (`rel`) shortened to its base name. */
function asNamed(stderr: string, rel: string): string[] {
  return stderr
    .trimEnd()
    .split('\n')
    .map((l) => (l.startsWith(rel + ':') ? path.basename(rel) + l.slice(rel.length) : l));
}

function checkLines(c: Case, lines: string[], how: string): void {
  const name = path.basename(c.file);
  assert.is(lines.length, c.expect.length, `${name} (${how}): ${lines.length} lines:\n${lines.join('\n')}`);
  lines.forEach((line, i) => {
    assert.match(line, LOCATED, `${name} (${how}): located, one line`);
    assert.ok(line.startsWith(c.expect[i]), `${name} (${how}):\n  got      ${line.slice(0, 300)}\n  expected ${c.expect[i]}...`);
  });
}

// made when this file's tests start (a scratch folder made at import could be removed by an earlier file's cleanup)
test.before(() => {
  generatedDir = scratchDir('softlab-broken-specs-');
  cases = [...corpus, ...generated()];
});

test('every corpus file has its expected lines, and every expectation its file', () => {
  assert.equal(Object.keys(EXPECTED).filter((k) => k !== '//').sort(), corpus.map((c) => path.basename(c.file)).sort());
});

test('in-process: each broken spec gives exactly its located lines, in well under a second', async () => {
  await planText('pipeline: warm\nnodes:\n  cafe: { type: load-cafe }\n'); // node types load once per process
  const times: number[] = [];
  for (const c of cases) {
    const t0 = performance.now();
    const { result, messages } = await planText(readFileSync(c.file), {}, path.basename(c.file), path.dirname(c.file));
    const ms = performance.now() - t0;
    times.push(ms);
    assert.not.ok(result.ok, `${c.file} must be refused`);
    checkLines(c, messages, 'in process');
    assert.ok(ms < BUDGET_MS, `${path.basename(c.file)} took ${ms.toFixed(0)} ms`);
    rejected++;
  }
  times.sort((a, b) => a - b);
  console.log(`  ${rejected} broken specs rejected in process: median ${times[times.length >> 1].toFixed(1)} ms, slowest ${times.at(-1)!.toFixed(0)} ms`);
});

/**
 * Through the CLI (each a process, about 1 s of Node and tsx start-up): every
 * error class the issues name and every stage of loading (read, decode, nesting,
 * parse, aliases, structure, plan). The exit code and output path is one for
 * all diagnostics, so the in-process test above covers the rest of the corpus.
 */
const VIA_CLI = [
  'empty.yaml', 'huge.yaml', 'non-utf8.yaml', 'binary.yaml', 'bom.yaml', 'tabs.yaml', 'deep-block.yaml', 'deep-flow-nesting.yaml',
  'yaml-syntax.yaml', 'duplicate-key.yaml', 'two-documents.yaml', 'alias-bomb.yaml', 'collection-key.yaml', 'list.yaml',
  'many-problems.yaml', 'cycle.yaml', 'undefined-reference.yaml', 'sweep-missing-param.yaml',
];

test('CLI: `softlab validate` exits 2 with exactly those lines on stderr, no stack trace; `run` too', async () => {
  const walls: number[] = [];
  const viaCli = cases.filter((c) => VIA_CLI.includes(path.basename(c.file)));
  assert.is(viaCli.length, VIA_CLI.length, 'every chosen spec exists');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < viaCli.length) {
      const c = viaCli[next++];
      const t0 = Date.now();
      const rel = path.relative(ROOT, c.file);
      const r = await cli(['validate', rel]);
      walls.push(Date.now() - t0);
      assert.is(r.code, 2, `${c.file}: ${r.stderr}`);
      assert.is(r.stdout, '');
      assert.not.match(r.stderr, /\n\s+at |internal error/);
      checkLines(c, asNamed(r.stderr, rel), 'validate');
      rejectedByCli++;
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  for (const name of ['many-problems.yaml', 'non-utf8.yaml', 'alias-bomb.yaml']) {
    const rel = path.relative(ROOT, path.join(CORPUS, name));
    const r = await cli(['run', rel, '--cache-dir', path.join(generatedDir, 'cache')]);
    assert.is(r.code, 2, r.stderr);
    assert.not.match(r.stderr, /\n\s+at |internal error/);
    checkLines(corpus.find((c) => path.basename(c.file) === name)!, asNamed(r.stderr, rel), 'run');
  }
  walls.sort((a, b) => a - b);
  console.log(`  ${rejectedByCli} broken specs rejected by the CLI (exit 2): median wall time ${walls[walls.length >> 1]} ms per process, including Node and tsx start-up, 4 at a time`);
});

test.after(removeScratch);

test.run();
