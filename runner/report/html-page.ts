// What the run report and the sweep report share: Markdown table cells, and
// turning a Markdown document into one self-contained HTML page (every picture
// inlined, no other file, no network).

import path from 'node:path';
import { inlineFile, inlineSvg, isRelativeTarget } from './assets.js';
import { escapeHtml, markdownToHtml } from './markdown.js';

/** Text on one line, for a table cell or a one-line message. */
export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Text safe inside a Markdown table cell. */
export function markdownCell(s: string): string {
  return oneLine(s).replace(/\|/g, '\\|');
}

/** Every image target in the Markdown (outside code). */
export function imageTargets(md: string): string[] {
  const stripped = md.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...stripped.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)/g)].map((m) => m[1]);
}

function safeDecode(s: string): string {
  try {
    return decodeURI(s);
  } catch {
    return s;
  }
}

export type ImageRenderer = (src: string, alt: string) => string;

/**
 * Load every picture the documents link (relative to `out`) and return the
 * renderer the Markdown converter calls for images: SVGs inline (ids prefixed per
 * use, since one SVG may appear twice), other images as data URIs.
 */
export async function inlineImages(markdowns: string[], out: string, figurePrefix = 'f'): Promise<ImageRenderer> {
  const assets = new Map<string, Awaited<ReturnType<typeof inlineFile>>>();
  for (const md of markdowns) {
    for (const src of imageTargets(md)) {
      if (assets.has(src) || !isRelativeTarget(src)) continue;
      assets.set(src, await inlineFile(path.resolve(out, safeDecode(src)), out));
    }
  }
  let figure = 0;
  return (src, alt) => {
    const a = assets.get(src);
    if (!a || a.kind === 'other') return isRelativeTarget(src) ? `<a href="${escapeHtml(src)}">${escapeHtml(alt || src)}</a>` : `<span class="missing">[external image not loaded: ${escapeHtml(src)}]</span>`;
    if (a.kind === 'missing') return `<span class="missing">[missing image: ${escapeHtml(src)}]</span>`;
    if (a.kind === 'image') return `<img src="${a.dataUri}" alt="${escapeHtml(alt)}">`;
    return `<figure class="chart" role="img" aria-label="${escapeHtml(alt)}">${inlineSvg(a.html, `${figurePrefix}${++figure}-`)}</figure>`;
  };
}

export function htmlPage(opts: { title: string; body: string; extraCss?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<style>${BASE_CSS}${opts.extraCss ?? ''}</style>
</head>
<body>
<main>
${opts.body}
</main>
</body>
</html>
`;
}

/** Markdown -> HTML page, pictures inlined. */
export async function markdownPage(title: string, markdown: string, out: string, extraCss?: string): Promise<string> {
  const image = await inlineImages([markdown], out);
  return htmlPage({ title, body: markdownToHtml(markdown, { image }), extraCss });
}

const BASE_CSS = `
:root { color-scheme: light; }
body { margin: 0; background: #fafafa; color: #222; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 64px; background: white; }
h1 { font-size: 1.8em; margin: 0.2em 0 0.4em; }
h2 { font-size: 1.35em; margin-top: 2em; padding-bottom: 0.2em; border-bottom: 2px solid #e3e3e3; }
h3 { font-size: 1.1em; margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 4px 9px; vertical-align: middle; }
th { background: #f3f5f7; }
tbody tr:nth-child(even) { background: #fafbfc; }
code { font: 0.9em ui-monospace, "DejaVu Sans Mono", monospace; background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
pre { background: #f5f5f5; padding: 10px; overflow-x: auto; }
pre code { background: none; padding: 0; }
blockquote { margin: 1em 0; padding: 6px 14px; border-left: 4px solid #c62828; background: #fff5f5; }
figure.chart { display: inline-block; margin: 8px 0; max-width: 100%; }
figure.chart svg { max-width: 100%; height: auto; display: block; }
div.figures { margin: 0.6em 0; }
img { max-width: 100%; image-rendering: pixelated; }
td figure.chart { margin: 0; }
.missing { color: #c62828; font-style: italic; }
`;
