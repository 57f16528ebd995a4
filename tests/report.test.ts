// The run report: the Markdown converter, SVG inlining, the DAG layout, and
// writeRunReport on a finished run and on a fully cached rerun (fixture folders
// with a real compare output). The browser check is in report-html.test.ts.

import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RunNodeInfo } from '../runner/events.js';
import { inlineSvg, rebase, rebaseMarkdown } from '../runner/report/assets.js';
import { layoutDag, topoOrder } from '../runner/report/dag-svg.js';
import { writeRunReport, type RunReportInput } from '../runner/report/index.js';
import { inline, markdownToHtml } from '../runner/report/markdown.js';
import { tempDir } from './fixtures/compare/build.js';
import { makeFinishedRun } from './fixtures/compare/run-fixture.js';

test('markdown: headings, paragraphs, emphasis without breaking snake_case', () => {
  const html = markdownToHtml('## Result\n\nThe **soft** model is *closer*; see `tests.onehot_vs_soft` and d_z or __x__.\nSecond line.');
  assert.match(html, /<h2 id="result">Result<\/h2>/);
  assert.match(html, /<strong>soft<\/strong>/);
  assert.match(html, /<em>closer<\/em>/);
  assert.match(html, /<code>tests\.onehot_vs_soft<\/code>/);
  assert.match(html, /d_z or <strong>x<\/strong>/);
  assert.match(html, /<p>The [^]*\nSecond line\.<\/p>/);
});

test('markdown: tables with alignment, escaped pipes and inline markup', () => {
  const html = markdownToHtml('| model | L1 |\n|---|---:|\n| a\\|b | **0.5** ± 0.1 |\n| `x|y` | 2 |');
  assert.match(html, /<th>model<\/th><th style="text-align:right">L1<\/th>/);
  assert.match(html, /<td>a\|b<\/td><td style="text-align:right"><strong>0\.5<\/strong> ± 0\.1<\/td>/);
  assert.match(html, /<td><code>x\|y<\/code><\/td>/);
});

