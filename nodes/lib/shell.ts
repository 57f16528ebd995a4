// Run a shell command for a node, with its output as lines and its exit as a
// value. Commands go through a small resident `sh` (a "spawner") that forks
// them: forking that 1 MB process costs a fraction of forking Node, whose fork
// takes 2-3 ms once the process holds a few hundred MB, more than a small
// pipeline step's own work. Every command runs in the spawner's process group,
// so a cancel kills the whole tree; a spawner is then thrown away, not reused.
// Commands the spawner cannot express (environment names that are not shell
// identifiers, a shell that is not an executable path) are spawned directly.

import type { ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, ftruncateSync, openSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ShellCommand {
  /** the shell that runs `command` with `-c` */
  shell: string;
  command: string;
  cwd: string;
  /** variables added to this process's environment */
  env: Record<string, string>;
  signal: AbortSignal;
  /** each complete line of standard output / standard error, without its newline */
  onLine(stream: 'stdout' | 'stderr', line: string): void;
}

export type ShellExit =
  | { ok: true; code: number | null; signal: NodeJS.Signals | null }
  | { ok: false; message: string };

/** A line longer than this is passed on in pieces. */
const MAX_LINE = 8192;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SPAWNER_SHELL = '/bin/sh';
/** Marks the end of a command's output on the spawner's stdout and stderr. */
const END = '\x1esoftlab-end\x1e';

export async function runShellCommand(cmd: ShellCommand): Promise<ShellExit> {
  if (cmd.signal.aborted) return { ok: true, code: null, signal: 'SIGTERM' };
  if (!canUseSpawner(cmd)) return spawnDirectly(cmd);
  const spawner = await Spawner.acquire();
  const exit = await spawner.run(cmd);
  // its script could not be written (no writable temporary folder): the plain way
  if (exit === 'unavailable') return spawnDirectly(cmd);
  if (exit.ok && exit.signal === null && !cmd.signal.aborted) Spawner.release(spawner);
  else spawner.kill();
  return exit;
}

function canUseSpawner(cmd: ShellCommand): boolean {
  if (!Object.keys(cmd.env).every((k) => IDENTIFIER.test(k))) return false;
  if (!path.isAbsolute(cmd.shell)) return false;
  try {
    accessSync(cmd.shell, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Splits a byte stream into lines; `end` passes on a last line without a newline. */
function lineSplitter(emit: (line: string) => void): { push(text: string): void; end(): void } {
  let buf = '';
  return {
    push(text) {
      buf += text;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        emit(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      if (buf.length > MAX_LINE) {
        emit(buf);
        buf = '';
      }
    },
    end() {
      if (buf) emit(buf);
      buf = '';
    },
  };
}

/** How `sh` reports a status: above 128, killed by signal status-128. */
function exitOf(status: number): ShellExit {
  if (status > 128) {
    const name = Object.entries(os.constants.signals).find(([, n]) => n === status - 128)?.[0];
    if (name) return { ok: true, code: null, signal: name as NodeJS.Signals };
  }
  return { ok: true, code: status, signal: null };
}

/** The resident shell: one command at a time, read from a script file it sources when told to. */
class Spawner {
  private static idle: Spawner[] = [];
  private static count = 0;
  /** script files of live spawners, removed when this process exits */
  private static scripts = new Set<string>();

  private readonly child: ChildProcess;
  private readonly script: string;
  private dead = false;
  private current:
    | { out: ReturnType<typeof lineSplitter>; err: ReturnType<typeof lineSplitter>; ended: Set<string>; status?: number; done(e: ShellExit): void }
    | undefined;

  /**
   * An idle spawner, or a new one. A spawner passes on the environment this
   * process had when it started (comparing process.env before every command
   * would cost more than the rest of the hand-off); the CLI never changes it.
   */
  static async acquire(): Promise<Spawner> {
    for (let s = Spawner.idle.pop(); s; s = Spawner.idle.pop()) if (!s.dead) return s;
    const { spawn } = await import('node:child_process');
    return new Spawner(spawn);
  }

  static release(s: Spawner): void {
    if (!s.dead) Spawner.idle.push(s);
  }

  private constructor(spawn: typeof import('node:child_process').spawn) {
    this.script = path.join(os.tmpdir(), `softlab-sh-${process.pid}-${++Spawner.count}.sh`);
    if (Spawner.count === 1) process.once('exit', () => [...Spawner.scripts].forEach(removeQuietlySync));
    Spawner.scripts.add(this.script);
    // each request line runs the script in a subshell; its exit status goes to fd 3,
    // after an end mark on stdout and stderr (the caller waits for all three)
    const loop = `f=$1; shift; while IFS= read -r _; do ( . "$f" ) </dev/null & wait $!; s=$?; printf '${END}'; printf '${END}' >&2; echo $s >&3; done`;
    this.child = spawn(SPAWNER_SHELL, ['-c', loop, 'softlab-spawner', this.script], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true });
    this.hold(false);
    this.child.stdout!.setEncoding('utf8').on('data', (t: string) => this.output('stdout', t));
    this.child.stderr!.setEncoding('utf8').on('data', (t: string) => this.output('stderr', t));
    (this.child.stdio[3] as NodeJS.ReadableStream).setEncoding('utf8').on('data', (t: string) => {
      if (this.current) this.current.status = Number(t.trim());
      this.settle();
    });
    this.child.on('error', (e) => this.fail(`cannot start ${SPAWNER_SHELL}: ${e.message}`));
    this.child.on('exit', (code, signal) => {
      this.dead = true;
      if (this.current) {
        // killed (a cancel) or gone: the command went with it
        this.current.out.end();
        this.current.err.end();
        const c = this.current;
        this.current = undefined;
        c.done({ ok: true, code: signal ? null : code, signal: signal ?? null });
      }
      this.removeScript();
    });
  }

  run(cmd: ShellCommand): Promise<ShellExit | 'unavailable'> {
    const exports = Object.entries(cmd.env).map(([k, v]) => `export ${k}=${quote(v)}\n`).join('');
    // the spawner's own shell runs a /bin/sh command in its subshell: one exec fewer
    const body = cmd.shell === SPAWNER_SHELL ? `${cmd.command}\n` : `exec ${quote(cmd.shell)} -c ${quote(cmd.command)}\n`;
    try {
      writeInPlace(this.script, `cd -- ${quote(cmd.cwd)} || exit 127\n${exports}${body}`);
    } catch {
      this.kill();
      return Promise.resolve('unavailable');
    }
    return new Promise((resolve) => {
      const onAbort = (): void => this.kill();
      cmd.signal.addEventListener('abort', onAbort, { once: true });
      // an idle spawner must not keep this process alive; one running a command must
      this.hold(true);
      this.current = {
        out: lineSplitter((l) => cmd.onLine('stdout', l)),
        err: lineSplitter((l) => cmd.onLine('stderr', l)),
        ended: new Set(),
        done: (e) => {
          cmd.signal.removeEventListener('abort', onAbort);
          this.hold(false);
          resolve(e);
        },
      };
      if (this.dead) return this.fail('the command runner is gone');
      this.child.stdin!.write('\n');
    });
  }

  /** Stop the command and its children with the spawner (which is not reused). */
  kill(): void {
    if (this.dead) return;
    try {
      process.kill(-this.child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }

  private output(stream: 'stdout' | 'stderr', text: string): void {
    const c = this.current;
    if (!c) return; // a background process of an earlier command still writing
    const split = stream === 'stdout' ? c.out : c.err;
    const i = text.indexOf(END);
    if (i < 0) return split.push(text);
    split.push(text.slice(0, i));
    split.end();
    c.ended.add(stream);
    this.settle();
  }

  private settle(): void {
    const c = this.current;
    if (!c || c.status === undefined || c.ended.size < 2) return;
    this.current = undefined;
    c.done(exitOf(c.status));
  }

  private fail(message: string): void {
    this.dead = true;
    const c = this.current;
    this.current = undefined;
    c?.done({ ok: false, message });
  }

  private hold(on: boolean): void {
    const how = on ? 'ref' : 'unref';
    this.child[how]();
    for (const s of this.child.stdio) (s as { ref?: () => void; unref?: () => void } | null)?.[how]?.();
  }

  private removeScript(): void {
    Spawner.scripts.delete(this.script);
    removeQuietlySync(this.script);
  }
}

/**
 * Overwrite a file's contents in place: truncating it to nothing first (what
 * writeFileSync does) frees its block and allocates another, ~0.1 ms each time
 * on ext4; rewriting and then cutting to length keeps the block.
 */
function writeInPlace(file: string, text: string): void {
  const data = Buffer.from(text);
  const fd = openSync(file, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o600);
  try {
    writeSync(fd, data, 0, data.length, 0);
    ftruncateSync(fd, data.length);
  } finally {
    closeSync(fd);
  }
}

function removeQuietlySync(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* never written, or gone */
  }
}

/** The plain way, for what the spawner cannot run: a child process of this one, in its own process group. */
async function spawnDirectly(cmd: ShellCommand): Promise<ShellExit> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve) => {
    const child = spawn(cmd.shell, ['-c', cmd.command], { cwd: cmd.cwd, env: { ...process.env, ...cmd.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out = lineSplitter((l) => cmd.onLine('stdout', l));
    const err = lineSplitter((l) => cmd.onLine('stderr', l));
    child.stdout.setEncoding('utf8').on('data', (t: string) => out.push(t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => err.push(t));
    // cancel the whole process group: a shell's children must not outlive the run
    const onAbort = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    };
    cmd.signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      cmd.signal.removeEventListener('abort', onAbort);
      resolve({ ok: false, message: `cannot start ${cmd.shell}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      cmd.signal.removeEventListener('abort', onAbort);
      out.end();
      err.end();
      resolve({ ok: true, code, signal });
    });
  });
}
