// `--json`: stdout carries exactly one thing, the run summary as JSON, so it can be piped
// into jq or another program; what a person watches (the plain lines) goes to stderr.

import type { RunEvent } from '../events.js';
import { PlainRenderer, type PlainOptions } from './plain.js';
import type { Renderer } from './renderer.js';

export class JsonRenderer implements Renderer {
  private readonly lines: PlainRenderer;
  private printed = false;

  constructor(
    private readonly stdout: { write(chunk: string): unknown },
    stderr: { write(chunk: string): unknown },
    opts: PlainOptions = {},
  ) {
    this.lines = new PlainRenderer(stderr, opts);
  }

  onEvent(e: RunEvent): void {
    this.lines.onEvent(e);
    if (e.type === 'run-finished' && !this.printed) {
      this.printed = true;
      this.stdout.write(JSON.stringify(e.summary, null, 2) + '\n');
    }
  }

  close(): Promise<void> {
    return this.lines.close();
  }
}
