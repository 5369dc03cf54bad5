// The npm package as a user gets it: `npm pack` of scripts/wasm-release's output, installed
// into a scratch project, imported with a plain `import` in node (no init call), against
// the emulator. Run by scripts/wasm-tests from inside that scratch project, with
// EMULATOR_URL set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlexPinClient, PlexPinError } from 'plex-pin-wasm';

const emulator = process.env.EMULATOR_URL?.replace(/\/$/, '');

async function control(route, body) {
  const response = await fetch(`${emulator}/emulator/${route}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return response.json();
}

async function checks(clientId) {
  const stats = await control('stats', { client: clientId });
  return stats.requests.filter((r) => r.route === 'check_pin').length;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function client(extra = {}) {
  return new PlexPinClient({
    product: 'plex-pin package test', clientId: PlexPinClient.generateClientId(),
    baseUrl: emulator, authAppUrl: `${emulator}/auth`, linkPageUrl: `${emulator}/link`,
    pollIntervalMs: 50, ...extra,
  });
}

test('a plain import signs in, and the token checks valid', async () => {
  assert.ok(emulator, 'EMULATOR_URL must be set');
  const plex = client();
  let shown;
  const token = await plex.login({
    onPin: (pin) => { shown = pin; control('approve', { id: pin.id }); },
  });
  assert.equal(shown.kind, 'strong');
  assert.ok(shown.url.startsWith(`${emulator}/auth#?`), shown.url);
  const user = await plex.user(token);
  assert.equal(user.displayName, 'Emulated User');
});

test('errors are PlexPinErrors with code and status', async () => {
  const error = await client().user('not-a-real-token').catch((e) => e);
  assert.ok(error instanceof PlexPinError, String(error));
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'PlexPinError');
  assert.equal(error.code, 'UNAUTHORIZED');
  assert.equal(error.status, 401);
});

test('a rate limit past the deadline says how long plex.tv asked to wait', async () => {
  const plex = client({ loginTimeoutMs: 2000 });
  await control('fault', { client: plex.clientId, route: 'create', fault: '429:7' });
  const error = await plex.login().catch((e) => e);
  assert.equal(error.code, 'RATE_LIMITED', String(error));
  assert.equal(error.status, 429);
  assert.equal(error.retryAfter, 7);
});

test('an AbortSignal ends a login within a turn and stops its polling', async () => {
  const plex = client();
  const controller = new AbortController();
  let shown = false;
  const login = plex.login({ signal: controller.signal, onPin: () => { shown = true; } });
  while (!shown) await sleep(10);
  const started = performance.now();
  controller.abort();
  const error = await login.catch((e) => e);
  assert.ok(performance.now() - started < 50, `${performance.now() - started} ms`);
  assert.equal(error.name, 'AbortError');
  const polls = await checks(plex.clientId);
  await sleep(300);
  assert.equal(await checks(plex.clientId), polls, 'no poll after the abort');
  // An aborted signal refuses at once.
  await assert.rejects(plex.createPin({ signal: controller.signal }), { name: 'AbortError' });
});

test('cancel() stops every running login, not only the last', async () => {
  const plex = client();
  const first = plex.login();
  const second = plex.login();
  await sleep(100);
  plex.cancel();
  for (const login of [first, second]) {
    const error = await login.catch((e) => e);
    assert.equal(error.code, 'CANCELLED', String(error));
  }
});

test('an exception in onPin ends the login with that exception', async () => {
  const plex = client();
  const mine = new Error('the page could not show the pin');
  const error = await plex.login({ onPin: () => { throw mine; } }).catch((e) => e);
  assert.equal(error, mine);
  const polls = await checks(plex.clientId);
  await sleep(300);
  assert.equal(await checks(plex.clientId), polls, 'no poll after the exception');
});

test('before the pin exists, progress says no time left it does not know', async () => {
  const plex = client();
  await control('fault', { client: plex.clientId, route: 'create', fault: '500', times: 1 });
  const progress = [];
  const token = await plex.login({
    onPin: (pin) => control('approve', { id: pin.id }),
    onProgress: (p) => progress.push(p),
  });
  assert.ok(token);
  assert.equal(progress[0].failures, 1);
  assert.equal(progress[0].secondsLeft, undefined, JSON.stringify(progress[0]));
});

