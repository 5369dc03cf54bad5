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

test('a bundled app signs in, in the page and in a worker; the JS API in Chromium', { timeout: 60_000 }, async () => {
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

    // The JS API's promises, in the browser: typed errors, AbortSignal, waitForPin.
    const typed = await page.evaluate(async () => {
      const { PlexPinClient, PlexPinError, url } = window.api;
      const plex = new PlexPinClient({ product: 'bundled app', baseUrl: url });
      const e = await plex.user('not-a-real-token').catch((error) => error);
      return [e instanceof PlexPinError, e instanceof Error, e.code, e.status];
    });
    assert.deepEqual(typed, [true, true, 'UNAUTHORIZED', 401]);

    // A redirect is REDIRECT here as in node, Deno, Bun and workerd (runtimes.test.mjs).
    const redirect = await page.evaluate(async () => {
      const { PlexPinClient, url } = window.api;
      const plex = new PlexPinClient({ product: 'bundled app', baseUrl: url, loginTimeoutMs: 3000 });
      await fetch(`${url}/emulator/fault`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client: plex.clientId, route: 'create', fault: 'redirect' }),
      });
      const e = await plex.login().catch((error) => error);
      return e.code;
    });
    assert.equal(redirect, 'REDIRECT');

    const abort = await page.evaluate(async () => {
      const { PlexPinClient, url } = window.api;
      const plex = new PlexPinClient({ product: 'bundled app', baseUrl: url, authAppUrl: `${url}/auth` });
      const controller = new AbortController();
      let at;
      const e = await plex.login({
        signal: controller.signal,
        onPin: () => { at = performance.now(); controller.abort(); },
      }).catch((error) => error);
      return [e.name, performance.now() - at];
    });
    assert.equal(abort[0], 'AbortError');
    assert.ok(abort[1] < 50, `rejected ${abort[1]} ms after the abort`);

    const resumed = await page.evaluate(async () => {
      const { PlexPinClient, url } = window.api;
      const options = { product: 'bundled app', baseUrl: url, authAppUrl: `${url}/auth`, pollIntervalMs: 50 };
      const first = new PlexPinClient(options);
      const stored = JSON.stringify(await first.createPin());
      // A reload later: a new client, the same identifier, the stored pin.
      const again = new PlexPinClient({ ...options, clientId: first.clientId });
      const pin = JSON.parse(stored);
      const waiting = again.waitForPin(pin);
      await fetch(`${url}/emulator/approve`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: pin.id }),
      });
      return typeof (await waiting);
    });
    assert.equal(resumed, 'string');

    // The JWT entry point: sign in with a device key, then refresh.
    await page.goto(`${bundle}/jwt.html?api=${encodeURIComponent(emulator)}`);
    await page.waitForFunction(() => window.api);
    const jwt = await page.evaluate(async () => {
      const { PlexPinClient, generateDeviceKey, url } = window.api;
      const plex = new PlexPinClient({ product: 'bundled jwt', baseUrl: url, authAppUrl: `${url}/auth`, pollIntervalMs: 50 });
      const key = generateDeviceKey();
      const token = await plex.loginJwt(key, {
        onPin: (pin) => fetch(`${url}/emulator/approve`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: pin.id }),
        }),
      });
      const renewed = await plex.refresh(key);
      return [token.split('.').length, renewed.split('.').length, token !== renewed];
    });
    assert.deepEqual(jwt, [3, 3, true]);
    assert.deepEqual(missing, []);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
