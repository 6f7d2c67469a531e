import t, { type Test } from 'tap';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startTarget } from './helpers/target.js';

// The admin web app in headless Chromium (Debian's, driven by playwright-core): log in, add an
// app from an image (seeing its manifest first), attach a database, add a domain, and see the
// app served, on a phone-sized screen. Screenshots of each step go to test/artifacts/browser/.

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const ARTIFACTS = new URL('../artifacts/browser/', import.meta.url).pathname;
const PHONE = { width: 375, height: 812 };

const target = await startTarget();
const profile = mkdtempSync(join(tmpdir(), 'minicloud-chromium-'));
mkdirSync(ARTIFACTS, { recursive: true });
const context: BrowserContext = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: PHONE,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    ...target.chromiumArgs,
  ],
  ...(target.kind === 'platform' ? { ignoreHTTPSErrors: true } : {}),
});
t.teardown(async () => {
  await context.close();
  await target.close();
  rmSync(profile, { recursive: true, force: true });
});
const page: Page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(30_000);

let shot = 0;
async function screenshot(name: string): Promise<void> {
  shot++;
  await page.screenshot({ path: join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** Nothing on the page is wider than the phone's screen (tables scroll inside their box). */
async function fitsPhone(t: Test, what: string): Promise<void> {
  const width = await page.evaluate(
    () =>
      (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement
        .scrollWidth,
  );
  t.ok(width <= PHONE.width, `${what} fits a ${PHONE.width}px screen (scrollWidth ${width})`);
}

/** Job pages refresh themselves until the job is done; then Continue leads on. */
async function waitForJob(t: Test, what: string): Promise<void> {
  await page.waitForURL(/\/jobs\//);
  await page.locator('.state.succeeded, .state.failed').waitFor({ timeout: 120_000 });
  const state = await page.locator('.state').first().textContent();
  await screenshot(`${what}-job`);
  t.equal(state, 'succeeded', `${what}: ${await page.locator('main').innerText()}`);
  await page.getByRole('link', { name: 'Continue' }).click();
}

t.test('log in with the token', async (t) => {
  await page.goto(`${target.adminUrl}/apps`);
  t.match(page.url(), /\/login$/, 'the pages send a stranger to the log-in page');
  await page.getByLabel('Admin token').fill('not-the-token');
  await page.getByRole('button', { name: 'Log in' }).click();
  t.equal(await page.getByRole('alert').innerText(), 'That is not the admin token.');
  await screenshot('login-refused');
  await page.getByLabel('Admin token').fill(target.token);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/apps$/);
  t.equal(await page.locator('h1').innerText(), 'Apps');
  await screenshot('apps-empty');
  await fitsPhone(t, 'the app list');
});

t.test('add an app from an image: the manifest first, then the deploy job', async (t) => {
  await page.getByRole('link', { name: 'Add an app' }).click();
  await page.getByLabel('Image').fill(target.image);
  await page.getByRole('button', { name: 'Read the manifest' }).click();
  t.equal(await page.locator('h1').innerText(), `Deploy ${target.app}?`);
  t.match(await page.locator('dl').first().innerText(), /Exposes\s+http/);
  await screenshot('manifest-preview');
  await fitsPhone(t, 'the manifest preview');
  await page.getByRole('button', { name: 'Deploy' }).click();
  await waitForJob(t, 'add');
  await page.waitForURL(new RegExp(`/apps/${target.app}$`));
  t.match(await page.locator('h1').innerText(), new RegExp(`${target.app}\\s+(healthy|starting)`));
  await screenshot('app');
  await fitsPhone(t, 'the app page');
});

t.test('attach a database', async (t) => {
  await page.getByLabel('Attach').selectOption('database');
  await page.getByRole('button', { name: 'Attach' }).click();
  await waitForJob(t, 'attach-database');
  const needs = page.locator('section', { has: page.getByRole('heading', { name: 'Needs' }) });
  t.match(await needs.innerText(), /database\s+drop its data\s+Detach/);
});

t.test('add a domain', async (t) => {
  await page.getByLabel('Add a domain').fill(target.domain);
  await page.getByRole('button', { name: 'Add domain' }).click();
  t.equal(await page.getByRole('status').innerText(), `${target.domain} now routes to ${target.app}.`);
  t.ok(await page.getByRole('link', { name: `https://${target.domain}/` }).isVisible());
  await screenshot('domain-added');
});

t.test('the app list shows it with its status; the app is served at its URL', async (t) => {
  await page.getByRole('link', { name: 'Apps', exact: true }).click();
  // The first table is the apps'; the server figures below name the app again.
  const row = page.locator('tr', { hasText: target.app }).first();
  t.match(await row.innerText(), /healthy/);
  await screenshot('apps-live');
  await fitsPhone(t, 'the app list with an app');
  await page.getByRole('link', { name: target.app, exact: true }).first().click();
  const urls = await page
    .locator('dd a')
    .evaluateAll((links) => links.map((a) => (a as unknown as { href: string }).href));
  const url = target.kind === 'fake' ? urls.find((u) => u.startsWith('http://127.0.0.1')) : `https://${target.domain}/`;
  t.ok(url, `the app page links the app: ${urls.join(' ')}`);
  await page.goto(url!);
  t.match(await page.locator('body').innerText(), target.served);
  await screenshot('app-served');
});

t.test("the app page charts the app's last hour; the dashboard shows the server", async (t) => {
  await page.goto(`${target.adminUrl}/apps/${target.app}`);
  const lastHour = page.locator('section', { has: page.getByRole('heading', { name: 'Last hour' }) });
  const charts = lastHour.locator('svg[role="img"]');
  t.equal(await charts.count(), 2, 'CPU and memory');
  t.match(await charts.nth(0).getAttribute('aria-label'), /^CPU/);
  t.match(await charts.nth(1).getAttribute('aria-label'), /^Memory/);
  const box = await charts.nth(0).boundingBox();
  t.ok(box && box.width > 200 && box.height >= 50, `the chart is drawn (${JSON.stringify(box)})`);
  // The platform's sampler may not have a minute's sample yet; the fake has an hour.
  if (target.kind === 'fake') t.equal(await lastHour.locator('polyline').count(), 2);
  await lastHour.scrollIntoViewIfNeeded();
  await screenshot('app-charts');
  await fitsPhone(t, 'the app page with its charts');
  await page.goto(`${target.adminUrl}/apps`);
  t.match(await page.locator('main').innerText(), /Server[\s\S]*Node\s+Memory\s+Platform\s+Apps/);
  await fitsPhone(t, 'the dashboard with the server figures');
});

t.test('the logs page follows live: lines written after it opened arrive on the open page', async (t) => {
  // The page streams (no script runs in the admin pages): it never finishes loading while it
  // follows, so it is opened without waiting for its load event.
  await page.goto(`${target.adminUrl}/apps/${target.app}/logs?follow=1`, { waitUntil: 'commit' });
  const logs = page.locator('pre.logs');
  const text = async () => (await logs.textContent({ timeout: 30_000 })) ?? '';
  const starts = async () => (await text()).split('\n').filter((l) => /listening on/.test(l)).length;
  await logs.filter({ hasText: /@/ }).waitFor({ timeout: 30_000 });
  t.match(await page.locator('h1').innerText(), new RegExp(`Logs of ${target.app}`));
  if (target.kind === 'platform') {
    // A restart from another tab: the new task's start line must reach this open page.
    const before = await starts();
    const other = await context.newPage();
    await other.goto(`${target.adminUrl}/apps/${target.app}`);
    await other.getByRole('button', { name: 'Restart' }).click();
    await other.close();
    const end = Date.now() + 120_000;
    while ((await starts()) <= before && Date.now() < end) await page.waitForTimeout(1000);
    t.ok((await starts()) > before, `a new task's start line arrived live (${before} before)`);
  } else {
    const before = (await text()).split('\n').length;
    await page.waitForTimeout(1500);
    t.ok((await text()).split('\n').length > before, 'more lines arrived on the open page');
  }
  t.match(await text(), /^\S+\.\d+@\S+ \d{4}-\d\d-\d\dT/m, 'each line names its task, node and time');
  await screenshot('logs-live');
  await fitsPhone(t, 'the logs page');
  await page.goto(`${target.adminUrl}/apps`);
});

t.test('nodes: how to join one', async (t) => {
  await page.goto(`${target.adminUrl}/nodes`);
  await page.getByRole('button', { name: 'Show the join command' }).click();
  t.match(await page.locator('pre.secret').innerText(), /join-worker\.sh/);
  await screenshot('nodes');
  await fitsPhone(t, 'the nodes page');
});
