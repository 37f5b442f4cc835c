import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import type { CredentialState } from '../../src/core/token-service.js';
import { SignInLinks } from '../../src/server/dashboard/sign-in-links.js';
import { createServer } from '../../src/server/index.js';
import { systemClock } from '../../src/util/clock.js';
import { FakeTokenService } from '../server/fake-token-service.js';
import { ADMIN_KEY } from '../server/helpers.js';
import { ARTIFACTS_DIR, chromiumAvailable, launchChromium, screenshot } from '../support/browser.js';

const CREDENTIALS = 10_000;
/** Fresh page loads measured; the spread is reported, never asserted. */
const LOADS = 5;

/**
 * 10,000 credentials of five kinds and three principal shapes (apps, WeCom corp/agent pairs, Open Platform
 * components), in every state: what a large fleet's hub lists, without 10,000 upstream fetches.
 */
function manyCredentials(now: number): CredentialState[] {
  const states: CredentialState[] = [];
  for (let i = 0; i < CREDENTIALS; i++) {
    const hex = i.toString(16).padStart(16, '0');
    const shape = i % 10;
    const [principal, kind] =
      shape < 5 ? [`wx${hex}`, 'access_token'] : shape < 7 ? [`wx${hex}`, 'jsapi_ticket'] : shape < 8 ? [`wx${hex}`, 'wx_card_ticket'] : shape < 9 ? [`ww${hex}/1000002`, 'wecom_token'] : [`component:wx${hex}`, 'component_access_token'];
    const state: CredentialState['state'] = i % 97 === 0 ? 'failed' : i % 89 === 0 ? 'retrying' : i % 83 === 0 ? 'pending' : 'ok';
    const expiresAt = state === 'pending' ? null : now + ((i * 7919) % 7_000_000) + 60_000;
    states.push({
      key: `${principal}:${kind}`,
      kind,
      appid: principal,
      state,
      tokenExpiresAt: expiresAt,
      lastRefreshAt: expiresAt === null ? null : expiresAt - 7_200_000,
      nextAttemptAt: state === 'failed' ? null : expiresAt === null ? now + 1000 : expiresAt - 180_000,
      lastError:
        state === 'failed'
          ? { code: 'credentials_rejected', message: 'WeChat rejected the AppSecret (40125)', errcode: 40125, at: now - 60_000 }
          : state === 'retrying'
            ? { code: 'upstream_unavailable', message: 'WeChat did not answer in time', at: now - 5_000 }
            : null,
    });
  }
  return states.sort((a, b) => (a.key < b.key ? -1 : 1));
}

class ManyCredentialsService extends FakeTokenService {
  readonly #states = manyCredentials(Date.now());
  listCredentials(): CredentialState[] {
    return this.#states;
  }
}

describe.runIf(chromiumAvailable())('the dashboard with 10,000 credentials (chromium)', () => {
  let server: FastifyInstance;
  let url: string;
  let links: SignInLinks;
  let browser: Browser;

  beforeAll(async () => {
    links = new SignInLinks();
    server = createServer({ service: new ManyCredentialsService(systemClock), adminKey: ADMIN_KEY, dashboard: { signInLinks: links } });
    url = await server.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function signedInPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${url}/dashboard/sign-in?token=${links.issue()}`);
    await page.waitForURL(`${url}/dashboard`);
    return page;
  }

  it('renders the first page of 10,000 credentials and reports how long it took', async () => {
    const samples: number[] = [];
    let page: Page | undefined;
    for (let i = 0; i < LOADS; i++) {
      await page?.context().close();
      page = await signedInPage();
      await page.locator('#credentials[data-first-render-ms]').waitFor();
      // Milliseconds from the start of the navigation to /dashboard until the rows were in the table.
      samples.push(Number(await page.getAttribute('#credentials', 'data-first-render-ms')));
      expect(await page.locator('#credentials tbody tr').count()).toBe(50);
    }
    expect(await page!.textContent('#page-info')).toContain(`${CREDENTIALS} credentials`);
    await screenshot(page!, '10-10000-credentials');
    const sorted = [...samples].sort((a, b) => a - b);
    const result = { credentials: CREDENTIALS, loads: LOADS, firstPageMs: samples, medianMs: sorted[Math.floor(LOADS / 2)], minMs: sorted[0], maxMs: sorted[LOADS - 1] };
    await mkdir(ARTIFACTS_DIR, { recursive: true });
    await writeFile(join(ARTIFACTS_DIR, 'first-page-10000.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(`dashboard first page with ${CREDENTIALS} credentials: ${JSON.stringify(result)}`);
    await page!.context().close();
  });

  it('searches, filters by state and kind, and pages on the server', async () => {
    const page = await signedInPage();
    await page.locator('#credentials[data-first-render-ms]').waitFor();
    // Needs attention first: the failed credentials lead the default order.
    expect(await page.locator('#credentials tbody tr').first().locator('.badge').textContent()).toBe('failed');

    await page.selectOption('#kind-filter', 'wecom_token');
    await expect.poll(() => page.textContent('#page-info')).toContain('1000 credentials');
    expect(await page.locator('#credentials tbody tr td:nth-child(2)').allTextContents()).toEqual(Array(50).fill('wecom_token'));

    await page.selectOption('#state-filter', 'failed');
    await expect.poll(() => page.textContent('#page-info')).toMatch(/page 1 of 1 · \d+ credentials/);
    for (const badge of await page.locator('#credentials tbody .badge').allTextContents()) expect(badge).toBe('failed');

    await page.selectOption('#state-filter', '');
    await page.selectOption('#kind-filter', '');
    // Components i < 256 with i % 10 === 9: 25 of them.
    await page.fill('#search', 'component:wx00000000000000');
    await expect.poll(() => page.textContent('#page-info')).toContain('page 1 of 1 · 25 credentials');
    for (const principal of await page.locator('#credentials tbody tr td:first-child').allTextContents()) expect(principal).toMatch(/^component:wx00000000000000/);

    await page.fill('#search', '');
    await expect.poll(() => page.textContent('#page-info')).toContain(`page 1 of 200 · ${CREDENTIALS} credentials`);
    const firstKey = await page.locator('#credentials tbody tr').first().getAttribute('data-key');
    await page.click('#next');
    await expect.poll(() => page.textContent('#page-info')).toContain('page 2 of 200');
    expect(await page.locator('#credentials tbody tr').first().getAttribute('data-key')).not.toBe(firstKey);
    await screenshot(page, '11-10000-credentials-page-2');
    await page.context().close();
  });
});
