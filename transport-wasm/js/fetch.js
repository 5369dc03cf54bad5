// One request on the global `fetch`, as the plex-pin core asks for it: within a timeout,
// never following a redirect, the body capped. Works in a window, a worker and node.
//
// It settles with `[status, headers, body]` (`headers` the values of `READ`, in its order,
// `null` where absent; `body` a Uint8Array), or rejects with a `TransportFailure` whose
// `kind` is the core's `TransportErrorKind` as `Task.fail` numbers it.

export const CONNECT = 0;
export const TIMEOUT = 1;
export const BODY_TOO_LARGE = 2;
export const REDIRECT = 3;
export const OTHER = 4;

/** The response headers the core reads, in the order `Task.respond` takes them (src/wire.rs). */
export const READ = ['content-type', 'retry-after', 'date'];

/** A request that got no usable answer. */
export class TransportFailure extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const tooLarge = (limit) =>
  new TransportFailure(BODY_TOO_LARGE, `the response body is larger than the ${limit}-byte limit`);

/**
 * Sends `[method, url, headers, body, timeoutMs, limit]` (headers as `[name, value, …]`) and
 * reads at most `limit` body bytes, all within `timeoutMs`. `signal` stops it early (its
 * caller, who has then settled already, ignores how it ends).
 */
export async function send([method, url, headers, body, timeoutMs, limit], signal) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const stop = () => controller.abort();
  signal?.addEventListener('abort', stop, { once: true });
  const failed = (context, error) => {
    if (timedOut) return new TransportFailure(TIMEOUT, 'the request timed out');
    // fetch rejects a refused connection, a DNS failure and a CORS refusal alike: this is
    // what a page is allowed to know.
    return new TransportFailure(CONNECT, `could not reach the server (${context}: ${error?.message ?? error}; refused, offline or blocked by CORS)`);
  };
  try {
    const pairs = [];
    for (let i = 0; i < headers.length; i += 2) pairs.push([headers[i], headers[i + 1]]);
    let response;
    try {
      response = await fetch(url, {
        method, headers: pairs, body, redirect: 'manual', signal: controller.signal,
      });
    } catch (error) {
      throw failed('fetch failed', error);
    }
    if (response.type === 'opaqueredirect') {
      throw new TransportFailure(REDIRECT, 'the server answered with a redirect, which is not followed');
    }
    if (Number(response.headers.get('content-length')) > limit) throw tooLarge(limit);
    const chunks = [];
    let size = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw failed('reading the body failed', error);
        }
        if (chunk.done) break;
        size += chunk.value.length;
        if (size > limit) {
          reader.cancel().catch(() => {});
          throw tooLarge(limit);
        }
        chunks.push(chunk.value);
      }
    }
    const all = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    return [response.status, READ.map((name) => response.headers.get(name)), all];
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    controller.abort();
  }
}
