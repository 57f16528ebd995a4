// Bad input found while loading: with `strict` the run fails with one line naming
// the first problem (and how many more there are); without it each bad item is
// skipped, and the report counts and lists what was skipped and why.

import { UserInputError } from '../../runner/node-api.js';

export type SkipReason =
  | 'name does not parse'
  | 'duplicate image'
  | 'image has no row'
  | 'row has no image'
  | 'duplicate row'
  | 'bad values'
  | 'undecodable image';

export interface Skip {
  /** `FILE:LINE` or a file path */
  where: string;
  reason: SkipReason;
  message: string;
}

export class Problems {
  readonly items: Skip[] = [];
  private checked = 0;

  constructor(readonly strict: boolean) {}

  add(where: string, reason: SkipReason, message: string): void {
    this.items.push({ where, reason, message });
  }

  /** In strict mode, fail on the problems found since the last check. */
  check(): void {
    if (!this.strict) return;
    const fresh = this.items.slice(this.checked);
    this.checked = this.items.length;
    if (fresh.length === 0) return;
    const first = fresh[0];
    const more = fresh.length > 1 ? ` (${fresh.length - 1} more problem${fresh.length > 2 ? 's' : ''} like it)` : '';
    throw new UserInputError(`${first.where}: ${first.message}${more}; fix it, or set strict: false to skip and count such items`);
  }

  byReason(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.items) out[s.reason] = (out[s.reason] ?? 0) + 1;
    return out;
  }
}
