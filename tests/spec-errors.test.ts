// Every class of spec mistake gives one located line, FILE:LINE:COL, all at once.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EMIT_NODE, planText } from './helpers/specs.js';

const T = JSON.stringify(EMIT_NODE);

async function expectMessages(text: string | Buffer, expected: string[], opts = {}): Promise<void> {
  const { messages } = await planText(text, opts);
  assert.equal(messages, expected);
}

test('YAML syntax error', async () => {
  await expectMessages('pipeline: t\nnodes: [a\n', ['spec.yaml:3:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]']);
});

test('duplicate keys point at the second key', async () => {
  await expectMessages('pipeline: t\nnodes:\n  a:\n    type: command\n  a:\n    type: command\n', ['spec.yaml:5:3: duplicate key: each key may appear once in a mapping']);
});

test('tabs used for indentation', async () => {
  await expectMessages('pipeline: t\nnodes:\n\ta: 1\n', ['spec.yaml:3:1: tab used for indentation: YAML indents with spaces']);
});

test('unknown node type with a suggestion', async () => {
  const { messages } = await planText('pipeline: t\nnodes:\n  a:\n    type: comand\n');
  assert.is(messages.length, 1);
  assert.match(messages[0], /^spec\.yaml:4:11: unknown node type "comand"; did you mean "command"\?/);
});

test('unknown, mistyped and out-of-range params, all reported at once', async () => {
  await expectMessages(`pipeline: t\nnodes:\n  a:\n    type: ${T}\n    params:\n      valeu: 3\n      value: 300\n      label: 5\n`, [
    'spec.yaml:6:7: unknown param "valeu"; did you mean "value"? [test-emit]',
    'spec.yaml:7:14: param "value" must be <= 100 [test-emit]',
    'spec.yaml:8:14: param "label" must be string [test-emit]',
  ]);
});

test('an input naming a missing node or output port', async () => {
  await expectMessages(`pipeline: t\nnodes:\n  a:\n    type: ${T}\n  b:\n    type: ${T}\n    inputs:\n      x: c.data\n      y: a.nope\n`, [
    'spec.yaml:8:10: input "x" refers to a missing node "c"; did you mean "a"?',
    'spec.yaml:9:10: node "a" (test-emit) has no output "nope" (outputs: data)',
  ]);
});

test('a cycle prints its path', async () => {
  const spec = `pipeline: t\nnodes:\n  a:\n    type: ${T}\n    inputs: { x: c.data }\n  b:\n    type: ${T}\n    inputs: { x: a.data }\n  c:\n    type: ${T}\n    inputs: { x: b.data }\n`;
  await expectMessages(spec, ['spec.yaml:5:18: cycle: a → c → b → a']);
});

test('undefined ${...} reference', async () => {
  await expectMessages(`pipeline: t\nparams: { seed: 1 }\nnodes:\n  a:\n    type: ${T}\n    params: { value: "\${params.sed}" }\n`, [
    'spec.yaml:6:22: undefined reference ${params.sed} (pipeline params: seed)',
  ]);
});

test('a sweep over params that do not exist', async () => {
  await expectMessages(`pipeline: t\nnodes:\n  a:\n    type: ${T}\nsweep:\n  a.valu: [1, 2]\n  b.value: [1]\n  params.x: [1]\n`, [
    'spec.yaml:6:3: "a.valu": node type "test-emit" has no param "valu"; did you mean "value"?',
    'spec.yaml:7:3: "b.value": no node "b"; did you mean "a"?',
    'spec.yaml:8:3: pipeline param "x" does not exist (declare it under "params:")',
  ]);
});

test('a sweep value out of range is located at the axis', async () => {
  await expectMessages(`pipeline: t\nnodes:\n  a:\n    type: ${T}\nsweep:\n  a.value: [1, 500]\n`, ['spec.yaml:6:12: param "value" must be <= 100 (variant a.value=500) [test-emit]']);
});

test('empty file, comment-only file, a list instead of a mapping', async () => {
  await expectMessages('', ['spec.yaml:1:1: spec is empty: expected "pipeline:" and "nodes:"']);
  await expectMessages('# nothing here\n', ['spec.yaml:1:1: spec is empty: expected "pipeline:" and "nodes:"']);
  await expectMessages('- a\n- b\n', ['spec.yaml:1:1: a spec is a mapping with "pipeline:" and "nodes:" (found a list)']);
});

test('alias bombs fail fast', async () => {
  let text = 'a: &a [x,x,x,x,x,x,x,x,x]\n';
  const names = 'bcdefghi';
  let prev = 'a';
  for (const n of names) {
    text += `${n}: &${n} [${Array(9).fill('*' + prev).join(',')}]\n`;
    prev = n;
  }
  const t0 = Date.now();
  const { messages } = await planText(text);
  assert.ok(Date.now() - t0 < 1000, 'took too long');
  assert.equal(messages, ['spec.yaml:1:1: spec expands too many YAML aliases (more than 200); refusing a possible alias bomb']);
});

test('deep nesting is refused before parsing', async () => {
  const { messages } = await planText('pipeline: t\nnodes: ' + '['.repeat(20000) + ']'.repeat(20000) + '\n');
  assert.equal(messages, ['spec.yaml:2:72: spec nests deeper than 64 levels']);
});

test('non-UTF-8 bytes are located', async () => {
  await expectMessages(Buffer.concat([Buffer.from('pipeline: t\nnodes:\n  a: caf'), Buffer.from([0xe9, 0x0a])]), ['spec.yaml:3:9: spec is not valid UTF-8 text (save it as UTF-8)']);
});

test('unknown keys at the top level and in a node suggest the right one', async () => {
  await expectMessages('pipeline: t\nnode:\n  a: {type: command}\n', [
    'spec.yaml:1:1: the spec needs "nodes:"',
    'spec.yaml:2:1: unknown key "node" at the top level; did you mean "nodes"? (allowed: pipeline, description, params, nodes, sweep, report, executor, slurm)',
  ]);
  await expectMessages('pipeline: t\nnodes:\n  a:\n    type: command\n    param: {}\n', [
    'spec.yaml:5:5: unknown key "param" in node "a"; did you mean "params"? (allowed: type, description, inputs, params, timeout, executor, slurm)',
  ]);
});

test('missing files named as inputs or deps', async () => {
  const { messages } = await planText('pipeline: t\nnodes:\n  a:\n    type: command\n    inputs: { d: { file: nope.csv } }\n    params: { run: x, deps: [gone.txt] }\n');
  assert.is(messages.length, 2);
  assert.match(messages[0], /^spec\.yaml:5:26: file not found: nope\.csv/);
  assert.match(messages[1], /^spec\.yaml:6:30: file not found: gone\.txt/);
});

test('a --set on a missing param names the flag', async () => {
  const { messages } = await planText(`pipeline: t\nnodes:\n  a:\n    type: ${T}\n`, { sets: [{ target: 'a.vlaue', value: 1, flag: '--set a.vlaue=1' }] });
  assert.equal(messages, ['--set a.vlaue=1: "a.vlaue": node type "test-emit" has no param "vlaue"; did you mean "value"?']);
});

test('a BOM is accepted and columns stay right', async () => {
  const { result } = await planText(`\uFEFFpipeline: t\nnodes:\n  a:\n    type: ${T}\n`);
  assert.ok(result.ok);
});

test('many leading comment lines load fast (no regex backtracking)', async () => {
  const t0 = Date.now();
  const { result } = await planText('# note\n'.repeat(200) + `pipeline: t\nnodes:\n  a:\n    type: ${T}\n`);
  assert.ok(result.ok);
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
});

test.run();
