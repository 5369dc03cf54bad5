'use strict';
// plex-pin-emulator: run the local plex.tv of the plex-pin project from JavaScript tests.
// CommonJS, so that Jest's CommonJS runtime can require it; ESM imports it by name.

const { spawn } = require('node:child_process');

/** The control API version this helper speaks (`GET /emulator/version`). */
const CONTROL_API = 1;

/** The platforms a binary package is published for: `${process.platform}-${process.arch}`. */
const PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];

/** The environment variable that names another binary (a local build, say). */
const BINARY_VARIABLE = 'PLEX_PIN_EMULATOR_BINARY';

/** The emulator did not start; the message says why (its own words when it said any). */
class StartError extends Error {
  constructor(message) {
    super(message);
    this.name = 'StartError';
  }
}

/** A control route answered with an error, in plex.tv's error shape. */
class ControlError extends Error {
  constructor(route, status, code, message) {
    super(`/emulator/${route}: ${status} ${message}${code ? ` (code ${code})` : ''}`);
    this.name = 'ControlError';
    this.route = route;
    this.status = status;
    this.code = code;
  }
}

/**
 * The path of the binary: `$PLEX_PIN_EMULATOR_BINARY`, else the one in this platform's
 * package (`@plex-pin/emulator-<platform>-<arch>`, an optional dependency of this one).
 */
function binaryPath() {
  if (process.env[BINARY_VARIABLE]) return process.env[BINARY_VARIABLE];
  const platform = `${process.platform}-${process.arch}`;
  if (!PLATFORMS.includes(platform)) {
    throw new StartError(
      `plex-pin-emulator has no binary for ${platform} (it has: ${PLATFORMS.join(', ')}); ` +
        `build one (cargo build -p plex-pin-emulator) and set ${BINARY_VARIABLE}`,
    );
  }
  const name = process.platform === 'win32' ? 'plex-pin-emulator.exe' : 'plex-pin-emulator';
  const pkg = `@plex-pin/emulator-${platform}`;
  try {
    return require.resolve(`${pkg}/bin/${name}`);
  } catch {
    throw new StartError(
      `${pkg}, the package that holds this platform's binary, is not installed: ` +
        `npm installs it with plex-pin-emulator when the registry has it and optional ` +
        `dependencies are not omitted (--omit=optional); install its tarball beside ` +
        `plex-pin-emulator's (a local build: scripts/emulator-packages), or set ${BINARY_VARIABLE}`,
    );
  }
}

// Emulators still running, stopped when this process exits however it exits normally.
const running = new Set();
let exitHookInstalled = false;

/**
 * Starts plex-pin-emulator on 127.0.0.1 and resolves once it answers.
 * @param {import('./index').EmulatorOptions} [options]
 * @returns {Promise<Emulator>}
 */
async function startEmulator(options = {}) {
  const args = ['--port', String(options.port ?? 0), '--exit-when-stdin-closes'];
  if (options.autoApprove != null) args.push('--auto-approve', String(options.autoApprove));
  if (options.pinLifetime != null) args.push('--pin-lifetime', String(options.pinLifetime));
  for (const fault of options.faults ?? []) args.push('--fault', fault);
  if (options.strict) args.push('--strict');
  const binary = options.binary ?? binaryPath();
  const timeout = options.timeout ?? 10_000;
  // stdin is the emulator's lifeline: when this process dies, the pipe closes and the
  // emulator ends by itself.
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
  const url = await firstLine(child, binary, timeout);
  const emulator = new Emulator(child, url, timeout);
  let answer;
  try {
    answer = await emulator.version();
  } catch (error) {
    await emulator.stop();
    throw new StartError(`the emulator at ${url} did not answer: ${error.message}`);
  }
  if (answer.controlApi !== CONTROL_API) {
    await emulator.stop();
    throw new StartError(
      `the emulator speaks control API ${answer.controlApi}, this helper ${CONTROL_API}: ` +
        'install matching versions of the two',
    );
  }
  return emulator;
}

