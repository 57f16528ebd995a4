// A frame written once as coloured text, without Ink: for a run that ends before Ink
// would have finished loading (a fully cached rerun), so it never pays for Ink at all.

import type { Color, Line } from './frame.js';

const FG: Record<Color, number> = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, white: 37, gray: 90 };

/** Lines with SGR colours (no cursor movement), each ended by a newline. */
export function paintLines(lines: Line[], color: boolean): string {
  let out = '';
  for (const line of lines) {
    for (const s of line) {
      if (!color || (!s.color && !s.bold && !s.dim)) {
        out += s.text;
        continue;
      }
      const codes: number[] = [];
      if (s.bold) codes.push(1);
      if (s.dim) codes.push(2);
      if (s.color) codes.push(FG[s.color]);
      out += `\u001B[${codes.join(';')}m${s.text}\u001B[0m`;
    }
    out += '\n';
  }
  return out;
}
