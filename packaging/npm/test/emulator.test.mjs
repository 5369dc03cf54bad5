// The plex-pin-emulator npm package, as installed from its tarballs: starting and stopping
// the binary (however the test or the process ends), the control routes, the command.
// Run from a project that installed the package (scripts/emulator-packages).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

import { CONTROL_API, ControlError, StartError, binaryPath, startEmulator } from 'plex-pin-emulator';

const here = dirname(fileURLToPath(import.meta.url));
const { version } = createRequire(import.meta.url)('plex-pin-emulator/package.json');
const CLIENT = 'helper-test';

async function call(url, method, path, { client = CLIENT, token, product = 'helper test' } = {}) {
  const headers = { accept: 'application/json', 'x-plex-client-identifier': client };
  if (product) headers['x-plex-product'] = product;
  if (token) headers['x-plex-token'] = token;
  const response = await fetch(url + path, { method, headers });
  const json = response.headers.get('content-type')?.startsWith('application/json');
  return { status: response.status, body: json ? await response.json() : await response.text() };
}

async function createPin(url, client = CLIENT) {
  const { status, body } = await call(url, 'POST', '/api/v2/pins', { client });
  assert.equal(status, 201);
  return body;
}

/** Whether process `pid` is gone (or a zombie) within `within` ms (Linux: /proc). */
async function ended(pid, within = 5000) {
  const deadline = Date.now() + within;
  while (Date.now() < deadline) {
    if (!existsSync(`/proc/${pid}/stat`)) return true;
    try {
      if (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].startsWith('Z')) return true;
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** Runs `code` in another node that prints its emulator's pid; resolves to [child, pid]. */
function runNode(code) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (out.includes('\n')) resolve([child, Number(out.trim())]);
    });
    child.on('exit', (code) => reject(new Error(`the child node exited (${code}) before printing a pid`)));
  });
}

function exited(child, within) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(true);
    const timer = setTimeout(() => resolve(false), within);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

const linuxOnly = { skip: !existsSync('/proc/self/stat') && 'reads /proc' };

test('approve, and read a pin', async () => {
  const emulator = await startEmulator();
  try {
    const pin = await createPin(emulator.url);
    assert.equal((await emulator.pin(pin.id)).approved, false);
    assert.deepEqual(await emulator.approve(pin.code.toLowerCase(), { link: true }), { id: pin.id, approved: true });
    const polled = await call(emulator.url, 'GET', `/api/v2/pins/${pin.id}`);
    assert.equal(typeof polled.body.authToken, 'string');
    assert.equal((await call(emulator.url, 'GET', '/api/v2/user', { token: polled.body.authToken })).status, 200);
  } finally {
    await emulator.stop();
  }
});

test('deny and expire', async () => {
  const emulator = await startEmulator();
  try {
    for (const action of ['deny', 'expire']) {
      const pin = await createPin(emulator.url);
      await emulator[action](pin.id);
      assert.equal((await call(emulator.url, 'GET', `/api/v2/pins/${pin.id}`)).status, 404, action);
    }
  } finally {
    await emulator.stop();
  }
});

test("faults, and a client's requests", async () => {
  const emulator = await startEmulator();
  try {
    const { url } = emulator;
    assert.equal(await emulator.fault({ fault: '500', route: 'check', client: 'faulty', times: 1 }), 1);
    const pin = await createPin(url, 'faulty');
    assert.equal((await call(url, 'GET', `/api/v2/pins/${pin.id}`, { client: 'faulty' })).status, 500);
    assert.equal((await call(url, 'GET', `/api/v2/pins/${pin.id}`, { client: 'faulty' })).status, 200);
    const routes = (await emulator.requests('faulty')).map((request) => request.route);
    assert.deepEqual(routes, ['create_pin', 'check_pin', 'check_pin']);
    assert.deepEqual(await emulator.requests('nobody'), []);
    await emulator.fault({ fault: '502', client: 'faulty' });
    assert.equal(await emulator.fault('drop'), 2);
    assert.equal(await emulator.clearFaults('faulty'), 1);
    assert.equal(await emulator.clearFaults(), 0);
    assert.equal((await emulator.stats()).perRoute.check_pin, 2);
  } finally {
    await emulator.stop();
  }
});

