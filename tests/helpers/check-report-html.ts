// Open a report.html in headless Chromium and check it the way a reader would see
// it: the page loads with no console errors, no exceptions and no request leaving
// the file (self-contained), every <img> decoded, and every inline chart has drawn
// marks of non-zero size. Talks the DevTools protocol over --remote-debugging-pipe
// (fd 3/4, NUL-separated JSON), so it needs no npm package and no free port.
//
//   node --import tsx tests/helpers/check-report-html.ts out/report.html
//
// Needs Debian's `chromium` (or set SOFTLAB_CHROMIUM to a Chrome/Chromium binary).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Readable, Writable } from 'node:stream';

export interface ChartCheck {
  /** the chart's aria-label / title, or its position */
  label: string;
  width: number;
  height: number;
  /** drawn marks with non-zero size (Vega: data marks; other SVGs: shapes) */
  marks: number;
}

export interface HtmlCheck {
  consoleErrors: string[];
  /** requests for anything but the page itself and data: URIs */
  externalRequests: string[];
  charts: ChartCheck[];
  images: { alt: string; ok: boolean }[];
  title: string;
  /** problems found, empty when the page is fine */
  problems: string[];
}

export function findChromium(): string | undefined {
  const candidates = [process.env.SOFTLAB_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

/** Runs in the page: measure every inline SVG and image. */
const PAGE_CHECK = `(() => {
  const charts = [...document.querySelectorAll('svg')].filter((s) => !s.parentElement.closest('svg')).map((svg, i) => {
    const box = svg.getBoundingClientRect();
    const vega = svg.classList.contains('marks');
    const candidates = vega ? svg.querySelectorAll('g.role-mark > *') : svg.querySelectorAll('path, rect, circle, ellipse, line, polygon, polyline');
    let marks = 0;
    for (const el of candidates) {
      const b = el.getBoundingClientRect();
      const isBackground = !vega && el.tagName === 'rect' && Math.abs(b.width - box.width) < 1 && Math.abs(b.height - box.height) < 1;
      if (!isBackground && (b.width > 0 || b.height > 0)) marks++;
    }
    const label = svg.closest('figure')?.getAttribute('aria-label') || svg.getAttribute('aria-label') || ('svg #' + (i + 1));
    return { label, width: box.width, height: box.height, marks };
  });
  const images = [...document.images].map((img) => ({ alt: img.alt, ok: img.complete && img.naturalWidth > 0 }));
  return { charts, images, title: document.title };
})()`;

class Cdp {
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private listeners: ((msg: any) => void)[] = [];
  private buffer = '';

  constructor(
    private readonly input: Writable,
    output: Readable,
  ) {
    output.setEncoding('utf8');
    output.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, end));
        this.buffer = this.buffer.slice(end + 1);
        if (msg.id !== undefined && this.pending.has(msg.id)) {
          const p = this.pending.get(msg.id)!;
          this.pending.delete(msg.id);
          if (msg.error) p.reject(new Error(`${msg.error.message} (${msg.error.code})`));
          else p.resolve(msg.result);
        } else for (const l of this.listeners) l(msg);
      }
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<any> {
    const id = this.nextId++;
    this.input.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  on(listener: (msg: any) => void): void {
    this.listeners.push(listener);
  }

  failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

export async function checkReportHtml(htmlFile: string, opts: { chromium?: string; timeoutMs?: number } = {}): Promise<HtmlCheck> {
  const binary = opts.chromium ?? findChromium();
  if (!binary) throw new Error('Chromium not found: install Debian package `chromium` or set SOFTLAB_CHROMIUM');
  const profile = await mkdtemp(path.join(os.tmpdir(), 'softlab-chromium-'));
  const url = pathToFileURL(path.resolve(htmlFile)).href;
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-extensions',
    '--disable-default-apps',
    '--no-first-run',
    '--no-default-browser-check',
    '--mute-audio',
    `--user-data-dir=${profile}`,
    '--remote-debugging-pipe',
    'about:blank',
  ];
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const cdp = new Cdp(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      const err = new Error(`chromium exited (${code ?? signal}) before the check finished: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      cdp.failAll(err);
      reject(err);
    }),
  );
  exited.catch(() => undefined);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`chromium check timed out after ${timeoutMs} ms`)), timeoutMs);
  });

  const consoleErrors: string[] = [];
  const externalRequests: string[] = [];
  try {
    const work = async (): Promise<HtmlCheck> => {
      const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
      let loaded: () => void = () => undefined;
      const load = new Promise<void>((resolve) => (loaded = resolve));
      cdp.on((msg) => {
        if (msg.sessionId !== sessionId) return;
        const p = msg.params ?? {};
        switch (msg.method) {
          case 'Runtime.consoleAPICalled':
            if (p.type === 'error' || p.type === 'assert') consoleErrors.push(`console.${p.type}: ${(p.args ?? []).map((a: any) => a.value ?? a.description ?? '').join(' ')}`);
            break;
          case 'Runtime.exceptionThrown':
            consoleErrors.push(`exception: ${p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text}`);
            break;
          case 'Log.entryAdded':
            if (p.entry?.level === 'error') consoleErrors.push(`${p.entry.source}: ${p.entry.text}${p.entry.url ? ` (${p.entry.url})` : ''}`);
            break;
          case 'Network.requestWillBeSent': {
            const u: string = p.request?.url ?? '';
            if (u !== url && !u.startsWith('data:') && u !== 'about:blank') externalRequests.push(u);
            break;
          }
          case 'Page.loadEventFired':
            loaded();
            break;
        }
      });
      for (const domain of ['Runtime', 'Log', 'Page', 'Network']) await cdp.send(`${domain}.enable`, {}, sessionId);
      const nav = await cdp.send('Page.navigate', { url }, sessionId);
      if (nav.errorText) throw new Error(`could not open ${url}: ${nav.errorText}`);
      await load;
      const { result, exceptionDetails } = await cdp.send('Runtime.evaluate', { expression: PAGE_CHECK, returnByValue: true }, sessionId);
      if (exceptionDetails) throw new Error(`page check failed: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
      const page = result.value as Pick<HtmlCheck, 'charts' | 'images' | 'title'>;
      await cdp.send('Browser.close').catch(() => undefined);
      const problems = [
        ...consoleErrors,
        ...externalRequests.map((u) => `request outside the page: ${u}`),
        ...page.images.filter((i) => !i.ok).map((i) => `image not decoded: ${i.alt || '(no alt)'}`),
        ...page.charts.filter((c) => c.width <= 0 || c.height <= 0).map((c) => `chart not laid out: ${c.label}`),
        ...page.charts.filter((c) => c.marks === 0).map((c) => `chart has no drawn marks: ${c.label}`),
      ];
      return { consoleErrors, externalRequests, ...page, problems };
    };
    return await Promise.race([work(), exited, timeout]);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    await rm(profile, { recursive: true, force: true }).catch(() => undefined);
  }
}

// CLI: node --import tsx tests/helpers/check-report-html.ts <report.html>
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node --import tsx tests/helpers/check-report-html.ts <report.html>');
    process.exit(2);
  }
  checkReportHtml(file).then(
    (r) => {
      console.log(`${r.charts.length} charts (${r.charts.map((c) => c.marks).join(', ')} marks), ${r.images.length} images`);
      if (r.problems.length) {
        for (const p of r.problems) console.error(`problem: ${p}`);
        process.exit(1);
      }
      console.log('ok');
    },
    (e: Error) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