test('failures in a row are counted as the core counts them, monotonically within a streak', async () => {
  const plex = client();
  await control('fault', { client: plex.clientId, route: 'create', fault: '500', times: 3 });
  const failures = [];
  let shown = false;
  await plex.login({
    onPin: (pin) => { shown = true; control('approve', { id: pin.id }); },
    onProgress: (p) => { if (!shown) failures.push(p.failures); },
  });
  // Never back to 0 within the streak (as each wait reported before), never down: a wait
  // reported again (a timer that fired early) says the same count.
  assert.ok(failures.every((n, i) => i === 0 || n >= failures[i - 1]), String(failures));
  assert.deepEqual([...new Set(failures)], [1, 2, 3], String(failures));
});

test('every method checks its options before it sends anything', { timeout: 20_000 }, async () => {
  const plex = client();
  const key = new Uint8Array(32);
  const calls = [
    ['login', () => plex.login({ singal: new AbortController().signal }), '`singal`', /did you mean `signal`/],
    ['login', () => plex.login({ onPin: 'x' }), '`onPin`', /function/],
    ['login', () => plex.login({ onProgress: 1 }), '`onProgress`', /function/],
    ['login', () => plex.login({ signal: 'now' }), '`signal`', /AbortSignal/],
    ['login', () => plex.login('x'), 'options', /object/],
    ['createPin', () => plex.createPin({ sginal: null }), '`sginal`', /did you mean `signal`/],
    ['checkPin', () => plex.checkPin(1, { timeout: 5 }), '`timeout`', /checkPin/],
    ['user', () => plex.user('token', { onPin() {} }), '`onPin`', /user/],
    ['waitForPin', () => plex.waitForPin(1, { onProgres() {} }), '`onProgres`', /waitForPin/],
    ['loginJwt', () => plex.loginJwt(key, { onPin: 1 }), '`onPin`', /function/],
    ['refresh', () => plex.refresh(key, { signal: {} }), '`signal`', /AbortSignal/],
  ];
  for (const [method, call, key, detail] of calls) {
    const error = await call().catch((e) => e);
    assert.ok(error instanceof PlexPinError, `${method}: ${error}`);
    assert.equal(error.code, 'INVALID_OPTIONS', `${method}: ${error.message}`);
    assert.ok(error.message.includes(key), `${method}: ${error.message}`);
    assert.match(error.message, detail);
  }
  await sleep(100);
  const stats = await control('stats', { client: plex.clientId });
  assert.deepEqual(stats.requests, [], 'nothing was sent');
});

test('errors name the server that answered, not plex.tv', async () => {
  const error = await client().user('not-a-real-token').catch((e) => e);
  assert.equal(error.code, 'UNAUTHORIZED');
  assert.ok(error.message.includes(new URL(emulator).host), error.message);
  assert.ok(!error.message.includes('plex.tv'), error.message);
  const unreachable = await client({ baseUrl: 'http://127.0.0.1:1' }).createPin().catch((e) => e);
  assert.equal(unreachable.code, 'NETWORK');
  assert.match(unreachable.message, /could not reach 127\.0\.0\.1:1\b/);
});

test('a redirect is REDIRECT, as in a browser', async () => {
  const plex = client({ loginTimeoutMs: 3000 });
  await control('fault', { client: plex.clientId, route: 'create', fault: 'redirect' });
  const error = await plex.login().catch((e) => e);
  assert.equal(error.code, 'REDIRECT', `${error.code}: ${error.message}`);
});

test('pollIntervalMs below the core\'s floor (50 ms) is refused, not raised', () => {
  assert.throws(() => client({ pollIntervalMs: 49 }), (e) => {
    assert.equal(e.code, 'INVALID_OPTIONS');
    assert.match(e.message, /`pollIntervalMs` must be at least 50/);
    return true;
  });
  assert.ok(client({ pollIntervalMs: 50 }));
});

