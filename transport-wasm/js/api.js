// plex-pin-wasm's JavaScript API, over either build of the module (index.js: the default,
// jwt.js: with the JWT sign-in).
//
// The sign-in itself runs in WebAssembly (the plex-pin core: requests, parsing, polling,
// backoff, deadlines). This is the JavaScript face of it: validated options,
// `PlexPinError`, `AbortSignal` on every call, and callbacks whose exceptions end the login;
// and the IO the module asks for (./fetch.js, timers).

import { DONE, failureOf, OPTIONS, WAIT } from './contract.js';
import { send } from './fetch.js';

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

const invalid = (message) => new PlexPinError('INVALID_OPTIONS', message);

// What each call's options may hold, and the type of each: the constructor's are
// contract.js's `OPTIONS` (in the order the module takes them); a method's are these.
const CLIENT = Object.fromEntries(OPTIONS);
const CALL = { signal: 'AbortSignal' };
const LOGIN = { ...CALL, onPin: 'function', onProgress: 'function' };
const WAIT_FOR_PIN = { ...CALL, onProgress: 'function', deviceKey: 'device key' };

const isSignal = (value) => typeof value?.aborted === 'boolean' && typeof value.addEventListener === 'function';
const typeOf = (value) => (value === null ? 'null' : typeof value);

