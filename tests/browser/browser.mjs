// browser.mjs -- Debian's Chromium, headless, driven by playwright-core, and the loopstall command
// that renders the pages it opens: what the browser test and the screenshot tool share.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = process.env.LOOPSTALL_CHROMIUM || '/usr/bin/chromium';
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const EXAMPLES = join(ROOT, 'reports/examples');

// No silent skip: a machine without the browser or the driver fails, saying how to get them.
function require_tools() {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run scripts/setup.sh (it installs Debian's chromium)`);
  if (!existsSync(join(ROOT, 'tests/browser/node_modules/playwright-core')))
    throw new Error(
      'tests/browser/node_modules/playwright-core is missing: run scripts/setup.sh ' +
        '(npm ci in tests/browser)',
    );
}

// The flags that work on these machines: no sandbox (root), no GPU, and nothing that reaches
// for the network on its own (the network is closed; connections would be refused).
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// A fresh browser with its own empty profile; close() removes the profile too.
export async function launch() {
  require_tools();
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'loopstall-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// `loopstall report FILE... --format FMT -o OUT`: the command under test writes the page.
export function render(loopstall, inputs, format, out) {
  execFileSync(loopstall, ['report', ...inputs, '--format', format, '-o', out], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return out;
}
