// What crosses between the JavaScript API (api.js, fetch.js) and the WebAssembly module, in
// one place. The module's side is src/contract.rs, whose tests import this file and hold
// each value there to the one here.
//
// How a call runs: api.js makes a `Task` in the module and calls `task.step()`, which
// answers with what the task needs next:
//   [DONE, value]    it ended with `value` (a failure is thrown instead: an Error with a
//                    `code`, index.d.ts's PlexPinErrorCode, which api.js makes a PlexPinError)
//   [WAIT, ms]       call `step()` again after `ms` milliseconds
//   [SEND, request]  send `request` with fetch.js, give the task the outcome, step again
// A `request` is `[method, url, headers, body, timeoutMs, limit]`: `headers` as
// `[name, value, …]` (each value its bytes, a Uint8Array), `body` a Uint8Array or
// undefined, `timeoutMs` for all of it, `limit` the most body bytes to read. Its outcome is `task.respond(status, headers, body)`
// (`headers` fetch's `Headers`, of which the module reads the few the core needs, by name;
// `body` a Uint8Array) or `task.fail(kind, message)`, `kind` one of FAILURE below.

/** The first item of `task.step()`'s answer. */
export const DONE = 0;
export const WAIT = 1;
export const SEND = 2;

/** Why a request got no answer: fetch.js's `TransportFailure.kind`, as `task.fail` takes it. */
export const FAILURE = Object.freeze({
  CONNECT: 0, // refused, offline, DNS, or blocked by CORS (a page cannot tell them apart)
  TIMEOUT: 1,
  BODY_TOO_LARGE: 2,
  REDIRECT: 3, // a 3xx, which is never followed
  OTHER: 4,
});

/** The FAILURE number of what fetch.js's `send` rejected with (OTHER for an error that is
 *  no TransportFailure). */
export const failureOf = (error) => (typeof error?.kind === 'number' ? error.kind : FAILURE.OTHER);

/**
 * The options of `new PlexPinClient(options)` and the type of each, in the order the
 * module's constructor takes their values: api.js checks the types and passes
 * `OPTIONS.map(([name]) => options[name])`.
 */
export const OPTIONS = Object.freeze([
  ['product', 'string'],
  ['clientId', 'string'],
  ['version', 'string'],
  ['platform', 'string'],
  ['platformVersion', 'string'],
  ['device', 'string'],
  ['deviceName', 'string'],
  ['model', 'string'],
  ['baseUrl', 'string'],
  ['authAppUrl', 'string'],
  ['linkPageUrl', 'string'],
  ['forwardUrl', 'string'],
  ['requestTimeoutMs', 'number'],
  ['pollIntervalMs', 'number'],
  ['loginTimeoutMs', 'number'],
  ['link', 'boolean'],
]);
