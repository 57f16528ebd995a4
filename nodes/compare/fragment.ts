// The compare node's `report.md` fragment: the study-style table (model, mean L1 ± sd,
// accuracy, F1), the tests for each pair, the charts and the gallery. No top-level
// heading: the run report puts `## <node name>` above it.

import type { CompareMetrics, PairTests } from './evaluate.js';

export interface GalleryEntry {
  id: string;
  png: string;
  svg: string;
}

export function fmtNum(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  return x.toFixed(digits);
}

/** p-values as papers print them: four decimals, or two significant digits below 1e-4. */
export function fmtP(p: number | null | undefined): string {
  if (p === null || p === undefined || Number.isNaN(p)) return '–';
  if (p === 0) return '< 1e-300';
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

function pct(x: number): string {
  return Number.isNaN(x) ? '–' : `${(100 * x).toFixed(2)}%`;
}

function fmtDf(df: number | null): string {
  if (df === null || Number.isNaN(df)) return '–';
  return Number.isInteger(df) ? String(df) : df.toFixed(1);
}

export function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

export function modelTable(m: CompareMetrics): string {
  const rows = [
    '| model | mean L1 ± sd | median L1 | 95% CI of mean L1 | accuracy | macro F1 | intersection | KL | JS | ECE |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [name, r] of Object.entries(m.models)) {
    rows.push(
      `| ${escapeCell(name)} | ${fmtNum(r.l1.mean)} ± ${fmtNum(r.l1.sd)} | ${fmtNum(r.l1.median)} | ${fmtNum(r.l1.ci95[0])} – ${fmtNum(r.l1.ci95[1])} | ${pct(r.accuracy)} | ${pct(r.f1_macro)} | ${fmtNum(r.intersection)} | ${fmtNum(r.kl)} | ${fmtNum(r.js)} | ${fmtNum(r.ece)} |`,
    );
  }
  return rows.join('\n');
}

export function testTable(t: PairTests): string {
  const w = t.wilcoxon;
  const wMethod = w.method === 'normal' ? `normal approx., z = ${fmtNum(w.z ?? NaN, 3)}` : w.method === 'exact' ? 'exact' : 'exact, with ties or zeros';
  return [
    '| test | statistic | df | p (two-sided) | effect size |',
    '|---|---:|---:|---:|---:|',
    `| two-sample t, pooled variance (the study's test) | t = ${fmtNum(t.independent.statistic)} | ${fmtDf(t.independent.df)} | ${fmtP(t.independent.p)} | d = ${fmtNum(t.independent.cohens_d, 3)} |`,
    `| Welch's t | t = ${fmtNum(t.welch.statistic)} | ${fmtDf(t.welch.df)} | ${fmtP(t.welch.p)} | d = ${fmtNum(t.welch.cohens_d, 3)} |`,
    `| paired t (same images) | t = ${fmtNum(t.paired.statistic)} | ${fmtDf(t.paired.df)} | ${fmtP(t.paired.p)} | d_z = ${fmtNum(t.paired.cohens_d, 3)} |`,
    `| Wilcoxon signed-rank, ${wMethod} | W = ${fmtNum(w.statistic, 1)} | – | ${fmtP(w.p)} | r = ${fmtNum(w.rank_biserial, 3)} |`,
  ].join('\n');
}

export function compareFragment(opts: {
  metrics: CompareMetrics;
  referenceNote: string;
  notes: string[];
  charts: { file: string; alt: string }[];
  gallery: GalleryEntry[];
  synthetic: boolean;
}): string {
  const m = opts.metrics;
  const out: string[] = [];
  if (opts.synthetic) out.push('**SYNTHETIC data**: a generated, CAFE-shaped simulation, not real children.', '');
  out.push(`Compared on **${m.n}** images: ${opts.referenceNote}. Classes (merge ${m.merge}): ${m.classes.join(', ')}.`);
  for (const n of opts.notes) out.push('', n);
  out.push(
    '',
    modelTable(m),
    '',
    'L1: per-image distance between the model\'s softmax output and the human label distribution (0 identical, 2 disjoint); lower is closer to people. Accuracy and macro F1 against the humans\' plurality label; KL and JS in nats; ECE over 15 confidence bins.',
  );
  for (const [key, t] of Object.entries(m.tests)) {
    const closer = t.mean_diff < 0 ? t.a : t.mean_diff > 0 ? t.b : undefined;
    out.push(
      '',
      `### ${escapeCell(t.a)} vs ${escapeCell(t.b)}`,
      '',
      `Mean L1 difference (${t.a} − ${t.b}) = ${fmtNum(t.mean_diff)}${closer ? `: ${closer} is closer to the humans` : ''}. Tests on the per-image L1 of the ${m.n} images (\`tests.${key}\` in metrics.json).`,
      '',
      testTable(t),
    );
  }
  if (opts.charts.length) {
    out.push('', '### Charts', '');
    for (const c of opts.charts) out.push(`![${c.alt}](${c.file})`, '');
    out.pop();
  }
  if (opts.gallery.length) {
    out.push(
      '',
      `### Gallery${opts.synthetic ? ' (SYNTHETIC faces)' : ''}`,
      '',
      `${opts.gallery.length} test images: the face, and the human label distribution (grey) beside each model's output.`,
      '',
      '| face | distributions |',
      '|---|---|',
    );
    for (const g of opts.gallery) out.push(`| ![${escapeCell(g.id)}](${g.png}) | ![distributions for ${escapeCell(g.id)}](${g.svg}) |`);
  }
  out.push('', 'Full figures: [metrics.json](metrics.json).');
  return out.join('\n') + '\n';
}
