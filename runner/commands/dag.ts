// `softlab dag SPEC`: the pipeline's DAG as text, Mermaid or Graphviz dot.

import { parseSpecFlags } from '../cli/args.js';
import { EXIT } from '../cli/exit.js';
import type { Plan } from '../plan/build.js';
import { loadPlanOrReport } from './load-plan.js';

export async function dagCommand(spec: string, opts: { format: 'text' | 'mermaid' | 'dot'; set: string[]; sweep: string[] }): Promise<number> {
  const plan = await loadPlanOrReport(spec, await parseSpecFlags(opts.set, opts.sweep));
  if (!plan) return EXIT.usage;
  process.stdout.write(formatDag(plan, opts.format));
  return EXIT.ok;
}

interface Edge {
  from: string;
  to: string;
  label: string;
}

/** Node ids: the node name, suffixed with a short key when a sweep gives one name several executions. */
function graph(plan: Plan): { nodes: { id: string; name: string; type: string; variants: string[] }[]; edges: Edge[] } {
  const perName = new Map<string, number>();
  for (const n of plan.nodes) perName.set(n.name, (perName.get(n.name) ?? 0) + 1);
  const idOf = new Map<string, string>();
  for (const n of plan.nodes) idOf.set(n.key, perName.get(n.name)! > 1 ? `${n.name}@${n.key.slice(0, 6)}` : n.name);
  const edges: Edge[] = [];
  for (const n of plan.nodes) {
    for (const [port, inp] of Object.entries(n.inputs)) {
      if (inp.origin === 'node') edges.push({ from: idOf.get(inp.key)!, to: idOf.get(n.key)!, label: inp.port === port ? port : `${inp.port} → ${port}` });
      else edges.push({ from: `file:${inp.source}`, to: idOf.get(n.key)!, label: port });
    }
  }
  return { nodes: plan.nodes.map((n) => ({ id: idOf.get(n.key)!, name: n.name, type: n.type, variants: n.variants })), edges };
}

export function formatDag(plan: Plan, format: 'text' | 'mermaid' | 'dot'): string {
  const g = graph(plan);
  const files = [...new Set(g.edges.filter((e) => e.from.startsWith('file:')).map((e) => e.from))];
  if (format === 'mermaid') {
    const safe = (id: string): string => id.replace(/[^A-Za-z0-9_]/g, '_');
    const lines = ['flowchart TD'];
    for (const f of files) lines.push(`  ${safe(f)}[/"${f.slice(5)}"/]`);
    for (const n of g.nodes) lines.push(`  ${safe(n.id)}["${n.id}<br/><i>${n.type}</i>"]`);
    for (const e of g.edges) lines.push(`  ${safe(e.from)} -->|${e.label}| ${safe(e.to)}`);
    return lines.join('\n') + '\n';
  }
  if (format === 'dot') {
    const q = (s: string): string => JSON.stringify(s);
    const lines = [`digraph ${q(plan.pipeline)} {`, '  rankdir=TB;', '  node [shape=box, fontname="Helvetica"];'];
    for (const f of files) lines.push(`  ${q(f)} [label=${q(f.slice(5))}, shape=note];`);
    for (const n of g.nodes) lines.push(`  ${q(n.id)} [label=${q(`${n.id}\n${n.type}`)}];`);
    for (const e of g.edges) lines.push(`  ${q(e.from)} -> ${q(e.to)} [label=${q(e.label)}];`);
    lines.push('}');
    return lines.join('\n') + '\n';
  }
  // text: nodes in topological order, each with what it reads
  const lines = [`${plan.pipeline}: ${g.nodes.length} nodes${plan.sweep ? `, ${plan.variants.length} variants` : ''}`];
  const width = Math.max(...g.nodes.map((n) => n.id.length));
  for (const n of g.nodes) {
    const ins = g.edges.filter((e) => e.to === n.id).map((e) => `${e.from.startsWith('file:') ? e.from.slice(5) : e.from} (${e.label})`);
    const served = plan.sweep ? `  [${n.variants.length === plan.variants.length ? 'all variants' : n.variants.join('; ')}]` : '';
    lines.push(`  ${n.id.padEnd(width)}  ${n.type.padEnd(14)} ${ins.length ? '← ' + ins.join(', ') : '(source)'}${served}`);
  }
  return lines.join('\n') + '\n';
}