/** The URL the emulator prints first, or a StartError with what it said instead. */
function firstLine(child, binary, timeout) {
  return new Promise((resolve, reject) => {
    let out = '';
    let said = '';
    const done = () => {
      clearTimeout(timer);
      child.stdout.off('data', onOut);
      child.stderr.off('data', onErr);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    const fail = (message) => {
      done();
      child.kill('SIGKILL');
      reject(new StartError(message));
    };
    const onOut = (chunk) => {
      out += chunk;
      const end = out.indexOf('\n');
      if (end < 0) return;
      if (!out.startsWith('http://')) return fail(`the emulator printed ${out.slice(0, end)}, not its URL`);
      done();
      resolve(out.slice(0, end).trim());
    };
    const onErr = (chunk) => {
      if (said.length < 65536) said += chunk;
    };
    const onExit = (code, signal) => fail(said.trim() || `the emulator exited (${signal ?? code}) without a URL`);
    const onError = (error) => fail(`cannot run ${binary}: ${error.message}`);
    const timer = setTimeout(() => fail(`the emulator printed no URL within ${timeout} ms`), timeout);
    child.stdout.on('data', onOut);
    child.stderr.on('data', onErr);
    child.on('exit', onExit);
    child.on('error', onError);
  });
}

/** A running plex-pin-emulator: its `url` and its control routes as methods. */
class Emulator {
  #child;
  #timeout;
  #exited;

  constructor(child, url, timeout) {
    this.#child = child;
    this.#timeout = timeout;
    /** The base URL, `http://127.0.0.1:PORT`: plex.tv's place in the SDK under test. */
    this.url = url;
    this.#exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    this.#exited.then(() => running.delete(this));
    child.on('error', () => {}); // a failed kill of a process that has ended: nothing to do
    // What it may still print is read and dropped, so that a full pipe never blocks it;
    // and it does not keep this process alive: forgotten, it ends with this process.
    child.stdout.resume();
    child.stderr.resume();
    for (const handle of [child, child.stdin, child.stdout, child.stderr]) handle.unref?.();
    running.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => {
        for (const emulator of running) emulator.#child.kill();
      });
    }
  }

  /** The emulator process's id. */
  get pid() {
    return this.#child.pid;
  }

  /** Whether the process is still running. */
  get running() {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Stops the emulator and resolves once it has ended; calling it again does nothing. */
  async stop() {
    if (this.running) {
      this.#child.stdin.destroy();
      this.#child.kill('SIGTERM');
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
      await this.#exited;
      clearTimeout(timer);
    }
    await this.#exited;
  }

  /** Approves a pin (its id, or its code): its next poll carries a token. */
  approve(pin, { link, forwardUrl } = {}) {
    return this.#control('approve', { ...pinFields(pin), link: link || undefined, forwardUrl });
  }

  /** Denies a pin: it is gone, its polls answer 404 (code 1020). */
  deny(pin) {
    return this.#control('deny', pinFields(pin));
  }

  /** Expires a pin now: its polls answer 404 (code 1020). */
  expire(pin) {
    return this.#control('expire', pinFields(pin));
  }

  /** A live pin's state: id, code, product, strong, approved, expiresIn. */
  pin(pin) {
    return this.#control('pin', pinFields(pin));
  }

  /** Per-route counts, live pins, what it holds; with `client`, that client's `requests`. */
  stats(client) {
    return this.#control('stats', { client });
  }

  /** The recent requests sent with this X-Plex-Client-Identifier, oldest first. */
  async requests(client) {
    return (await this.stats(client)).requests;
  }

  /** Injects a fault (a fault name, or a rule object); resolves to the number of rules. */
  async fault(rule) {
    const fields = typeof rule === 'string' ? { fault: rule } : rule;
    return (await this.#control('fault', fields)).faults;
  }

  /** Removes `client`'s fault rules, or every rule; resolves to the number left. */
  async clearFaults(client) {
    return (await this.#control('clear-faults', { client })).faults;
  }

  /** A fresh token, valid at /api/v2/user. */
  async issueToken() {
    return (await this.#control('issue-token', {})).token;
  }

  /** Revokes a token: /api/v2/user then answers 422. */
  async revoke(token) {
    await this.#control('revoke', { token });
  }

  /** `{ controlApi, emulator }`: the control API's and the emulator's versions. */
  version() {
    return this.#control('version', {});
  }

  async #control(route, fields) {
    const response = await fetch(`${this.url}/emulator/${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fields),
      signal: AbortSignal.timeout(this.#timeout),
    });
    const text = await response.text();
    if (response.ok) return JSON.parse(text);
    let error = {};
    try {
      error = JSON.parse(text).errors[0];
    } catch {
      error = { message: text.slice(0, 200) };
    }
    throw new ControlError(route, response.status, error.code ?? null, error.message ?? '');
  }
}

function pinFields(pin) {
  if (typeof pin === 'number' && Number.isInteger(pin)) return { id: pin };
  if (typeof pin === 'string') return { code: pin };
  throw new TypeError(`a pin is its id (an integer) or its code (a string), not ${pin}`);
}

exports.CONTROL_API = CONTROL_API;
exports.PLATFORMS = PLATFORMS;
exports.ControlError = ControlError;
exports.Emulator = Emulator;
exports.StartError = StartError;
exports.binaryPath = binaryPath;
exports.startEmulator = startEmulator;
