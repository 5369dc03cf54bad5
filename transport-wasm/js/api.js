// plex-pin-wasm's JavaScript API, over either build of the module (index.js: the default,
// jwt.js: with the JWT sign-in).
//
// The sign-in itself runs in WebAssembly (the plex-pin core: requests, parsing, polling,
// backoff, deadlines). This is the JavaScript face of it: validated options,
// `PlexPinError`, `AbortSignal` on every call, and callbacks whose exceptions end the login;
// and the IO the module asks for (./fetch.js, timers).

import { OTHER, send } from './fetch.js';

/** Every error of this package: `code` says what happened (see the README's table). */
export class PlexPinError extends Error {
  constructor(code, message, { status, retryAfter, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'PlexPinError';
    this.code = code;
    if (status !== undefined) this.status = status;
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
  }
}

// The options and what each must be.
const STRING = ['product', 'clientId', 'version', 'platform', 'platformVersion', 'device',
  'deviceName', 'model', 'baseUrl', 'authAppUrl', 'linkPageUrl', 'forwardUrl'];
const MILLIS = ['requestTimeoutMs', 'pollIntervalMs', 'loginTimeoutMs'];
const BOOLEAN = ['link'];
// Every option, in the order the module's constructor takes their values (src/js.rs).
const OPTIONS = [...STRING, ...MILLIS, ...BOOLEAN];

const invalid = (message) => new PlexPinError('INVALID_OPTIONS', message);

// A UUID v4 from the platform's CSPRNG (`randomUUID` exists in secure contexts only).
function uuid() {
  if (globalThis.crypto.randomUUID) return globalThis.crypto.randomUUID();
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return h.replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}

function checkOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw invalid('options must be an object, e.g. { product: "My App" }');
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const known = STRING.includes(key) ? 'string' : MILLIS.includes(key) ? 'number'
      : BOOLEAN.includes(key) ? 'boolean' : null;
    if (!known) {
      const near = OPTIONS.find((k) => k.toLowerCase() === key.toLowerCase());
      throw invalid(`unknown option \`${key}\`${near ? ` (did you mean \`${near}\`?)` : ''}`);
    }
    if (typeof value !== known) {
      throw invalid(`option \`${key}\` must be a ${known}, not ${value === null ? 'null' : typeof value}`);
    }
    if (known === 'number' && !(Number.isFinite(value) && value > 0)) {
      throw invalid(`option \`${key}\` must be a positive number of milliseconds, not ${value}`);
    }
  }
  if (typeof options.product !== 'string' || options.product === '') {
    throw invalid('option `product` (the app name users see) is required');
  }
}

// The WebAssembly side throws plain `Error`s carrying `code`, `status`, `retryAfter`.
function wrap(error) {
  if (error instanceof PlexPinError || typeof error?.code !== 'string') return error;
  return new PlexPinError(error.code, error.message, { status: error.status, retryAfter: error.retryAfter });
}

