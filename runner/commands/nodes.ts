// `softlab nodes [TYPE]`: the node types, their ports and params with defaults.

import { UsageError } from '../cli/exit.js';
import { EXIT } from '../cli/exit.js';
import type { JsonSchema, NodeDefinition } from '../node-api.js';
import { builtinTypeNames, loadNodeType } from '../registry.js';
import { didYouMean } from '../spec/suggest.js';

export async function nodesCommand(type: string | undefined, opts: { json?: boolean }): Promise<number> {
  const names = builtinTypeNames();
  if (type && !names.includes(type)) throw new UsageError(`unknown node type "${type}"${didYouMean(type, names)} (known types: ${names.join(', ')})`);
  const defs: NodeDefinition[] = [];
  for (const n of type ? [type] : names) {
    const r = await loadNodeType(n, process.cwd());
    if (r.ok) defs.push(r.nodeType.def);
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify(defs.map(({ run: _run, restore: _restore, fileDeps: _f, check: _c, resources: _r, ...d }) => d), null, 2) + '\n');
    return EXIT.ok;
  }
  const out: string[] = [];
  for (const d of defs) {
    out.push(`${d.type}  (v${d.version})`);
    out.push(`  ${d.description}`);
    const ins = Object.entries(d.inputs);
    if (ins.length) {
      out.push('  inputs:');
      for (const [p, s] of ins) out.push(`    ${p === '*' ? '<any name>' : p}: ${s.kinds.join(' | ')}${s.optional ? ' (optional)' : ''}  ${s.description}`);
    }
    out.push('  outputs:');
    for (const [p, s] of Object.entries(d.outputs)) out.push(`    ${p}: ${s.kind}  ${s.description}`);
    const params = Object.entries(d.params.properties);
    if (params.length) {
      out.push('  params:');
      for (const [p, s] of params) out.push(`    ${p}: ${describeSchema(s)}${'default' in s ? ` = ${JSON.stringify(s.default)}` : d.params.required?.includes(p) ? ' (required)' : ''}${s.description ? `  ${String(s.description)}` : ''}`);
    }
    out.push('');
  }
  process.stdout.write(out.join('\n'));
  return EXIT.ok;
}

function describeSchema(s: JsonSchema): string {
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join('|');
  const t = Array.isArray(s.type) ? s.type.join('|') : typeof s.type === 'string' ? s.type : Array.isArray(s.anyOf) ? 'any of' : 'value';
  const range: string[] = [];
  if (typeof s.minimum === 'number') range.push(`>= ${s.minimum}`);
  if (typeof s.exclusiveMinimum === 'number') range.push(`> ${s.exclusiveMinimum}`);
  if (typeof s.maximum === 'number') range.push(`<= ${s.maximum}`);
  if (typeof s.exclusiveMaximum === 'number') range.push(`< ${s.exclusiveMaximum}`);
  return range.length ? `${t} (${range.join(', ')})` : t;
}
