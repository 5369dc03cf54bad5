// End to end: the example page in headless Chromium against the emulator.
// Run by scripts/wasm-tests with PAGE_URL (the served www/) and EMULATOR_URL set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const page_url = process.env.PAGE_URL;
const emulator = process.env.EMULATOR_URL;

test('sign in through the example page', { timeout: 60_000 }, async () => {
  assert.ok(page_url && emulator, 'PAGE_URL and EMULATOR_URL must be set');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${page_url}/?api=${encodeURIComponent(emulator)}`);
    await page.click('#signin');

    // The code, the link and the QR code appear.
    const link = page.locator('#auth-link');
    await link.waitFor({ state: 'visible' });
    const code = await page.textContent('#code');
    assert.equal(code.trim().length, 25, `a strong code: ${code}`);
    const href = await link.getAttribute('href');
    assert.ok(href.startsWith(`${emulator}/auth#?clientID=`), href);
    const qr = await page.getAttribute('#qr', 'src');
    assert.ok(qr.includes(`/api/v2/pins/qr/${code.trim()}`), qr);
    await page.waitForFunction(() => document.querySelector('#qr').naturalWidth > 0);

    // Follow the link (a new tab) to the emulator's approval page and approve.
    const [approval] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await approval.waitForLoadState();
    assert.equal((await approval.textContent('#code')).trim(), code.trim());
    assert.equal(await approval.textContent('#product'), 'plex-pin web example');
    await approval.click('#approve');
    await approval.locator('#status', { hasText: 'Approved' }).waitFor();

    // Back on the app's page: the signed-in user's name.
    await page.locator('#user', { hasText: 'Signed in as Emulated User' }).waitFor({ timeout: 10_000 });
    assert.deepEqual(errors, []);
    assert.equal(await page.textContent('#error'), '');
  } finally {
    await browser.close();
  }
});
