// The emulator's own pages in headless Chromium (issue 23, item 9): a `javascript:`
// forwardUrl does not run after Approve (and the page's policy would block it besides), an
// http(s) one is followed, a page on another origin cannot frame /auth or /link; and under
// their policy the pages still work: the link page links, another page shows the QR.
// Run by scripts/emulator-browser-tests, which starts the emulator and sets EMULATOR_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// playwright-core comes with the browser package's tools (transport-wasm/node_modules).
const require = createRequire(new URL('../../transport-wasm/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const emulator = process.env.EMULATOR_URL?.replace(/\/$/, '');
let browser;
let profile;

before(async () => {
  assert.ok(emulator, 'EMULATOR_URL must be set');
  profile = mkdtempSync(join(tmpdir(), 'plex-pin-emulator-e2e-'));
  // A persistent context on a fresh profile directory: Chromium's --user-data-dir.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function control(route, body) {
  const response = await fetch(`${emulator}/emulator/${route}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return response.json();
}

async function strongPin(client) {
  return createPin(client, '?strong=true');
}

async function createPin(client, query = '') {
  const response = await fetch(`${emulator}/api/v2/pins${query}`, {
    method: 'POST',
    headers: { accept: 'application/json', 'x-plex-client-identifier': client, 'x-plex-product': 'e2e' },
  });
  assert.equal(response.status, 201);
  return response.json();
}

/** A page that records what the browser refused (CSP, framing) and any script error. */
async function watchedPage() {
  const page = await browser.newPage();
  const refusals = [];
  const errors = [];
  page.on('console', (m) => { if (/Refused|Content Security Policy/.test(m.text())) refusals.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, refusals, errors };
}

const STEAL = "javascript:fetch('/emulator/issue-token',{method:'POST',headers:{'Content-Type':'application/json'},body:'{}'})"
  + ".then(r=>r.json()).then(t=>{document.title='STOLEN '+t.token})";

test('a javascript: forwardUrl does not run after Approve, and nothing is approved', async () => {
  const pin = await strongPin('e2e-javascript');
  const tokensBefore = (await control('stats', {})).stored?.tokens.items;
  const { page, errors } = await watchedPage();
  await page.goto(`${emulator}/auth#?clientID=e2e&code=${pin.code}&forwardUrl=${encodeURIComponent(STEAL)}`);
  await page.click('#approve');
  await page.waitForFunction(() => document.getElementById('status').textContent !== '');
  await page.waitForTimeout(500);
  assert.doesNotMatch(await page.title(), /STOLEN/);
  assert.ok(page.url().startsWith(`${emulator}/auth`), page.url());
  assert.equal((await control('pin', { id: pin.id })).approved, false);
  assert.equal((await control('stats', {})).stored?.tokens.items, tokensBefore, 'no token issued');
  assert.match(await page.textContent('#status'), /^Refused: forwardUrl must be an absolute http/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the pages' policy blocks a javascript: URL even when a script navigates to one", async () => {
  const { page, refusals } = await watchedPage();
  await page.goto(`${emulator}/auth#?code=x`);
  await page.evaluate(() => { location.href = "javascript:document.title='RAN'"; });
  await page.waitForTimeout(500);
  assert.doesNotMatch(await page.title(), /RAN/);
  assert.ok(refusals.some((r) => /JavaScript URL|script-src/.test(r)), refusals.join('\n'));
  await page.close();
});

test('an http(s) forwardUrl is followed after Approve', async () => {
  const pin = await strongPin('e2e-forward');
  const forward = `${emulator}/?came=back`;
  const { page, refusals, errors } = await watchedPage();
  await page.goto(`${emulator}/auth#?clientID=e2e&code=${pin.code}&forwardUrl=${encodeURIComponent(forward)}`);
  await Promise.all([page.waitForURL(forward), page.click('#approve')]);
  assert.equal((await control('pin', { id: pin.id })).approved, true);
  assert.deepEqual([refusals, errors], [[], []], 'the page ran under its own policy without a refusal');
  await page.close();
});

test('the link page links a 4-character code under its policy', async () => {
  const pin = await createPin('e2e-link');
  const { page, refusals, errors } = await watchedPage();
  await page.goto(`${emulator}/link?pin=${pin.code}`);
  await page.click('#approve');
  await page.locator('#status', { hasText: 'Linked' }).waitFor();
  assert.equal((await control('pin', { id: pin.id })).approved, true);
  assert.deepEqual([refusals, errors], [[], []]);
  await page.close();
});

/** A server on another loopback origin (a public one would be stopped by Chromium's
 * private network rules before the emulator's headers are even read), serving `pages`. */
async function otherOrigin(pages) {
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end(pages[request.url] ?? '');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}

test("another origin's page shows a pin's QR image", async () => {
  const pin = await createPin('e2e-qr');
  const { server, url } = await otherOrigin({
    '/': `<img id="qr" src="${emulator}/api/v2/pins/qr/${pin.code}">`,
  });
  const { page } = await watchedPage();
  try {
    await page.goto(`${url}/`, { waitUntil: 'load' });
    await page.waitForFunction(() => document.querySelector('#qr').naturalWidth > 0);
  } finally {
    await page.close();
    server.close();
  }
});

test('a page on another origin cannot frame /auth or /link, though it can frame others', async () => {
  const { server: framer, url } = await otherOrigin({
    '/inner': '<p id="inner">framed</p>',
    '/': `<iframe id="auth" src="${emulator}/auth#?code=abc"></iframe>
          <iframe id="link" src="${emulator}/link"></iframe>
          <iframe id="inner" src="/inner"></iframe>`,
  });
  const { page } = await watchedPage();
  try {
    await page.goto(`${url}/`, { waitUntil: 'load' });
    await page.waitForTimeout(500);
    const frame = async (id) => (await page.$(`iframe#${id}`)).contentFrame();
    assert.ok(await (await frame('inner')).$('#inner'), 'the harness sees a frame that loads');
    for (const id of ['auth', 'link']) {
      const framed = await frame(id);
      // Chromium puts its error page where it refuses to show a framed document.
      assert.match(framed.url(), /^chrome-error:/, `${id}: ${framed.url()}`);
      assert.equal(await framed.$('#approve'), null, `${id} rendered inside the frame`);
    }
  } finally {
    await page.close();
    framer.close();
  }
});