test('issue and revoke a token; the version is the package\'s', async () => {
  const emulator = await startEmulator();
  try {
    const token = await emulator.issueToken();
    assert.equal((await call(emulator.url, 'GET', '/api/v2/user', { token })).status, 200);
    await emulator.revoke(token);
    assert.equal((await call(emulator.url, 'GET', '/api/v2/user', { token })).status, 422);
    assert.deepEqual(await emulator.version(), { controlApi: CONTROL_API, emulator: version });
  } finally {
    await emulator.stop();
  }
});

test('errors are typed', async () => {
  const emulator = await startEmulator();
  try {
    await assert.rejects(emulator.deny(999_999), (error) => {
      assert.ok(error instanceof ControlError);
      assert.deepEqual([error.status, error.code, error.route], [404, 1020, 'deny']);
      assert.match(error.message, /Code not found or expired/);
      return true;
    });
    await assert.rejects(emulator.fault('no-such-fault'), (error) => error instanceof ControlError && error.status === 400);
    await assert.rejects(async () => emulator.approve(null), TypeError);
  } finally {
    await emulator.stop();
  }
});

test('options are the binary\'s flags', async () => {
  const emulator = await startEmulator({ pinLifetime: 3, strict: true });
  try {
    assert.equal((await createPin(emulator.url)).expiresIn, 3);
    // Strict: no X-Plex-Product is refused.
    assert.equal((await call(emulator.url, 'POST', '/api/v2/pins', { product: null })).status, 400);
  } finally {
    await emulator.stop();
  }
});

test("a bad option is a StartError in the emulator's words", async () => {
  await assert.rejects(startEmulator({ pinLifetime: 0 }), (error) => error instanceof StartError && /--pin-lifetime 0/.test(error.message));
  await assert.rejects(startEmulator({ binary: join(here, 'no-such-binary') }), (error) => error instanceof StartError && /cannot run/.test(error.message));
});

test('stop ends the process; again, it does nothing', linuxOnly, async () => {
  const emulator = await startEmulator();
  await emulator.stop();
  assert.equal(emulator.running, false);
  assert.ok(await ended(emulator.pid));
  await assert.rejects(fetch(`${emulator.url}/emulator/version`));
  await emulator.stop();
});

test('a forgotten emulator neither keeps node alive nor outlives it', linuxOnly, async () => {
  const [child, pid] = await runNode(
    "import { startEmulator } from 'plex-pin-emulator'; console.log((await startEmulator()).pid);",
  );
  try {
    assert.ok(await exited(child, 10_000), 'node exits with an emulator it did not stop');
    assert.ok(await ended(pid));
  } finally {
    child.kill('SIGKILL');
  }
});

test('the emulator ends when the node that started it is killed', linuxOnly, async () => {
  const [child, pid] = await runNode(
    "import { startEmulator } from 'plex-pin-emulator'; console.log((await startEmulator()).pid); setInterval(() => {}, 1000);",
  );
  try {
    assert.equal(await ended(pid, 300), false, 'running while its parent runs');
  } finally {
    child.kill('SIGKILL'); // no exit hook runs: only the stdin lifeline
  }
  assert.ok(await ended(pid), 'the emulator outlived the node that started it');
});

test("the binary is this platform's package's, and the command runs it", () => {
  if (process.env.PLEX_PIN_EMULATOR_BINARY) return;
  assert.ok(binaryPath().includes(join('@plex-pin', `emulator-${process.platform}-${process.arch}`, 'bin')), binaryPath());
  const command = join(here, 'node_modules', '.bin', 'plex-pin-emulator');
  assert.equal(execFileSync(command, ['--version'], { encoding: 'utf8' }).trim(), `plex-pin-emulator ${version}`);
});
