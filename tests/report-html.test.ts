// The run report's HTML in headless Chromium (Debian package `chromium`): it loads
// from disk with no console error and no request leaving the file, its pictures
// decode, and every chart (DAG, agreement, compare's charts and gallery) has drawn
// marks. Without Chromium this test fails and says what to install; set
// SOFTLAB_SKIP_BROWSER_TESTS=1 to skip it on a machine that cannot have one.

import { rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeRunReport } from '../runner/report/index.js';
import { checkReportHtml, findChromium } from './helpers/check-report-html.js';
import { tempDir } from './fixtures/compare/build.js';
import { makeFinishedRun } from './fixtures/compare/run-fixture.js';

const skip = process.env.SOFTLAB_SKIP_BROWSER_TESTS === '1';

(skip ? test.skip : test)('report.html in headless Chromium: no console errors, self-contained, every chart drawn', async () => {
  assert.ok(findChromium(), 'Chromium not found: `apt-get install -y chromium` (Debian), set SOFTLAB_CHROMIUM, or SOFTLAB_SKIP_BROWSER_TESTS=1');
  const root = await tempDir('report-html');
  try {
    const { input, outDir } = await makeFinishedRun(root, { gallery: 2 });
    await writeRunReport(input, outDir);
    const r = await checkReportHtml(path.join(outDir, 'report.html'));
    assert.equal(r.problems, [], r.problems.join('\n'));
    assert.is(r.title, 'cafe-quick · softlab report');
    // DAG + agreement + L1, confusion, calibration + 2 gallery charts
    assert.is(r.charts.length, 7, r.charts.map((c) => c.label).join(', '));
    const byLabel = Object.fromEntries(r.charts.map((c) => [c.label, c]));
    assert.ok(byLabel['Pipeline DAG'].marks >= 6 + 5, 'a box per node and an edge per dependency');
    assert.ok(byLabel['L1 distance to the human distribution per model'].marks >= 14 * 2, 'a point per image and model');
    assert.ok(byLabel['Confusion matrices'].marks >= 2 * 25, 'a cell per class pair and model');
    for (const c of r.charts) assert.ok(c.width > 50 && c.height > 30, `${c.label} laid out`);
    assert.is(r.images.length, 2, 'gallery faces');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
