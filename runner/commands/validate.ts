// `softlab validate SPEC`: exit 0 for a valid spec, 2 with every problem located.

import { parseSpecFlags } from '../cli/args.js';
import { EXIT } from '../cli/exit.js';
import { loadPlanOrReport } from './load-plan.js';

export async function validateCommand(spec: string, opts: { set: string[]; sweep: string[] }): Promise<number> {
  const plan = await loadPlanOrReport(spec, await parseSpecFlags(opts.set, opts.sweep));
  if (!plan) return EXIT.usage;
  const variants = plan.variants.length;
  process.stdout.write(
    `${spec}: valid: pipeline "${plan.pipeline}", ${plan.nodeNames.length} nodes` +
      (plan.sweep ? `, ${variants} variants, ${plan.nodes.length} unique executions` : '') +
      '\n',
  );
  return EXIT.ok;
}
