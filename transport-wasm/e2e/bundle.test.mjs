// The package bundled by esbuild, served as static files and run in headless Chromium, in
// the page and in a module worker, against the emulator. Run by scripts/wasm-tests with
// BUNDLE_URL (the served bundle) and EMULATOR_URL set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const bundle = process.env.BUNDLE_URL;
const emulator = process.env.EMULATOR_URL?.replace(/\/$/, '');

async function approve(id) {
  await fetch(`${emulator}/emulator/approve`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id }),
  });
}

test('a bundled app signs in, in the page and in a worker', { timeout: 60_000 }, async () => {
  assert.ok(bundle && emulator, 'BUNDLE_URL and EMULATOR_URL must be set');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const missing = [];
    page.on('response', (r) => { if (r.status() === 404) missing.push(r.url()); });
    await page.goto(`${bundle}/index.html?api=${encodeURIComponent(emulator)}`);
    for (const side of ['page', 'worker']) {
      const pin = await page.waitForFunction((s) => window[`${s}Pin`], side).then((h) => h.jsonValue());
      assert.ok(pin.url.startsWith(`${emulator}/auth#?`), pin.url);
      await approve(pin.id);
      const result = await page.evaluate((s) => window[s], side);
      assert.ok(result.token, `${side}: ${JSON.stringify(result)}`);
    }
    assert.deepEqual(missing, []);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
