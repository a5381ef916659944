// screenshot.mjs -- renders a report to HTML and takes a full-page PNG of it in headless Chromium.
// node tests/browser/screenshot.mjs LOOPSTALL REPORT.json OUT.png [WIDTH]
// (the README's picture: reports/examples/d3a-bad.html.png, from reports/examples/d3a-bad.json)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { launch, render } from './browser.mjs';

const [loopstall, report, png, width = '1280'] = process.argv.slice(2);
if (!loopstall || !report || !png) {
  console.error('usage: node tests/browser/screenshot.mjs LOOPSTALL REPORT.json OUT.png [WIDTH]');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'loopstall-shot-'));
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: Number(width), height: 900 });
  await page.goto(pathToFileURL(render(loopstall, [report], 'html', join(dir, 'page.html'))).href);
  await page.screenshot({ path: png, fullPage: true });
  console.log(`screenshot.mjs: wrote ${png}`);
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