test('markdown: lists (nested), code blocks, quotes, rules; raw HTML is escaped', () => {
  const html = markdownToHtml('- one\n- two\n  - two.a\n  - two.b\n- three\n\n1. first\n2. second\n\n```\n<b>|x|</b>\n```\n\n> **note**\n\n---\n\n<script>alert(1)</script>');
  assert.match(html, /<ul>\n<li>one<\/li>\n<li>two\n<ul>\n<li>two\.a<\/li>\n<li>two\.b<\/li>\n<\/ul><\/li>\n<li>three<\/li>\n<\/ul>/);
  assert.match(html, /<ol>\n<li>first<\/li>\n<li>second<\/li>\n<\/ol>/);
  assert.match(html, /<pre><code>&lt;b&gt;\|x\|&lt;\/b&gt;<\/code><\/pre>/);
  assert.match(html, /<blockquote>\n<p><strong>note<\/strong><\/p>\n<\/blockquote>/);
  assert.match(html, /<hr>/);
  assert.not.match(html, /<script>/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
});

test('markdown: images and links go through the callbacks', () => {
  const seen: string[] = [];
  const html = inline('![L1 per model](l1.svg) and [metrics](metrics.json) and ![x](https://e.org/a.png)', {
    image: (src, alt) => (seen.push(`${src}|${alt}`), src.endsWith('.svg') ? `<svg data-src="${src}"></svg>` : undefined),
    href: (h) => `node/${h}`,
  });
  assert.equal(seen, ['l1.svg|L1 per model', 'https://e.org/a.png|x']);
  assert.match(html, /^<svg data-src="l1\.svg"><\/svg> and <a href="node\/metrics\.json">metrics<\/a> and <img src="https:\/\/e\.org\/a\.png" alt="x">$/);
});

test('inlined SVGs get their ids prefixed so charts cannot capture each other', () => {
  const svg = '<?xml version="1.0"?>\n<svg><defs><linearGradient id="gradient_0"/><clipPath id="clip1"/></defs><rect fill="url(#gradient_0)" clip-path="url(#clip1)"/><use href="#clip1"/><rect fill="url(#elsewhere)"/></svg>';
  const out = inlineSvg(svg, 'p1-');
  assert.ok(out.startsWith('<svg>'));
  assert.match(out, /id="p1-gradient_0"/);
  assert.match(out, /fill="url\(#p1-gradient_0\)" clip-path="url\(#p1-clip1\)"/);
  assert.match(out, /href="#p1-clip1"/);
  assert.match(out, /url\(#elsewhere\)/); // not an id of this SVG: left alone
});

test('fragment targets are rebased onto the report folder; URLs and code are left alone', () => {
  assert.is(rebase('l1.svg', '/out/compare', '/out'), 'compare/l1.svg');
  assert.is(rebase('gallery/01 a.png', '/out/v1/compare', '/out'), 'v1/compare/gallery/01%20a.png');
  assert.is(rebase('https://x.org/a.png', '/out/compare', '/out'), 'https://x.org/a.png');
  assert.is(rebase('#top', '/out/compare', '/out'), '#top');
  const md = rebaseMarkdown('![a](a.svg) [m](m.json) `![c](c.svg)`\n```\n![d](d.svg)\n```', '/out/n', '/out');
  assert.is(md, '![a](n/a.svg) [m](n/m.json) `![c](c.svg)`\n```\n![d](d.svg)\n```');
});

test('DAG: topological order and depth columns', () => {
  const n = (key: string, deps: string[]): RunNodeInfo => ({ key, name: key, type: 't', deps, variants: ['default'], cached: false });
  const nodes = [n('compare', ['train', 'cafe']), n('train', ['cafe']), n('cafe', []), n('agree', ['cafe'])];
  assert.equal(topoOrder(nodes), ['cafe', 'train', 'compare', 'agree']);
  const layout = Object.fromEntries(layoutDag(nodes).map((l) => [l.key, l.depth]));
  assert.equal(layout, { cafe: 0, train: 1, compare: 2, agree: 1 });
});

async function withRun(cached: boolean, check: (out: string, md: string, html: string, input: RunReportInput) => Promise<void>): Promise<void> {
  const root = await tempDir('report-test');
  try {
    const { input, outDir } = await makeFinishedRun(root, { cached, gallery: 2 });
    const files = await writeRunReport(input, outDir);
    await check(outDir, await readFile(files.markdown, 'utf8'), await readFile(files.html, 'utf8'), input);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

test('report from a finished run: header, params, DAG, sections in topological order, working links', async () => {
  await withRun(false, async (out, md, html) => {
    assert.match(md, /^# cafe-quick\n/);
    assert.match(md, /\*\*SYNTHETIC data\.\*\*/);
    assert.match(md, /\*\*Finished\*\* in 23 s · 6 ran, 0 from cache/);
    assert.match(md, /\| `mix` \| `\{"careful":0\.5,"spammer":0\.2\}` \|/);
    assert.match(md, /\| train_soft \| train-soft \| ran \| 11 s \| backend: wasm \|/);
    const headings = [...md.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    assert.equal(headings, ['Parameters', 'Pipeline', 'cafe (load-cafe)', 'crowd (crowd-collect)', 'agreement (agreement)', 'train_onehot (train-onehot)', 'train_soft (train-soft)', 'compare (compare)']);
    assert.match(md, /\| workers \| 40 \|/, 'a node without report.md shows its summary');
    assert.match(md, /### onehot vs soft/);
    // every relative image or link in report.md resolves from the report's folder
    const targets = [...md.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => decodeURI(m[1]));
    assert.ok(targets.includes('dag.svg') && targets.includes('agreement/agreement.svg') && targets.includes('compare/l1.svg'));
    assert.ok(targets.some((t) => t.startsWith('compare/gallery/') && t.endsWith('.png')));
    for (const t of targets) assert.ok(existsSync(path.join(out, t)), `${t} exists`);

    // the HTML is self-contained: no src/href to files for images, SVGs inline, PNGs as data URIs
    assert.not.match(html, /<img[^>]+src="(?!data:)/);
    assert.not.match(html, /<script/);
    assert.not.match(html, /<\?xml/);
    assert.not.match(html, /https?:\/\/(?!www\.w3\.org)/, 'no network references');
    const svgs = html.match(/<svg[\s>]/g) ?? [];
    assert.is(svgs.length, 1 + 1 + 3 + 2, 'DAG, agreement, 3 compare charts, 2 gallery charts');
    assert.is((html.match(/src="data:image\/png;base64,/g) ?? []).length, 2);
    // Vega numbers gradients per process (gradient_0, _1, ...); the agreement fixture's is gradient_0
    const gradients = html.match(/id="f\d+-gradient_\d+"/g) ?? [];
    assert.is(gradients.length, 2, 'both gradients kept');
    assert.is(new Set(gradients).size, 2, 'with distinct ids');
    assert.match(html, /<h3 id="compare-compare0-onehot-vs-soft">onehot vs soft<\/h3>/);
    assert.match(html, /<a href="agreement\/agreement\.md">agreement\.md<\/a>/);
  });
});

test('report from a fully cached rerun says so; writing it twice gives the same files', async () => {
  await withRun(true, async (out, md, html, input) => {
    assert.match(md, /0 ran, 6 from cache/);
    assert.match(md, /\| compare \| compare \| from cache \| {2}\| {2}\|/);
    assert.match(await readFile(path.join(out, 'dag.svg'), 'utf8'), /cached/);
    const again = await writeRunReport(input, out);
    assert.ok((await readFile(again.markdown, 'utf8')) === md, 'report.md identical');
    assert.ok((await readFile(again.html, 'utf8')) === html, 'report.html identical');
  });
});

test.run();
