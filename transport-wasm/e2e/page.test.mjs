// End to end: the example page in headless Chromium against the emulator, in each state a
// person can see (loading, retrying before a pin, pin shown, approved, declined, network
// error, cancelled, module or package missing, opened from file://), with a screenshot of
// each kept in SCREENSHOTS (default target/page-states). Run by scripts/wasm-tests with
// PAGE_URL (www/ as the README serves it), PAGE_FILE (its index.html on disk) and
// EMULATOR_URL set.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const pageUrl = process.env.PAGE_URL;
const pageFile = process.env.PAGE_FILE;
const emulator = process.env.EMULATOR_URL?.replace(/\/$/, '');
const shots = process.env.SCREENSHOTS ?? 'target/page-states';
let browser;

before(async () => {
  assert.ok(pageUrl && pageFile && emulator, 'PAGE_URL, PAGE_FILE and EMULATOR_URL must be set');
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
after(() => browser?.close());

async function control(route, body) {
  const response = await fetch(`${emulator}/emulator/${route}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return response.json();
}

/** A fresh page (its own storage, so its own client identifier) on `api`, ready to click. */
async function open(api = emulator, setup) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await setup?.(page);
  await page.goto(`${pageUrl}?api=${encodeURIComponent(api)}`);
  return { context, page, errors };
}

async function ready(page) {
  await page.waitForFunction(() => !document.querySelector('#signin').disabled);
  return page.evaluate(() => localStorage.getItem('plex-pin-client-id'));
}

const shot = (page, name) => page.screenshot({ path: `${shots}/${name}.png` });
const visible = (page, selector) => page.locator(selector).isVisible();

const style = (page, selector, property) =>
  page.$eval(selector, (e, p) => getComputedStyle(e)[p], property);

test('a page a user would trust: notes for developers folded away, a disabled button that looks it', { timeout: 60_000 }, async () => {
  const { context, page } = await open();
  const clientId = await ready(page);
  assert.equal(await page.getByText('runs in WebAssembly').isVisible(), false, 'developer notes are folded');
  const enabled = await style(page, '#signin', 'backgroundColor');
  await control('fault', { client: clientId, route: 'create', fault: 'slow:5000', times: 1 });
  await page.click('#signin');
  assert.ok(await page.isDisabled('#signin'));
  const disabled = await style(page, '#signin', 'backgroundColor');
  assert.notEqual(disabled, enabled, 'a disabled button is not painted as an enabled one');
  assert.equal(await style(page, '#signin', 'cursor'), 'not-allowed');
  await page.click('#cancel');
  await context.close();
});

test('retries before a pin exists are shown, not 20 s of "Contacting…"', { timeout: 60_000 }, async () => {
  const { context, page, errors } = await open();
  const clientId = await ready(page);
  await control('fault', { client: clientId, route: 'create', fault: '500', times: 2 });
  await page.click('#signin');
  await page.locator('#status', { hasText: 'not answering. Trying again (attempt 2)' }).waitFor({ timeout: 10_000 });
  await shot(page, 'retrying');
  await page.locator('#status', { hasText: 'attempt 3' }).waitFor({ timeout: 10_000 });
  // Then the pin, once the server answers.
  await page.locator('#auth-link').waitFor({ state: 'visible', timeout: 20_000 });
  assert.equal(await page.textContent('#error'), '');
  await page.click('#cancel');
  assert.deepEqual(errors, []);
  await context.close();
});

test('loading, then a strong pin shown as a link, then approved', { timeout: 60_000 }, async () => {
  const { context, page, errors } = await open();
  const clientId = await ready(page);
  // The pin comes after 1.5 s: the loading state is there to see.
  await control('fault', { client: clientId, route: 'create', fault: 'slow:1500', times: 1 });
  await page.click('#signin');
  await page.locator('#status', { hasText: 'Contacting' }).waitFor();
  assert.ok(await visible(page, '#cancel'), 'Cancel is offered from the click on');
  await shot(page, 'loading');

  const link = page.locator('#auth-link');
  await link.waitFor({ state: 'visible' });
  const href = await link.getAttribute('href');
  assert.ok(href.startsWith(`${emulator}/auth#?clientID=`), href);
  // A strong code is never typed and plex.tv's QR cannot take it: neither is shown.
  assert.equal(await visible(page, '#code'), false);
  assert.equal(await visible(page, '#qr'), false);
  await shot(page, 'pin-shown');

  const [approval] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await approval.waitForLoadState();
  assert.equal(await approval.textContent('#product'), 'plex-pin web example');
  await approval.click('#approve');
  await approval.locator('#status', { hasText: 'Approved' }).waitFor();
  await page.locator('#user', { hasText: 'Signed in as Emulated User' }).waitFor({ timeout: 10_000 });
  await shot(page, 'approved');
  assert.deepEqual(errors, []);
  assert.equal(await page.textContent('#error'), '');
  await context.close();
});

test('a 4-character pin: the code, the link page and plex.tv\'s QR', { timeout: 60_000 }, async () => {
  const { context, page, errors } = await open();
  await ready(page);
  await page.check('#link-mode');
  await page.click('#signin');
  await page.locator('#code').waitFor({ state: 'visible' });
  const code = (await page.textContent('#code')).trim();
  assert.match(code, /^[A-Z0-9]{4}$/);
  assert.equal(await page.getAttribute('#link-page', 'href'), `${emulator}/link?pin=${code}`);
  assert.ok((await page.getAttribute('#qr', 'src')).endsWith(`/api/v2/pins/qr/${code}`));
  await page.waitForFunction(() => document.querySelector('#qr').naturalWidth > 0);
  await shot(page, 'link-code-shown');
  await control('approve', { code });
  await page.locator('#user', { hasText: 'Signed in as' }).waitFor({ timeout: 10_000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('declined: a human message, not the developer text', { timeout: 60_000 }, async () => {
  const { context, page } = await open();
  await ready(page);
  await page.click('#signin');
  const link = page.locator('#auth-link');
  await link.waitFor({ state: 'visible' });
  const code = new URLSearchParams((await link.getAttribute('href')).split('#?')[1]).get('code');
  await control('deny', { code });
  await page.locator('#error', { hasText: 'declined' }).waitFor({ timeout: 10_000 });
  assert.equal(await visible(page, '#pin'), false);
  assert.equal(await page.isDisabled('#signin'), false, 'the user can try again');
  await shot(page, 'declined');
  await context.close();
});

test('cancelled from the loading state: said as such, not as an error', { timeout: 60_000 }, async () => {
  const { context, page } = await open();
  const clientId = await ready(page);
  await control('fault', { client: clientId, route: 'create', fault: 'slow:5000', times: 1 });
  await page.click('#signin');
  await page.locator('#status', { hasText: 'Contacting' }).waitFor();
  const started = Date.now();
  await page.click('#cancel');
  await page.locator('#status', { hasText: 'Sign-in cancelled.' }).waitFor({ timeout: 2_000 });
  assert.ok(Date.now() - started < 1_000, `${Date.now() - started} ms`);
  assert.equal(await page.textContent('#error'), '');
  await shot(page, 'cancelled');
  await context.close();
});

test('a server that is not there: a network error naming it', { timeout: 60_000 }, async () => {
  const { context, page } = await open('http://127.0.0.1:1');
  await ready(page);
  await page.click('#signin');
  await page.locator('#error', { hasText: 'Could not reach 127.0.0.1:1' }).waitFor({ timeout: 20_000 });
  // An error is boxed, in its own colours, apart from the status line.
  const clear = 'rgba(0, 0, 0, 0)';
  assert.notEqual(await style(page, '#error', 'backgroundColor'), clear, 'an error is boxed');
  assert.equal(await style(page, '#status', 'backgroundColor'), clear, 'status text is not');
  assert.notEqual(await style(page, '#error', 'color'), await style(page, '#status', 'color'));
  await shot(page, 'network-error');
  await context.close();
});

test('the package is not built: the page says so', { timeout: 60_000 }, async () => {
  const { context, page } = await open(emulator, (p) =>
    p.route('**/pkg/index.js', (route) => route.fulfill({ status: 404, body: 'no such file' })));
  await page.locator('#error', { hasText: 'could not load' }).waitFor({ timeout: 10_000 });
  assert.ok(await page.isDisabled('#signin'));
  assert.equal(await page.textContent('#status'), '', 'no "Loading…" forever');
  await shot(page, 'package-missing');
  await context.close();
});

test('opened from file://, where browsers run no module: the page says so', { timeout: 60_000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const logged = [];
  page.on('console', (m) => logged.push(m.text()));
  await page.goto(pathToFileURL(pageFile).href);
  await page.locator('#error', { hasText: 'could not load' }).waitFor({ timeout: 10_000 });
  assert.equal(await page.textContent('#status'), '', 'no "Loading…" forever');
  assert.ok(logged.some((t) => t.includes('serve transport-wasm/')), logged.join('\n'));
  await shot(page, 'file-url');
  await context.close();
});

test('the module does not load: the page says so', { timeout: 60_000 }, async () => {
  const { context, page } = await open(emulator, (p) =>
    p.route('**/plex_pin_wasm_bg.wasm', (route) => route.fulfill({ status: 404, body: 'gone' })));
  await page.locator('#error', { hasText: 'could not load' }).waitFor({ timeout: 10_000 });
  assert.ok(await page.isDisabled('#signin'));
  await shot(page, 'module-missing');
  await context.close();
});
