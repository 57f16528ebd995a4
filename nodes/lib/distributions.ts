// Distances between probability vectors over the same classes (a model's softmax
// and a human label distribution, a crowd's and the lab's vote shares): one
// definition for every node that reports them.

/** L1 distance, sum |p - q| (0..2 for probability vectors): the study's measure. */
export function l1Distance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < p.length; k++) s += Math.abs(p[k] - q[k]);
  return s;
}

/** Jensen-Shannon divergence in nats (0..ln 2). */
export function jsDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < p.length; k++) {
    const m = (p[k] + q[k]) / 2;
    if (p[k] > 0) s += 0.5 * p[k] * Math.log(p[k] / m);
    if (q[k] > 0) s += 0.5 * q[k] * Math.log(q[k] / m);
  }
  return s;
}

/** Jensen-Shannon distance: the square root of the divergence in bits (0..1), a metric. */
export function jsDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  return Math.sqrt(Math.max(0, jsDivergence(p, q) / Math.LN2));
}