function aborted(signal) {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

// Runs a WebAssembly task (one call or login, src/task.rs) to its end: each request on
// fetch, each wait on a timer, each step in the module. `failed()` reports an exception a
// callback threw, which ends it. `signal` or `stop(reason)` ends it at once: its request is
// aborted, its timer cleared, the task freed. Nothing starts under an aborted signal.
function run(begin, { signal, failed } = {}) {
  if (signal?.aborted) return { promise: Promise.reject(aborted(signal)), stop() {} };
  let stop;
  const promise = new Promise((resolve, reject) => {
    let task;
    let done = false;
    // A callback run inside `task.step()` may end the task (an abort in `onPin`): it is
    // freed once the step has returned, not under it.
    let stepping = false;
    let timer;
    let request;
    // After a trap in the module (a bug), dropping the task may trap too: the caller is told
    // all the same.
    const free = () => {
      try {
        task?.free();
      } catch {}
    };
    const end = (settle, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      request?.abort();
      signal?.removeEventListener('abort', onAbort);
      if (!stepping) free();
      settle(value);
    };
    const onAbort = () => end(reject, aborted(signal));
    stop = (reason) => end(reject, reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    // One step, after `answer` (the last request's outcome) is given to the task.
    const step = (answer) => {
      if (done) return;
      let next;
      let error;
      stepping = true;
      try {
        answer?.();
        next = task.step();
      } catch (e) {
        error = wrap(e);
      }
      stepping = false;
      if (done) return free();
      // A callback's exception first: the error may only follow from it.
      const thrown = failed?.();
      if (thrown) return end(reject, thrown.e);
      if (error) return end(reject, error);
      if (next[0] === 0) return end(resolve, next[1]);
      if (next[0] === 1) {
        timer = setTimeout(() => step(), next[1]);
        return;
      }
      // Otherwise a request: `[method, url, …]`.
      request = new AbortController();
      send(next, request.signal).then(
        ([status, headers, body]) => step(() => task.respond(status, headers, body)),
        (e) => step(() => task.fail(e.kind ?? OTHER, String(e.message ?? e))),
      );
    };
    try {
      task = begin();
    } catch (e) {
      return end(reject, wrap(e));
    }
    step();
  });
  return { promise, stop };
}

const noJwt = () => invalid('the JWT sign-in is in the `plex-pin-wasm/jwt` entry point');

/** A new device key: 32 random bytes (keep them, like the client identifier). */
export function generateDeviceKey() {
  return globalThis.crypto.getRandomValues(new Uint8Array(32));
}

// A device key's seed as bytes: given as bytes, or as base64url text.
function deviceKeySeed(key) {
  let bytes = key;
  if (typeof key === 'string') {
    const base64 = key.replace(/-/g, '+').replace(/_/g, '/');
    try {
      bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    } catch {
      throw invalid('the device key is not base64url');
    }
  }
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
    throw invalid('the device key is 32 bytes (a Uint8Array, or base64url text)');
  }
  return bytes;
}

/** The API over one build of the module (its wasm-bindgen glue's `PlexPinClient`). */
export function api(WasmClient) {
  /** Signs a user in to Plex.tv with a PIN. */
  return class PlexPinClient {
    #options;
    #client;
    #logins = new Set();

    /** Validates the options; throws `PlexPinError` `INVALID_OPTIONS` naming a bad key. */
    constructor(options) {
      checkOptions(options);
      this.#options = { ...options, clientId: options.clientId ?? uuid() };
      try {
        this.#client = new WasmClient(OPTIONS.map((key) => this.#options[key]));
      } catch (e) {
        throw wrap(e);
      }
    }

    /** A new random client identifier (UUID v4). Store it and reuse it. */
    static generateClientId() {
      return uuid();
    }

    /** The client identifier in use. */
    get clientId() {
      return this.#options.clientId;
    }

    /** The Auth App URL for a strong code (with `forwardUrl`, if set). */
    authUrl(code) {
      return this.#client.authUrl(code);
    }

    /** Creates a pin without waiting for it (the forwarding flow). */
    createPin({ signal } = {}) {
      return run(() => this.#client.createPin(), { signal }).promise;
    }

    /** Checks a pin once: the token once approved, `null` before. */
    checkPin(id, { signal } = {}) {
      return run(() => this.#client.checkPin(id), { signal }).promise;
    }

    /** The account a token belongs to; rejects with `UNAUTHORIZED` for a bad token. */
    user(token, { signal } = {}) {
      return run(() => this.#client.user(token), { signal }).promise;
    }

    /**
     * The whole sign-in: resolves to the token. `onPin(pin)` is called once with the code and
     * URL to show, `onProgress(progress)` about once per poll; an exception thrown by either
     * ends the login and rejects it with that exception. `signal` aborts it (an `AbortError`).
     * The older form `login(onPin, onProgress)` is accepted too.
     */
    login(options = {}, onProgress) {
      if (typeof options === 'function') options = { onPin: options, onProgress };
      const { signal, onPin } = options;
      return this.#login(signal, (guard) => this.#client.login(guard(onPin), guard(options.onProgress)));
    }

    // Runs one login, with callbacks whose exceptions end it, `signal`, and `cancel()`.
    #login(signal, begin) {
      let thrown;
      const guard = (callback) => callback && ((value) => {
        try {
          callback(value);
        } catch (e) {
          thrown ??= { e };
        }
      });
      const login = run(() => begin(guard), { signal, failed: () => thrown });
      this.#logins.add(login);
      return login.promise.finally(() => this.#logins.delete(login));
    }

    /**
     * Waits on a pin created earlier, e.g. before a page reload: `pin` is the `PinInfo` that
     * `createPin` or `onPin` gave (stored as JSON), or its `id` alone. The same polling,
     * backoff and deadlines as `login`; resolves to the token. A pin of `loginJwt`
     * (`plex-pin-wasm/jwt`) takes its `deviceKey` again.
     */
    waitForPin(pin, { signal, onProgress, deviceKey } = {}) {
      const { id, code = '', expiresAt = 0 } = typeof pin === 'number' ? { id: pin } : pin ?? {};
      if (!Number.isSafeInteger(id) || id < 0) {
        return Promise.reject(invalid('waitForPin takes a PinInfo or a pin id (a non-negative integer)'));
      }
      if (deviceKey === undefined) {
        return this.#login(signal, (guard) =>
          this.#client.waitForPin(id, code, expiresAt, guard(onProgress)));
      }
      // A pin of the JWT sign-in: its polls are signed with the same key.
      if (!WasmClient.prototype.waitForPinJwt) return Promise.reject(noJwt());
      return this.#login(signal, (guard) =>
        this.#client.waitForPinJwt(id, code, expiresAt, deviceKeySeed(deviceKey), guard(onProgress)));
    }

    /**
     * The JWT sign-in (import from `plex-pin-wasm/jwt`): like `login`, every poll signed by
     * the device key (its 32-byte seed, as bytes or base64url, kept by the caller with the
     * client identifier); resolves to a Plex JWT (7 days; see `refresh`).
     */
    loginJwt(deviceKey, { signal, onPin, onProgress } = {}) {
      if (!WasmClient.prototype.loginJwt) return Promise.reject(noJwt());
      return this.#login(signal, (guard) =>
        this.#client.loginJwt(deviceKeySeed(deviceKey), guard(onPin), guard(onProgress)));
    }

    /** A new Plex JWT for this device (`plex-pin-wasm/jwt`): when less than a day is left,
     *  or after a 498. */
    refresh(deviceKey, { signal } = {}) {
      if (!WasmClient.prototype.refresh) return Promise.reject(noJwt());
      return run(() => this.#client.refresh(deviceKeySeed(deviceKey)), { signal }).promise;
    }

    /** Stops every running login of this client: each rejects with `CANCELLED`. */
    cancel() {
      for (const login of this.#logins) login.stop(new PlexPinError('CANCELLED', 'the login was cancelled'));
    }
  }
}