test('bad options are refused, naming the key', () => {
  const base = { product: 'x', baseUrl: emulator };
  for (const [options, key] of [
    [{ ...base, clientId: 1234 }, 'clientId'],
    [{ product: 'x', baseURL: emulator }, 'baseURL'],
    [{ ...base, pollIntervalMs: -1 }, 'pollIntervalMs'],
    [{ ...base, loginTimeoutMs: '5000' }, 'loginTimeoutMs'],
    [{ ...base, link: 'yes' }, 'link'],
    [{ baseUrl: emulator }, 'product'],
  ]) {
    assert.throws(() => new PlexPinClient(options), (e) => {
      assert.ok(e instanceof PlexPinError);
      assert.equal(e.code, 'INVALID_OPTIONS');
      assert.ok(e.message.includes(`\`${key}\``), e.message);
      return true;
    });
  }
  assert.throws(() => new PlexPinClient({ product: 'x', baseURL: emulator }), /did you mean `baseUrl`/);
});

test('client ids are UUID v4, also where crypto.randomUUID is missing (plain http pages)', () => {
  const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(PlexPinClient.generateClientId(), v4);
  Object.defineProperty(globalThis.crypto, 'randomUUID', { value: undefined, configurable: true });
  try {
    const ids = new Set(Array.from({ length: 50 }, () => PlexPinClient.generateClientId()));
    assert.equal(ids.size, 50);
    for (const id of ids) assert.match(id, v4);
  } finally {
    delete globalThis.crypto.randomUUID;
  }
  assert.equal(typeof globalThis.crypto.randomUUID, 'function');
});

test('waitForPin resumes a stored pin, or a bare id, after a "reload"', async () => {
  const clientId = PlexPinClient.generateClientId();
  // The page before the reload: creates the pin and stores it.
  const stored = JSON.stringify(await client({ clientId }).createPin());
  // After the reload: a new client with the same identifier waits on it.
  const pin = JSON.parse(stored);
  assert.equal(typeof pin.expiresAt, 'number');
  const resumed = client({ clientId });
  const waiting = resumed.waitForPin(pin);
  await sleep(150);
  await control('approve', { id: pin.id });
  assert.ok(await waiting);
  // Only the id was kept: the first answer about it gives the code.
  const second = await client({ clientId }).createPin();
  const byId = client({ clientId }).waitForPin(second.id, { onProgress: () => {} });
  await control('approve', { id: second.id });
  assert.ok(await byId);
  // Another client's pin is plex.tv's 404: denied or expired.
  const stranger = await client().waitForPin(second.id).catch((e) => e);
  assert.equal(stranger.code, 'DENIED_OR_EXPIRED');
  await assert.rejects(client().waitForPin(-1), { code: 'INVALID_OPTIONS' });
});

test('the JWT sign-in, from plex-pin-wasm/jwt', async () => {
  const jwt = await import('plex-pin-wasm/jwt');
  const options = {
    product: 'plex-pin package test', baseUrl: emulator, authAppUrl: `${emulator}/auth`,
    pollIntervalMs: 50,
  };
  const plex = new jwt.PlexPinClient(options);
  const key = jwt.generateDeviceKey();
  const token = await plex.loginJwt(key, { onPin: (pin) => control('approve', { id: pin.id }) });
  assert.equal(token.split('.').length, 3, 'a JWT');
  // The key as base64url text works as well as bytes.
  const text = Buffer.from(key).toString('base64url');
  const renewed = await plex.refresh(text);
  assert.equal(renewed.split('.').length, 3);
  assert.notEqual(renewed, token);
  await assert.rejects(plex.refresh(new Uint8Array(31)), { code: 'INVALID_OPTIONS' });
  await assert.rejects(plex.loginJwt('not base64!'), { code: 'INVALID_OPTIONS' });
  assert.ok(new jwt.PlexPinClient(options) instanceof jwt.PlexPinClient);
  // The default entry has no JWT sign-in and says where it is.
  const error = await client().loginJwt(key).catch((e) => e);
  assert.equal(error.code, 'INVALID_OPTIONS');
  assert.match(error.message, /plex-pin-wasm\/jwt/);
});

test('loginTimeoutMs bounds the request in flight too', async () => {
  const plex = client({ loginTimeoutMs: 1000 });
  await control('fault', { client: plex.clientId, route: 'create', fault: 'slow:5000' });
  const started = performance.now();
  const error = await plex.login().catch((e) => e);
  assert.equal(error.code, 'TIMED_OUT', String(error));
  assert.ok(performance.now() - started < 2000, `${performance.now() - started} ms`);
});

