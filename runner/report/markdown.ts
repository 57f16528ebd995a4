// A small Markdown-to-HTML converter for the subset node fragments use: ATX
// headings, paragraphs, GFM pipe tables (with alignment), bullet and numbered lists
// (nested by indentation), block quotes, fenced code, horizontal rules, and inline
// code, images, links, bold and italics. Raw HTML is escaped, never passed through:
// fragments are data, and the report must stay self-contained and script-free.
// Images and links go through callbacks so the caller can inline or rewrite them.

export interface MarkdownOptions {
  /** HTML for an image; return undefined for a plain <img>. */
  image?: (src: string, alt: string, title?: string) => string | undefined;
  /** rewrite a link target (e.g. relative to another folder) */
  href?: (href: string) => string;
  /** prefix for heading ids, so several fragments on one page do not share ids */
  idPrefix?: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function markdownToHtml(md: string, opts: MarkdownOptions = {}): string {
  const lines = md.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
  return blocks(lines, opts).join('\n');
}

const FENCE = /^\s{0,3}(```+|~~~+)\s*([\w+-]*)\s*$/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const LIST_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const TABLE_SEP = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

function blocks(lines: string[], opts: MarkdownOptions): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++; // closing fence (or end of text)
      const cls = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : '';
      out.push(`<pre><code${cls}>${escapeHtml(body.join('\n'))}</code></pre>`);
      continue;
    }
    const h = HEADING.exec(line);
    if (h) {
      const level = h[1].length;
      out.push(`<h${level} id="${opts.idPrefix ?? ''}${slug(h[2])}">${inline(h[2], opts)}</h${level}>`);
      i++;
      continue;
    }
    if (RULE.test(line)) {
      out.push('<hr>');
      i++;
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      const rows: string[] = [line];
      let j = i + 2;
      while (j < lines.length && lines[j].trim() && lines[j].includes('|')) rows.push(lines[j++]);
      out.push(table(rows, lines[i + 1], opts));
      i = j;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && lines[i].trim() && QUOTE.test(lines[i])) body.push(QUOTE.exec(lines[i++])![1]);
      out.push(`<blockquote>\n${blocks(body, opts).join('\n')}\n</blockquote>`);
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const { html, next } = list(lines, i, opts);
      out.push(html);
      i = next;
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() && !startsBlock(lines, i)) para.push(lines[i++]);
    if (!para.length) para.push(lines[i++]); // a line that looked like a block start but was not one
    const html = para.map((l, k) => inline(l.trim(), opts) + (k < para.length - 1 && / {2,}$/.test(l) ? '<br>' : '')).join('\n');
    // block-level pictures (an image callback may return <figure>) cannot sit inside <p>
    out.push(/<(figure|div|svg)[\s>]/.test(html) ? `<div class="figures">${html}</div>` : `<p>${html}</p>`);
  }
  return out;
}

function startsBlock(lines: string[], i: number): boolean {
  const l = lines[i];
  return (
    FENCE.test(l) ||
    HEADING.test(l) ||
    RULE.test(l) ||
    QUOTE.test(l) ||
    LIST_ITEM.test(l) ||
    (l.includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]) && lines[i + 1].includes('-'))
  );
}

function list(lines: string[], start: number, opts: MarkdownOptions): { html: string; next: number } {
  const first = LIST_ITEM.exec(lines[start])!;
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const items: string[] = [];
  let i = start;
  while (i < lines.length) {
    const m = LIST_ITEM.exec(lines[i]);
    if (!m || m[1].length !== indent || /\d/.test(m[2]) !== ordered) break;
    const body = [m[3]];
    i++;
    // continuation lines and nested lists: anything indented deeper than the marker
    while (i < lines.length) {
      const l = lines[i];
      if (!l.trim()) {
        const nextIndented = i + 1 < lines.length && lines[i + 1].trim() && indentOf(lines[i + 1]) > indent;
        if (!nextIndented) break;
        body.push('');
        i++;
        continue;
      }
      if (indentOf(l) <= indent) break;
      body.push(l.slice(Math.min(indentOf(l), indent + 2)));
      i++;
    }
    const nestedStart = body.findIndex((l, k) => k > 0 && (LIST_ITEM.test(l) || !l.trim()));
    if (nestedStart < 0) items.push(`<li>${inline(body.join(' ').trim(), opts)}</li>`);
    else {
      const text = body.slice(0, nestedStart).join(' ').trim();
      items.push(`<li>${inline(text, opts)}\n${blocks(body.slice(nestedStart), opts).join('\n')}</li>`);
    }
  }
  const tag = ordered ? 'ol' : 'ul';
  const startAttr = ordered && parseInt(first[2], 10) !== 1 ? ` start="${parseInt(first[2], 10)}"` : '';
  return { html: `<${tag}${startAttr}>\n${items.join('\n')}\n</${tag}>`, next: i };
}

function indentOf(l: string): number {
  return l.length - l.trimStart().length;
}

/** Cells of a pipe-table row; `\|` is a literal pipe, and pipes inside `code` do not split. */
export function splitRow(row: string): string[] {
  let s = row.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  const cells: string[] = [];
  let cell = '';
  let inCode = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' && s[i + 1] === '|') {
      cell += '\\|';
      i++;
    } else if (ch === '`') {
      inCode = !inCode;
      cell += ch;
    } else if (ch === '|' && !inCode) {
      cells.push(cell.trim());
      cell = '';
    } else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

function table(rows: string[], sep: string, opts: MarkdownOptions): string {
  const align = splitRow(sep).map((c) => (c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : c.startsWith(':') ? 'left' : ''));
  const head = splitRow(rows[0]);
  const cell = (tag: string, text: string, k: number) => `<${tag}${align[k] ? ` style="text-align:${align[k]}"` : ''}>${inline(text, opts)}</${tag}>`;
  const body = rows.slice(1).map((r) => {
    const cells = splitRow(r);
    return `<tr>${head.map((_, k) => cell('td', cells[k] ?? '', k)).join('')}</tr>`;
  });
  return `<table>\n<thead><tr>${head.map((h, k) => cell('th', h, k)).join('')}</tr></thead>\n<tbody>\n${body.join('\n')}\n</tbody>\n</table>`;
}

/** Inline Markdown to HTML. Placeholders (\u0000n\u0000) keep finished HTML away from later rules. */
export function inline(text: string, opts: MarkdownOptions = {}): string {
  const held: string[] = [];
  const hold = (html: string) => `\u0000${held.push(html) - 1}\u0000`;
  let s = text.replace(/\u0000/g, '');
  // code spans first: nothing inside them is Markdown
  s = s.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_, _t, code: string) => hold(`<code>${escapeHtml(code.trim())}</code>`));
  s = s.replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, (_, ch: string) => hold(escapeHtml(ch)));
  s = s.replace(/!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"([^"]*)")?\s*\)/g, (_, alt: string, src: string, title?: string) => {
    const altText = restore(alt, held, true);
    const custom = opts.image?.(src, altText, title);
    return hold(custom ?? `<img src="${escapeHtml(src)}" alt="${escapeHtml(altText)}"${title ? ` title="${escapeHtml(title)}"` : ''}>`);
  });
  s = s.replace(/\[([^\]]+)\]\(\s*<?([^)\s>]+)>?(?:\s+"([^"]*)")?\s*\)/g, (_, label: string, href: string) => {
    const target = opts.href ? opts.href(href) : href;
    return hold(`<a href="${escapeHtml(target)}">${emphasis(escapeHtml(label))}</a>`);
  });
  s = s.replace(/<(https?:\/\/[^\s>]+)>/g, (_, url: string) => hold(`<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`));
  s = emphasis(escapeHtml(s));
  return restore(s, held, false);
}

function emphasis(s: string): string {
  return s
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, '$1<strong>$2</strong>')
    .replace(/(^|[^*\w])\*(?=[^\s*])([\s\S]*?[^\s*])\*(?![*\w])/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_(?=[^\s_])([\s\S]*?[^\s_])_(?!\w)/g, '$1<em>$2</em>');
}

/** Put held HTML back; `plain` strips tags (for alt text). */
function restore(s: string, held: string[], plain: boolean): string {
  let out = s;
  for (let guard = 0; guard < 5 && out.includes('\u0000'); guard++) {
    out = out.replace(/\u0000(\d+)\u0000/g, (_, n: string) => (plain ? unescapeHtml(held[Number(n)].replace(/<[^>]*>/g, '')) : held[Number(n)]));
  }
  return out;
}

function unescapeHtml(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}

export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/<[^>]*>/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'section'
  );
}
