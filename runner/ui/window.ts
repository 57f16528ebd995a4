// Which rows of a long list to show in a short terminal. Not a plain scroll offset: the
// rows that matter (running, failed) must all stay visible, so hidden stretches collapse
// into one `⋮ N more` line each and the remaining space goes to the rows nearest them.

export type WindowItem = { kind: 'row'; index: number } | { kind: 'gap'; count: number };

/**
 * Choose what to show of `n` rows in `budget` lines (gap markers count as lines).
 * `seeds` are the rows that matter, most important first; they are taken greedily
 * while they fit, then rows are added by distance to the nearest seed.
 */
export function pickWindow(n: number, seeds: readonly number[], budget: number): WindowItem[] {
  if (n <= budget) return Array.from({ length: n }, (_, index) => ({ kind: 'row' as const, index }));
  if (budget <= 0) return [];
  const shown = new Array<boolean>(n).fill(false);
  let lines = 1; // nothing shown yet: the whole list is one gap
  const tryAdd = (i: number): boolean => {
    if (i < 0 || i >= n || shown[i]) return false;
    const leftHidden = i > 0 && !shown[i - 1];
    const rightHidden = i < n - 1 && !shown[i + 1];
    // one more row; the gap holding i splits in two, shrinks, or disappears
    const delta = 1 + (leftHidden && rightHidden ? 1 : 0) - (!leftHidden && !rightHidden ? 1 : 0);
    if (lines + delta > budget) return false;
    shown[i] = true;
    lines += delta;
    return true;
  };
  const valid = [...new Set(seeds)].filter((i) => i >= 0 && i < n);
  for (const s of valid) tryAdd(s);
  const anchors = valid.filter((i) => shown[i]);
  if (anchors.length === 0) anchors.push(valid[0] ?? 0);
  // rows by distance to the nearest anchor; ties go to the later row so what comes next shows
  const dist = Array.from({ length: n }, (_, i) => Math.min(...anchors.map((a) => Math.abs(a - i))));
  const rest = Array.from({ length: n }, (_, i) => i)
    .filter((i) => !shown[i])
    .sort((a, b) => dist[a] - dist[b] || b - a);
  for (const i of rest) tryAdd(i);
  const out: WindowItem[] = [];
  let gap = 0;
  for (let i = 0; i < n; i++) {
    if (shown[i]) {
      if (gap > 0) out.push({ kind: 'gap', count: gap });
      gap = 0;
      out.push({ kind: 'row', index: i });
    } else gap++;
  }
  if (gap > 0) out.push({ kind: 'gap', count: gap });
  return out;
}
