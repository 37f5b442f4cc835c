import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it). Tests never download a browser. */
export const CHROMIUM_PATH = process.env['WXTOKEN_CHROMIUM'] ?? '/usr/bin/chromium';

/** Flags for a quiet headless chromium in a container: no sandbox (root), no GPU, no calls home. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Where browser tests keep their screenshots and measurements (ignored by git). */
export const ARTIFACTS_DIR = join(process.cwd(), 'test-artifacts', 'dashboard');

/**
 * Whether browser tests can run. Under CI=true a missing chromium is an error (the suite must not pass by skipping);
 * elsewhere the tests skip and say why.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const message = `browser tests need chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set WXTOKEN_CHROMIUM)`;
  if (process.env['CI'] === 'true') throw new Error(message);
  console.warn(`skipping: ${message}`);
  return false;
}

/** Launches headless chromium from CHROMIUM_PATH. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Saves a full-page screenshot as test-artifacts/dashboard/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
