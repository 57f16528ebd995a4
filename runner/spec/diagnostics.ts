// Spec problems as located, one-line diagnostics: `FILE:LINE:COL: message`.
// Every check collects them instead of throwing, so a user sees all problems at once.

export interface Diagnostic {
  /** the spec file, or for a command-line flag the flag as typed (`--set crowd.images=x`) */
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  col: number;
  message: string;
  /** set when the problem is in a command-line flag rather than the file */
  flag?: boolean;
}

export function formatDiagnostic(d: Diagnostic): string {
  return d.flag ? `${d.file}: ${d.message}` : `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

export function flagDiagnostic(flag: string, message: string): Diagnostic {
  return { file: flag, line: 0, col: 0, message, flag: true };
}

/** Thrown (rarely) to abort spec processing after diagnostics have been collected. */
export class SpecError extends Error {
  override readonly name = 'SpecError';
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
  }
}

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds
    .filter((d) => {
      const k = formatDiagnostic(d);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.col - b.col);
}
