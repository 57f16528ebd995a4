// Exit codes, part of the CLI contract: 0 all done, 1 a node failed, 2 bad spec
// or usage, 130 interrupted.

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** A mistake in how softlab was called: one line on stderr, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit once stdout and stderr have drained (process.exit can cut piped output short). */
export function exitWith(code: number): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
