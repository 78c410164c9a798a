import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { waitFor } from '@mesh/testkit';
import { launchChromium } from '../src/browser/chromium';
import { demoUsers } from '../src/demo-data';
import { freeMeshPorts, startMesh, type Mesh } from '../src/mesh';
import { seedDemo } from '../src/mesh-client';
import { repoRoot } from '../src/service-config';
import { fetchTrace } from '../src/trace-query';

/** Screenshots of the main pages, for people to look at; git-ignored. */
const outputDir = join(repoRoot, 'e2e', 'test-output');

describe('the web app and the trace explorer in Chromium', () => {
  let mesh: Mesh;
  let browser: Browser;
  let gateway: string;
  const newcomer = { email: `newcomer-${Date.now()}@example.com`, password: 'newcomer-Passw0rd-long' };
  let docTraceId = '';

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(outputDir, `${name}.png`), fullPage: true });

  async function signIn(page: Page, email: string, password: string) {
    await page.fill('input[name="identifier"]', email);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
  }

  before(async () => {
    mkdirSync(outputDir, { recursive: true });
    mesh = await startMesh({
      ports: await freeMeshPorts(),
      dsn: () => 'memory',
      bcryptCost: 4,
      readyTimeoutMs: 60_000,
    });
    await seedDemo(mesh.urls);
    gateway = mesh.urls.gateway;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await mesh?.stop();
  });

  let context: BrowserContext;
  let page: Page;

  it('registers a new person, who lands on their documents and creates one (becoming its owner)', async () => {
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${gateway}/registration`);
    assert.match(page.url(), /\/registration\?flow=/);
    await shot(page, 'registration');
    await page.fill('input[name="traits.email"]', newcomer.email);
    await page.fill('input[name="password"]', newcomer.password);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    assert.equal(new URL(page.url()).pathname, '/');
    assert.equal(await page.textContent('h1'), 'Documents');
    assert.ok((await page.textContent('header'))?.includes(newcomer.email));
    await page.fill('#title', 'My first note');
    await page.fill('#body', 'Written in the browser test.');
    await Promise.all([page.waitForNavigation(), page.click('text=Create document')]);
    assert.match(page.url(), /\/app\/documents\/doc-[0-9a-f]{8}$/);
    assert.equal(await page.textContent('h1'), 'My first note');
    assert.equal(await page.getAttribute('[data-status]', 'data-status'), '200');
  });

  it('signs out, back to the sign-in page, and the session is gone', async () => {
    await Promise.all([page.waitForNavigation(), page.click('text=Sign out')]);
    assert.match(page.url(), /\/login\?flow=/);
    const home = await page.goto(`${gateway}/`);
    assert.ok(home && home.status() !== 200, 'the home page needs a session again');
  });

  it('signs in as alice, opens an allowed document (200) and is refused another (403 page)', async () => {
    await page.goto(`${gateway}/login`);
    await shot(page, 'sign-in');
    await signIn(page, demoUsers.alice.email, demoUsers.alice.password);
    assert.equal(new URL(page.url()).pathname, '/');
    assert.ok(await page.isVisible('#allowed a[href="/app/documents/doc-1"]'));
    assert.ok(await page.isVisible('#denied a[href="/app/documents/doc-2"]'));
    await shot(page, 'documents');
    await page.click('#allowed a[href="/app/documents/doc-1"]');
    await page.waitForURL(/\/app\/documents\/doc-1$/);
    assert.equal(await page.textContent('h1'), 'Quarterly plan');
    assert.equal(await page.getAttribute('[data-status]', 'data-status'), '200');
    docTraceId = (await page.getAttribute('[data-trace-id]', 'data-trace-id')) ?? '';
    assert.match(docTraceId, /^[0-9a-f]{32}$/);
    assert.match((await page.textContent('[data-latency]')) ?? '', /^\d+\.\d ms$/);
    await shot(page, 'document');
    const denied = await page.goto(`${gateway}/app/documents/doc-2`);
    assert.equal(denied?.status(), 403);
    assert.match((await page.textContent('h1')) ?? '', /may not open/);
    await shot(page, 'denied');
  });

  it("follows the page's trace link to the explorer: every service, permission.check, and a span's details", async () => {
    // The spans of five services arrive in separate batches: wait until the whole trace is there.
    await waitFor(async () => {
      const spans = (await fetchTrace(mesh.sink.queryUrl, docTraceId)) ?? [];
      const services = new Set(spans.map((span) => span.service));
      return ['web', 'gateway', 'identity', 'permission', 'documents'].every((service) =>
        services.has(service),
      ) && spans.some((span) => span.name === 'permission.check')
        ? true
        : undefined;
    }, 'the document page trace in the sink');
    await page.goto(`${gateway}/app/documents/doc-1`);
    const traceId = (await page.getAttribute('[data-trace-id]', 'data-trace-id')) ?? '';
    await waitFor(
      async () =>
        (await fetchTrace(mesh.sink.queryUrl, traceId))?.some((span) => span.name === 'permission.check')
          ? true
          : undefined,
      'the second trace',
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await Promise.all([page.waitForNavigation(), page.click('[data-trace-id]')]);
    assert.equal(page.url().startsWith(`${mesh.sink.queryUrl}/trace/${traceId}`), true);
    const waterfall = (await page.textContent('.waterfall')) ?? '';
    for (const service of ['gateway', 'identity', 'permission', 'documents']) {
      assert.ok(waterfall.includes(`${service}: `), `the waterfall shows ${service}`);
    }
    const check = page.locator('a[data-span]', { hasText: 'permission: permission.check' }).first();
    await check.click();
    const spanId = await check.getAttribute('data-span');
    const details = page.locator(`#detail-${spanId}`);
    assert.ok(await details.isVisible(), 'a click opens the span details');
    const detailText = (await details.textContent()) ?? '';
    for (const heading of ['Attributes', 'Events', 'Links', 'Resource', 'Status'])
      assert.ok(detailText.includes(heading), heading);
    await shot(page, 'waterfall');
    // The README's picture (docs/images/waterfall.png is a copy): the first screen, not the whole page.
    await page.screenshot({ path: join(outputDir, 'waterfall-readme.png') });
  });

  it('searches the explorer by service and by error, and draws the dependency graph', async () => {
    await page.goto(`${mesh.sink.queryUrl}/search`);
    await page.selectOption('select[name="service"]', 'permission');
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    assert.ok((await page.locator('tbody tr').count()) > 0, 'traces with permission spans');
    await shot(page, 'search-service');
    await page.goto(`${mesh.sink.queryUrl}/search`);
    await page.selectOption('select[name="error"]', 'true');
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    const errorRows = await page.locator('tbody tr').allTextContents();
    assert.ok(errorRows.length > 0 && errorRows.every((row) => /error/.test(row)), 'only traces with errors');
    await page.goto(`${mesh.sink.queryUrl}/dependencies`);
    const description = (await page.textContent('svg desc')) ?? '';
    assert.match(description, /gateway calls permission \d+ times/);
    assert.match(description, /gateway calls web \d+ times/);
    await shot(page, 'dependencies');
    await context.close();
  });

  it('sends an unauthenticated browser to sign in, and back to the page it asked for', async () => {
    const fresh = await browser.newContext();
    const visitor = await fresh.newPage();
    await visitor.goto(`${gateway}/app/documents/doc-1`);
    assert.match(visitor.url(), /\/login\?flow=/);
    await signIn(visitor, demoUsers.alice.email, demoUsers.alice.password);
    assert.equal(new URL(visitor.url()).pathname, '/app/documents/doc-1');
    await fresh.close();
  });

  it('signs in and opens documents with JavaScript off', async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    const visitor = await noScript.newPage();
    await visitor.goto(`${gateway}/login`);
    await signIn(visitor, demoUsers.bob.email, demoUsers.bob.password);
    assert.equal(new URL(visitor.url()).pathname, '/');
    const allowed = await visitor.goto(`${gateway}/app/documents/doc-2`);
    assert.equal(allowed?.status(), 200);
    const denied = await visitor.goto(`${gateway}/app/documents/doc-1`);
    assert.equal(denied?.status(), 403);
    await noScript.close();
  });

  it('labels every field and signs in with the keyboard alone', async () => {
    const keyboard = await browser.newContext();
    const visitor = await keyboard.newPage();
    for (const path of ['/login', '/registration']) {
      await visitor.goto(`${gateway}${path}`);
      const unlabelled = await visitor.$$eval('input:not([type=hidden]), textarea, select', (fields) =>
        fields
          .filter(
            (field) =>
              !(field.id && field.ownerDocument.querySelector(`label[for="${field.id}"]`)) &&
              !field.getAttribute('aria-label'),
          )
          .map((field) => field.outerHTML),
      );
      assert.deepEqual(unlabelled, [], `${path}: every field has a label`);
      assert.equal(await visitor.getAttribute('html', 'lang'), 'en');
    }
    await visitor.goto(`${gateway}/login`);
    await visitor.focus('input[name="identifier"]');
    await visitor.keyboard.type(demoUsers.alice.email);
    await visitor.keyboard.press('Tab');
    await visitor.keyboard.type(demoUsers.alice.password);
    await Promise.all([visitor.waitForNavigation(), visitor.keyboard.press('Enter')]);
    assert.equal(new URL(visitor.url()).pathname, '/');
    const homeUnlabelled = await visitor.$$eval(
      'input:not([type=hidden]), textarea',
      (fields) =>
        fields.filter((field) => !(field.id && field.ownerDocument.querySelector(`label[for="${field.id}"]`)))
          .length,
    );
    assert.equal(homeUnlabelled, 0);
    await keyboard.close();
  });
});