test('a JWT sign-in resumes after a "reload" with its device key', async () => {
  const jwt = await import('plex-pin-wasm/jwt');
  const clientId = jwt.PlexPinClient.generateClientId();
  const options = {
    product: 'plex-pin package test', clientId, baseUrl: emulator, authAppUrl: `${emulator}/auth`,
    pollIntervalMs: 50,
  };
  const key = jwt.generateDeviceKey();
  // The page before the reload: the JWT login shows its pin, which the page stores.
  const before = new jwt.PlexPinClient(options);
  const controller = new AbortController();
  let stored;
  await before.loginJwt(key, {
    signal: controller.signal,
    onPin: (pin) => { stored = JSON.stringify(pin); controller.abort(); },
  }).catch(() => {});
  const pin = JSON.parse(stored);
  // After the reload: wait on it, signed with the same key.
  const waiting = new jwt.PlexPinClient(options).waitForPin(pin, { deviceKey: key });
  await sleep(100);
  await control('approve', { id: pin.id });
  assert.equal((await waiting).split('.').length, 3, 'a Plex JWT');
  const stats = await control('stats', { client: clientId });
  const polls = stats.requests.filter((r) => r.route === 'check_pin');
  assert.ok(polls.at(-1).path.includes('deviceJWT='), polls.at(-1).path);
});

test('a signal aborted before the call sends nothing and leaves nothing unhandled', async () => {
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const plex = client();
    const signal = AbortSignal.abort();
    await assert.rejects(plex.login({ signal }), { name: 'AbortError' });
    await assert.rejects(plex.waitForPin(1, { signal }), { name: 'AbortError' });
    await assert.rejects(plex.user('x', { signal }), { name: 'AbortError' });
    await sleep(300);
    assert.deepEqual(unhandled, []);
    // Nothing was sent: no pin, no poll, no account lookup.
    const stats = await control('stats', { client: plex.clientId });
    assert.deepEqual(stats.requests, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

// A server that is not plex.tv, on a raw socket: what the JS API's own IO (fetch.js, the
// task loop in api.js) must survive without hanging or growing.
test('a hostile server: an endless body is cut at the cap, a stalled one at the timeout, numbers past 2^53 refused or saturated', async () => {
  const { createServer } = await import('node:http');
  const server = createServer((request, response) => {
    if (request.url.includes('endless')) {
      // No content-length, and more than the 64 KiB cap, a chunk at a time.
      response.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      let sent = 0;
      const more = () => {
        while (sent < 4096 && response.write(chunk)) sent += 1;
        if (sent < 4096) response.once('drain', more);
        else response.end();
      };
      more();
    } else if (request.url.includes('numbers')) {
      // The package decodes with JSON.parse: past 2^53 an id cannot be exact (refused),
      // seconds saturate (and are clamped to an hour).
      const id = request.url.includes('big-id') ? '9007199254740993' : '4242';
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(`{"id":${id},"code":"ABCD","expiresIn":18446744073709551615}`);
    } else {
      // Headers, the start of a body, then nothing.
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      response.write('{"id":');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const endless = client({ baseUrl: `${base}/endless` });
    const started = performance.now();
    const tooLarge = await endless.createPin().catch((e) => e);
    assert.equal(tooLarge.code, 'BODY_TOO_LARGE', String(tooLarge));
    assert.ok(performance.now() - started < 5_000);

    const pin = await client({ baseUrl: `${base}/numbers` }).createPin();
    assert.equal(pin.id, 4242);
    const bigId = await client({ baseUrl: `${base}/numbers-big-id` }).createPin().catch((e) => e);
    assert.equal(bigId.code, 'BAD_RESPONSE', String(bigId));
    assert.match(bigId.message, /\bid\b/);

    const stalled = client({ baseUrl: `${base}/stalled`, requestTimeoutMs: 300 });
    const before = performance.now();
    const timedOut = await stalled.checkPin(7).catch((e) => e);
    assert.equal(timedOut.code, 'REQUEST_TIMEOUT', String(timedOut));
    const took = performance.now() - before;
    assert.ok(took >= 250 && took < 2_000, `${took} ms`);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
