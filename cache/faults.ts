// Fault injection for the reliability tests (tests/reliability-kill.test.ts).
// `SOFTLAB_FAULT_KILL_AT=<point>[:<n>]` makes the process SIGKILL itself the n-th
// time (default: the first) one thread reaches `<point>`: the kernel stops it
// there as a power cut or the OOM killer would, with no cleanup of any kind. The
// points sit between the steps of the cache's commit protocol and the run's
// phases (see RELIABILITY.md for the list). Unset, a point costs one env lookup.

const counts = new Map<string, number>();

export function faultPoint(point: string): void {
  const spec = process.env.SOFTLAB_FAULT_KILL_AT;
  if (!spec) return;
  const m = /^(.*?)(?::(\d+))?$/.exec(spec)!;
  const [, name, nth] = m;
  if (name !== point) return;
  const n = (counts.get(point) ?? 0) + 1;
  counts.set(point, n);
  if (n === Number(nth || 1)) process.kill(process.pid, 'SIGKILL');
}
