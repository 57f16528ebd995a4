// Keys are Merkle and exact: the same spec gives the same keys; a change to a
// param, an input file, or a node's source changes exactly the affected keys.

import { copyFileSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { codeDigest } from '../cache/code-digest.js';
import { canonicalJson } from '../cache/hash.js';
import { EMIT_NODE, tempDir, writeSpec } from './helpers/specs.js';
import { planFile } from './helpers/run.js';

function spec(type: string, aValue = 1, file = 'data.txt'): string {
  return `pipeline: keys
nodes:
  a:
    type: ${JSON.stringify(type)}
    params: { value: ${aValue} }
  b:
    type: ${JSON.stringify(type)}
    inputs: { x: a.data }
  c:
    type: ${JSON.stringify(type)}
    inputs: { f: { file: ${file} } }
  d:
    type: ${JSON.stringify(type)}
    inputs: { y: b.data, z: c.data }
`;
}

async function keysOf(dir: string, text: string): Promise<Record<string, string>> {
  const plan = await planFile(writeSpec(dir, text));
  return Object.fromEntries(plan.variants[0].nodes);
}

function changed(a: Record<string, string>, b: Record<string, string>): string[] {
  return Object.keys(a).filter((k) => a[k] !== b[k]).sort();
}

test('canonical JSON ignores key order', () => {
  assert.is(canonicalJson({ b: 1, a: { d: [1, 2], c: 'x' } }), canonicalJson({ a: { c: 'x', d: [1, 2] }, b: 1 }));
  assert.is.not(canonicalJson({ a: [1, 2] }), canonicalJson({ a: [2, 1] }));
});

test('same spec, same keys (and in another folder too)', async () => {
  const d1 = tempDir();
  const d2 = tempDir();
  writeFileSync(path.join(d1, 'data.txt'), 'hello');
  writeFileSync(path.join(d2, 'data.txt'), 'hello');
  const k1 = await keysOf(d1, spec(EMIT_NODE));
  const k1b = await keysOf(d1, spec(EMIT_NODE));
  const k2 = await keysOf(d2, spec(EMIT_NODE));
  assert.equal(k1, k1b);
  assert.equal(k1, k2);
  assert.is(new Set(Object.values(k1)).size, 4);
});

test('a param change changes that node and its downstream only', async () => {
  const d = tempDir();
  writeFileSync(path.join(d, 'data.txt'), 'hello');
  const before = await keysOf(d, spec(EMIT_NODE, 1));
  const after = await keysOf(d, spec(EMIT_NODE, 2));
  assert.equal(changed(before, after), ['a', 'b', 'd']);
});

test('an explicit default equals an omitted one', async () => {
  const d = tempDir();
  writeFileSync(path.join(d, 'data.txt'), 'hello');
  const implicit = await keysOf(d, spec(EMIT_NODE, 1));
  const explicit = await keysOf(d, spec(EMIT_NODE, 1).replace('inputs: { x: a.data }', "inputs: { x: a.data }\n    params: { label: x }"));
  assert.equal(implicit, explicit);
});

test('an input file change changes its reader and downstream only', async () => {
  const d = tempDir();
  writeFileSync(path.join(d, 'data.txt'), 'hello');
  const before = await keysOf(d, spec(EMIT_NODE));
  writeFileSync(path.join(d, 'data.txt'), 'hello!');
  const after = await keysOf(d, spec(EMIT_NODE));
  assert.equal(changed(before, after), ['c', 'd']);
});

test("a node's source change changes the keys of nodes of that type only", async () => {
  const d = tempDir();
  writeFileSync(path.join(d, 'data.txt'), 'hello');
  const v1 = path.join(d, 'v1', 'emit.mjs');
  const v2 = path.join(d, 'v2', 'emit.mjs');
  for (const f of [v1, v2]) {
    writeSpec(path.dirname(f), '', 'placeholder');
    copyFileSync(EMIT_NODE, f);
  }
  writeFileSync(v2, readFileSync(v2, 'utf8') + '\n// a comment is a code change\n');
  // a mixes types: a from the changed module, the rest fixed
  const mixed = (aType: string): string => spec(EMIT_NODE).replace(`type: ${JSON.stringify(EMIT_NODE)}\n    params: { value: 1 }`, `type: ${JSON.stringify(aType)}\n    params: { value: 1 }`);
  const before = await keysOf(d, mixed(v1));
  const after = await keysOf(d, mixed(v2));
  assert.equal(changed(before, after), ['a', 'b', 'd']);
});

test('code digest follows relative imports', () => {
  const d = tempDir();
  writeFileSync(path.join(d, 'helper.js'), 'export const x = 1;\n');
  writeFileSync(path.join(d, 'node.js'), "import { x } from './helper.js';\nimport type { T } from './types.js';\nexport default x;\n");
  writeFileSync(path.join(d, 'types.js'), 'export {};\n');
  const before = codeDigest(path.join(d, 'node.js'));
  const d2 = tempDir();
  writeFileSync(path.join(d2, 'helper.js'), 'export const x = 2;\n');
  writeFileSync(path.join(d2, 'node.js'), readFileSync(path.join(d, 'node.js')));
  writeFileSync(path.join(d2, 'types.js'), 'export { changed };\n');
  assert.is.not(codeDigest(path.join(d2, 'node.js')), before, 'helper change must change the digest');
  const d3 = tempDir();
  writeFileSync(path.join(d3, 'helper.js'), 'export const x = 1;\n');
  writeFileSync(path.join(d3, 'node.js'), readFileSync(path.join(d, 'node.js')));
  writeFileSync(path.join(d3, 'types.js'), 'export { other };\n');
  assert.is(codeDigest(path.join(d3, 'node.js')), before, 'a type-only import does not change behaviour');
});

test('sweep variants share keys of nodes they do not change', async () => {
  const d = tempDir();
  writeFileSync(path.join(d, 'data.txt'), 'hello');
  const plan = await planFile(writeSpec(d, spec(EMIT_NODE) + 'sweep:\n  c.label: [p, q, r]\n'));
  assert.is(plan.variants.length, 3);
  // a and b are shared; c and d differ per variant
  assert.is(plan.nodes.length, 2 + 3 * 2);
  const a = plan.nodes.find((n) => n.name === 'a')!;
  assert.equal(a.variants, ['c.label=p', 'c.label=q', 'c.label=r']);
});

test.run();
