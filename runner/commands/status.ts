// `softlab status SPEC`: for each node, cached, or stale and why (params, inputs
// or code changed), compared with the last run of the same spec on this cache.

import path from 'node:path';
import { keyDifferences } from '../../cache/key.js';
import { CacheStore } from '../../cache/store.js';
import { parseSpecFlags, resolveCacheDir } from '../cli/args.js';
import { EXIT } from '../cli/exit.js';
import { latestRecordFor } from '../run/records.js';
import { loadPlanOrReport } from './load-plan.js';

interface NodeStatusLine {
  variant: string;
  name: string;
  type: string;
  key: string;
  status: 'cached' | 'stale';
  reasons: string[];
}

export async function statusCommand(spec: string, opts: { set: string[]; sweep: string[]; json?: boolean; cacheDir?: string }): Promise<number> {
  const plan = await loadPlanOrReport(spec, await parseSpecFlags(opts.set, opts.sweep), path.join(resolveCacheDir(opts.cacheDir), 'specs'));
  if (!plan) return EXIT.usage;
  const store = new CacheStore(resolveCacheDir(opts.cacheDir));
  const record = await latestRecordFor(store.root, plan.specFile);
  const hits = new Map<string, Awaited<ReturnType<CacheStore['lookup']>>>();
  await Promise.all(plan.nodes.map(async (n) => hits.set(n.key, await store.lookup(n.key))));
  const lines: NodeStatusLine[] = [];
  for (const v of plan.variants) {
    // names whose own key changed, so dependents can say "upstream X changed"
    const staleNames = new Set<string>();
    for (const name of plan.nodeNames) {
      const key = v.nodes.get(name)!;
      const node = plan.byKey.get(key)!;
      const hit = hits.get(key)!;
      if (hit.hit) {
        lines.push({ variant: v.id, name, type: node.type, key, status: 'cached', reasons: [] });
        continue;
      }
      staleNames.add(name);
      const prev = record?.nodes[`${v.id}/${name}`];
      let reasons: string[];
      if (hit.miss.kind !== 'absent') reasons = [`cache entry unusable: ${hit.miss.message}`];
      else if (!prev) reasons = ['never run'];
      else if (prev.key === key) reasons = ['not in the cache (removed, or its run did not finish)'];
      else {
        reasons = keyDifferences(prev.parts, node.keyParts);
        const ups = Object.entries(node.inputs)
          .filter(([, i]) => i.origin === 'node' && staleNames.has(i.name))
          .map(([, i]) => (i.origin === 'node' ? i.name : ''));
        if (ups.length) reasons = [...reasons.filter((r) => !r.startsWith('inputs changed')), `upstream ${[...new Set(ups)].map((u) => `"${u}"`).join(', ')} changed`];
        if (!reasons.length) reasons = ['key changed'];
      }
      lines.push({ variant: v.id, name, type: node.type, key, status: 'stale', reasons });
    }
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({ pipeline: plan.pipeline, nodes: lines }, null, 2) + '\n');
    return EXIT.ok;
  }
  const cached = lines.filter((l) => l.status === 'cached').length;
  const out = [`${plan.pipeline}: ${cached} cached, ${lines.length - cached} stale (cache ${store.root})`];
  const w = Math.max(...lines.map((l) => l.name.length));
  let lastVariant = '';
  for (const l of lines) {
    if (plan.sweep && l.variant !== lastVariant) {
      out.push(`[${l.variant}]`);
      lastVariant = l.variant;
    }
    out.push(`  ${l.status.padEnd(6)}  ${l.name.padEnd(w)}  ${l.type.padEnd(14)} ${l.reasons.join('; ')}`.trimEnd());
  }
  process.stdout.write(out.join('\n') + '\n');
  return EXIT.ok;
}
