// Build step (after tsc): compile the spec schema and every built-in node type's
// params schema to standalone validator code in dist/validators.js, so that a
// run does not pay for loading and running ajv's compiler (see spec/validators.ts).

import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PRECOMPILED_VALIDATORS } from '../package-paths.js';
import { builtinTypeNames, loadNodeType } from '../registry.js';
import { paramsSchemaOf } from '../spec/params.js';
import { specSchema } from '../spec/schema.js';
import { AJV_OPTIONS, schemaId } from '../spec/validators.js';

const require = createRequire(import.meta.url);

async function main(): Promise<void> {
  const Ajv = (require('ajv') as { default: new (o: object) => { addSchema(s: object): void } }).default;
  const standaloneCode = (require('ajv/dist/standalone') as { default: (ajv: object, refs: Record<string, string>) => string }).default;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true } });
  const schemas: object[] = [specSchema];
  for (const type of builtinTypeNames()) {
    const r = await loadNodeType(type, process.cwd());
    if (!r.ok) throw new Error(`cannot load built-in node type ${type}: ${r.message}`);
    schemas.push(paramsSchemaOf(r.nodeType.def));
  }
  const refs: Record<string, string> = {};
  for (const s of schemas) {
    const id = schemaId(s);
    if (refs[id]) continue;
    refs[id] = id;
    ajv.addSchema({ ...s, $id: id });
  }
  // standalone ESM code still calls require() for ajv's runtime helpers
  const code = `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${standaloneCode(ajv, refs)}\n`;
  const out = PRECOMPILED_VALIDATORS;
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, code);
  process.stdout.write(`precompiled ${Object.keys(refs).length} schemas to ${out}\n`);
}

await main();
