// plex-pin-wasm's JavaScript API, over either build of the module (index.js: the default,
// jwt.js: with the JWT sign-in).
//
// The sign-in itself runs in WebAssembly (the plex-pin core: requests, parsing, polling,
// backoff, deadlines). This is the JavaScript face of it: validated options,
// `PlexPinError`, `AbortSignal` on every call, and callbacks whose exceptions end the login.

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

const invalid = (message) => new PlexPinError('INVALID_OPTIONS', message);

// A UUID v4 from the platform's CSPRNG (`randomUUID` exists in secure contexts only).
function uuid() {
  if (globalThis.crypto.randomUUID) return globalThis.crypto.randomUUID();
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
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
      const near = [...STRING, ...MILLIS, ...BOOLEAN].find((k) => k.toLowerCase() === key.toLowerCase());
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

// The WebAssembly side rejects with plain `Error`s carrying `code`, `status`, `retryAfter`.
function wrap(error) {
  if (error instanceof PlexPinError || typeof error?.code !== 'string') return error;
  return new PlexPinError(error.code, error.message, { status: error.status, retryAfter: error.retryAfter });
}

function aborted(signal) {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

// The WebAssembly side's promise, its errors as `PlexPinError`s.
const typed = (promise) => promise.catch((e) => { throw wrap(e); });

// The promise `begin()` makes, rejected at once when `signal` aborts (`stop` then ends the
// work behind it). Nothing begins under a signal that has aborted already.
function abortable(signal, begin, stop) {
  if (signal?.aborted) return Promise.reject(aborted(signal));
  const promise = begin();
  if (!signal) return promise;
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      stop?.();
      reject(aborted(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
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
        this.#client = new WasmClient(this.#options);
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
      return abortable(signal, () => typed(this.#client.createPin()));
    }

    /** Checks a pin once: the token once approved, `null` before. */
    checkPin(id, { signal } = {}) {
      return abortable(signal, () => typed(this.#client.checkPin(id)));
    }

    /** The account a token belongs to; rejects with `UNAUTHORIZED` for a bad token. */
    user(token, { signal } = {}) {
      return abortable(signal, () => typed(this.#client.user(token)));
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
      return this.#run(signal, (own, guard) => own.login(guard(onPin), guard(options.onProgress)));
    }

    // Runs one login on a WebAssembly client of its own (so that cancelling it stops it
    // alone), with callbacks whose exceptions end it, and `signal`.
    #run(signal, start) {
      if (signal?.aborted) return Promise.reject(aborted(signal));
      const own = new WasmClient(this.#options);
      let thrown;
      const guard = (callback) => callback && ((value) => {
        try {
          callback(value);
        } catch (e) {
          thrown ??= { e };
          own.cancel();
        }
      });
      // Started now, not in a later microtask: a cancel or abort that comes before the
      // Rust side holds this login's cancel handle would miss it.
      let started;
      try {
        started = start(own, guard);
      } catch (e) {
        started = Promise.reject(e);
      }
      const running = started.catch((e) => { throw thrown ? thrown.e : wrap(e); });
      const entry = { cancel: () => own.cancel() };
      this.#logins.add(entry);
      return abortable(signal, () => running, entry.cancel).finally(() => {
        this.#logins.delete(entry);
        // Its Rust side now, not at the next garbage collection (a running future keeps
        // what it needs of it).
        own.free();
      });
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
        return this.#run(signal, (own, guard) =>
          own.waitForPin(id, code, expiresAt, guard(onProgress)));
      }
      // A pin of the JWT sign-in: its polls are signed with the same key.
      if (!WasmClient.prototype.waitForPinJwt) return Promise.reject(noJwt());
      return this.#run(signal, (own, guard) =>
        own.waitForPinJwt(id, code, expiresAt, deviceKeySeed(deviceKey), guard(onProgress)));
    }

    /**
     * The JWT sign-in (import from `plex-pin-wasm/jwt`): like `login`, every poll signed by
     * the device key (its 32-byte seed, as bytes or base64url, kept by the caller with the
     * client identifier); resolves to a Plex JWT (7 days; see `refresh`).
     */
    loginJwt(deviceKey, { signal, onPin, onProgress } = {}) {
      if (!WasmClient.prototype.loginJwt) return Promise.reject(noJwt());
      return this.#run(signal, (own, guard) =>
        own.loginJwt(deviceKeySeed(deviceKey), guard(onPin), guard(onProgress)));
    }

    /** A new Plex JWT for this device (`plex-pin-wasm/jwt`): when less than a day is left,
     *  or after a 498. */
    refresh(deviceKey, { signal } = {}) {
      if (!WasmClient.prototype.refresh) return Promise.reject(noJwt());
      return abortable(signal, () => typed(Promise.resolve().then(() => this.#client.refresh(deviceKeySeed(deviceKey)))));
    }

    /** Stops every running login of this client: each rejects with `CANCELLED`. */
    cancel() {
      for (const login of this.#logins) login.cancel();
    }
  }
}