// Checks `options` against `rules` (above), before anything is sent: an unknown key (a
// typo such as `singal`, which would leave a login that cannot be aborted) or a value of
// another type throws INVALID_OPTIONS naming the key. `what` names the call.
function check(options, rules, what) {
  if (options === undefined && rules !== CLIENT) return {};
  if (options === null || typeof options !== 'object') {
    throw invalid(rules === CLIENT ? 'options must be an object, e.g. { product: "My App" }'
      : `${what}'s options must be an object, not ${typeOf(options)}`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const type = rules[key];
    if (!type) {
      // The same letters, in another case or order: `baseURL`, `singal`.
      const letters = (k) => [...k.toLowerCase()].sort().join('');
      const near = Object.keys(rules).find((k) => letters(k) === letters(key));
      throw invalid(`unknown option \`${key}\` of ${what}${near ? ` (did you mean \`${near}\`?)` : ''}`);
    }
    const ok = type === 'AbortSignal' ? isSignal(value)
      : type === 'device key' ? true // seedOf checks it
        : typeof value === type;
    if (!ok) throw invalid(`option \`${key}\` of ${what} must be a ${type}, not ${typeOf(value)}`);
    if (type === 'number' && !(Number.isFinite(value) && value > 0)) {
      throw invalid(`option \`${key}\` must be a positive number of milliseconds, not ${value}`);
    }
  }
  return options;
}

// A UUID v4 from the platform's CSPRNG (`randomUUID` exists in secure contexts only).
function uuid() {
  if (globalThis.crypto.randomUUID) return globalThis.crypto.randomUUID();
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return h.replace(/(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
}

// The module throws plain `Error`s carrying `code`, `status`, `retryAfter`. Its messages
// call the server plex.tv (the core's texts): where `baseUrl` is another, they name that one.
function wrap(error, server) {
  if (error instanceof PlexPinError || typeof error?.code !== 'string') return error;
  const message = server === 'plex.tv' ? error.message : error.message.replaceAll('plex.tv', server);
  return new PlexPinError(error.code, message, { status: error.status, retryAfter: error.retryAfter });
}

function aborted(signal) {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

// Runs a WebAssembly task (one call or login, src/task.rs) to its end: each step in the
// module, then what it asks for (contract.js): a request on fetch, or a wait on a timer.
// `failed()` reports an exception a callback threw, which ends it. `signal` or
// `stop(reason)` ends it at once: its request is aborted, its timer cleared, the task freed.
// Nothing starts under an aborted signal. `server` is named in its errors.
function run(begin, { signal, failed, server }) {
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
        error = wrap(e, server);
      }
      stepping = false;
      if (done) return free();
      // A callback's exception first: the error may only follow from it.
      const thrown = failed?.();
      if (thrown) return end(reject, thrown.e);
      if (error) return end(reject, error);
      const [kind, what] = next;
      if (kind === DONE) return end(resolve, what);
      if (kind === WAIT) {
        timer = setTimeout(() => step(), what);
        return;
      }
      request = new AbortController();
      send(what, request.signal).then(
        ([status, headers, body]) => step(() => task.respond(status, headers, body)),
        (e) => step(() => task.fail(failureOf(e), String(e?.message ?? e))),
      );
    };
    try {
      task = begin();
    } catch (e) {
      return end(reject, wrap(e, server));
    }
    step();
  });
  return { promise, stop };
}

const noJwt = () => invalid('the JWT sign-in is in the `plex-pin-wasm/jwt` entry point');

/**
 * The API over one build of the module (its wasm-bindgen glue's `PlexPinClient`); the JWT
 * build's (jwt.js) passes `seedOf`, which reads a device key (device-key.js), so that the
 * default build's apps do not carry it.
 */
export function api(WasmClient, seedOf) {
  /** Signs a user in to Plex.tv with a PIN. */
  return class PlexPinClient {
    #options;
    #client;
    // The host of `baseUrl`, which the errors name.
    #server;
    #logins = new Set();

    /** Validates the options; throws `PlexPinError` `INVALID_OPTIONS` naming a bad key. */
    constructor(options) {
      check(options, CLIENT, 'new PlexPinClient');
      if (typeof options.product !== 'string' || options.product === '') {
        throw invalid('option `product` (the app name users see) is required');
      }
      this.#options = { ...options, clientId: options.clientId ?? uuid() };
      try {
        this.#client = new WasmClient(OPTIONS.map(([key]) => this.#options[key]));
      } catch (e) {
        throw wrap(e, 'plex.tv');
      }
      // The module has checked it.
      this.#server = new URL(options.baseUrl ?? 'https://plex.tv').host;
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
    createPin(options) {
      return this.#run('createPin', options, CALL, () => this.#client.createPin());
    }

    /** Checks a pin once: the token once approved, `null` before. */
    checkPin(id, options) {
      return this.#run('checkPin', options, CALL, () => this.#client.checkPin(id));
    }

    /** The account a token belongs to; rejects with `UNAUTHORIZED` for a bad token. */
    user(token, options) {
      return this.#run('user', options, CALL, () => this.#client.user(token));
    }

    /**
     * The whole sign-in: resolves to the token. `onPin(pin)` is called once with the code and
     * URL to show, `onProgress(progress)` about once per poll; an exception thrown by either
     * ends the login and rejects it with that exception. `signal` aborts it (an `AbortError`).
     * The older form `login(onPin, onProgress)` is accepted too.
     */
    login(options, onProgress) {
      if (typeof options === 'function') options = { onPin: options, onProgress };
      return this.#run('login', options, LOGIN, ({ onPin, onProgress }, guard) =>
        this.#client.login(guard(onPin), guard(onProgress)), { login: true });
    }

    /**
     * Waits on a pin created earlier, e.g. before a page reload: `pin` is the `PinInfo` that
     * `createPin` or `onPin` gave (stored as JSON), or its `id` alone. The same polling,
     * backoff and deadlines as `login`; resolves to the token. A pin of `loginJwt`
     * (`plex-pin-wasm/jwt`) takes its `deviceKey` again.
     */
    waitForPin(pin, options) {
      const { id, code = '', expiresAt = 0 } = typeof pin === 'number' ? { id: pin } : pin ?? {};
      return this.#run('waitForPin', options, WAIT_FOR_PIN, ({ onProgress, deviceKey }, guard) => {
        if (!Number.isSafeInteger(id) || id < 0) {
          throw invalid('waitForPin takes a PinInfo or a pin id (a non-negative integer)');
        }
        if (deviceKey === undefined) return this.#client.waitForPin(id, code, expiresAt, guard(onProgress));
        // A pin of the JWT sign-in: its polls are signed with the same key.
        if (!WasmClient.prototype.waitForPinJwt) throw noJwt();
        return this.#client.waitForPinJwt(id, code, expiresAt, seedOf(deviceKey), guard(onProgress));
      }, { login: true });
    }

    /**
     * The JWT sign-in (import from `plex-pin-wasm/jwt`): like `login`, every poll signed by
     * the device key (its 32-byte seed, as bytes or base64url, kept by the caller with the
     * client identifier); resolves to a Plex JWT (7 days; see `refresh`).
     */
    loginJwt(deviceKey, options) {
      return this.#run('loginJwt', options, LOGIN, ({ onPin, onProgress }, guard) => {
        if (!WasmClient.prototype.loginJwt) throw noJwt();
        return this.#client.loginJwt(seedOf(deviceKey), guard(onPin), guard(onProgress));
      }, { login: true });
    }

    /** A new Plex JWT for this device (`plex-pin-wasm/jwt`): when less than a day is left,
     *  or after a 498. */
    refresh(deviceKey, options) {
      return this.#run('refresh', options, CALL, () => {
        if (!WasmClient.prototype.refresh) throw noJwt();
        return this.#client.refresh(seedOf(deviceKey));
      });
    }

    /** Stops every running login of this client: each rejects with `CANCELLED`. */
    cancel() {
      for (const login of this.#logins) login.stop(new PlexPinError('CANCELLED', 'the login was cancelled'));
    }

    // One call of the module. Its options are checked against `rules` first: a bad one
    // rejects, as every failure does, before anything is sent. Then `begin(options, guard)`
    // makes the task (and may throw INVALID_OPTIONS too); `guard(callback)` wraps a callback
    // whose exception ends the call. A `login` is one that `cancel()` stops.
    #run(what, options, rules, begin, { login = false } = {}) {
      let thrown;
      const guard = (callback) => callback && ((value) => {
        try {
          callback(value);
        } catch (e) {
          thrown ??= { e };
        }
      });
      let call;
      try {
        const checked = check(options, rules, what);
        call = run(() => begin(checked, guard), {
          signal: checked.signal, failed: () => thrown, server: this.#server,
        });
      } catch (e) {
        return Promise.reject(e);
      }
      if (!login) return call.promise;
      this.#logins.add(call);
      return call.promise.finally(() => this.#logins.delete(call));
    }
  };
}
