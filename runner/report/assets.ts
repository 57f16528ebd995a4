// Files a report fragment refers to: rewriting relative targets so they work from
// the report's folder, and inlining them into the HTML (SVG markup, PNG/JPEG as
// data URIs) so report.html opens from disk with no other file and no network.

import { readFile } from 'node:fs/promises';
import path from 'node:path';

const IMAGE_MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

/** A link target that names a file next to the fragment (not a URL, an anchor or an absolute path). */
export function isRelativeTarget(target: string): boolean {
  return !/^([a-z][a-z0-9+.-]*:|#|\/|\\)/i.test(target);
}

/** `target`, relative to `fromDir`, re-expressed relative to `toDir`, with `/` separators. */
export function rebase(target: string, fromDir: string, toDir: string): string {
  if (!isRelativeTarget(target)) return target;
  const [file, suffix = ''] = splitSuffix(target);
  const abs = path.resolve(fromDir, safeDecode(file));
  const rel = path.relative(toDir, abs).split(path.sep).join('/');
  return encodeURI(rel) + suffix;
}

function splitSuffix(target: string): [string, string?] {
  const i = target.search(/[?#]/);
  return i < 0 ? [target] : [target.slice(0, i), target.slice(i)];
}

function safeDecode(s: string): string {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
}

/** Rewrite every Markdown image and link target in `md` from `fromDir` to `toDir`. */
export function rebaseMarkdown(md: string, fromDir: string, toDir: string): string {
  let inFence = false;
  return md
    .split('\n')
    .map((line) => {
      if (/^\s{0,3}(```|~~~)/.test(line)) inFence = !inFence;
      if (inFence) return line;
      // leave code spans alone: split on them and rewrite only the text between
      return line
        .split(/(`+[^`]*`+)/)
        .map((part, i) => (i % 2 ? part : part.replace(/(!?\[[^\]]*\]\(\s*<?)([^)\s>]+)/g, (_, head: string, target: string) => head + rebase(target, fromDir, toDir))))
        .join('');
    })
    .join('\n');
}

/**
 * SVG markup ready to sit inside an HTML page: no XML prolog or doctype, and its
 * ids (Vega's gradients and clip paths, our markers) prefixed so two charts on one
 * page cannot capture each other's references.
 */
export function inlineSvg(svg: string, prefix: string): string {
  let s = svg.replace(/<\?xml[^>]*\?>\s*/g, '').replace(/<!DOCTYPE[^>]*>\s*/gi, '').trim();
  const ids = new Set<string>();
  for (const m of s.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size) {
    s = s.replace(/(\sid=")([^"]+)"/g, (_, head: string, id: string) => `${head}${prefix}${id}"`);
    s = s.replace(/url\(\s*(['"]?)#([^)'"]+)\1\s*\)/g, (all, q: string, id: string) => (ids.has(id) ? `url(${q}#${prefix}${id}${q})` : all));
    s = s.replace(/((?:xlink:)?href=")#([^"]+)"/g, (all, head: string, id: string) => (ids.has(id) ? `${head}#${prefix}${id}"` : all));
  }
  return s;
}

export type Inlined = { kind: 'svg'; /** the file's markup, not yet prefixed */ html: string } | { kind: 'image'; dataUri: string } | { kind: 'missing' } | { kind: 'other' };

/** Read a file for inlining. Only files inside `within` are read (a fragment cannot pull in /etc/passwd). */
export async function inlineFile(abs: string, within: string): Promise<Inlined> {
  const rel = path.relative(within, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return { kind: 'other' };
  const ext = path.extname(abs).toLowerCase();
  try {
    if (ext === '.svg') return { kind: 'svg', html: await readFile(abs, 'utf8') };
    const mime = IMAGE_MIME[ext];
    if (mime) return { kind: 'image', dataUri: `data:${mime};base64,${(await readFile(abs)).toString('base64')}` };
    return { kind: 'other' };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw e;
  }
}
