// One request on the global `fetch`, as the plex-pin core asks for it: within a timeout,
// never following a redirect, the body capped. Works in a window, a worker, node, Deno, Bun
// and workerd. The request and the failures are contract.js's.
//
// It settles with `[status, headers, body]` (`headers` fetch's `Headers`, `body` a
// Uint8Array), or rejects with a `TransportFailure`.

import { FAILURE } from './contract.js';

/** A request that got no answer; `kind` says why (contract.js's `FAILURE`). */
export class TransportFailure extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

// fetch's redirect statuses: what `redirect: 'manual'` does not follow.
const REDIRECTS = [301, 302, 303, 307, 308];

const tooLarge = (host, limit) =>
  new TransportFailure(FAILURE.BODY_TOO_LARGE, `${host} answered with a body larger than the ${limit}-byte limit`);

/**
 * Sends a request (contract.js: `[method, url, headers, body, timeoutMs, limit]`) and reads
 * at most `limit` body bytes, all within `timeoutMs`. `signal` stops it early (its caller,
 * who has then settled already, ignores how it ends).
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
  const host = new URL(url).host;
  const failed = (context, error) => {
    if (timedOut) return new TransportFailure(FAILURE.TIMEOUT, `the request to ${host} timed out`);
    // fetch rejects a refused connection, a DNS failure and a CORS refusal alike: this is
    // what a page is allowed to know. node names the cause apart (ECONNREFUSED).
    const why = error?.cause?.code ?? error?.cause?.message ?? error?.message ?? error;
    return new TransportFailure(FAILURE.CONNECT, `could not reach ${host} (${context}: ${why}; refused, offline or blocked by CORS)`);
  };
  try {
    const pairs = [];
    // A value's bytes as fetch takes them, a ByteString (one char per byte): UTF-8 device
    // names go out as their UTF-8 bytes.
    for (let i = 0; i < headers.length; i += 2) pairs.push([headers[i], String.fromCharCode(...headers[i + 1])]);
    let response;
    try {
      response = await fetch(url, {
        method, headers: pairs, body, redirect: 'manual', signal: controller.signal,
      });
    } catch (error) {
      throw failed('fetch failed', error);
    }
    // Browsers hide a redirect behind an opaque response; node, Deno and Bun hand over the
    // 3xx itself. Either way it is the same answer, and the same failure.
    if (response.type === 'opaqueredirect' || REDIRECTS.includes(response.status)) {
      throw new TransportFailure(FAILURE.REDIRECT, `${host} answered with a redirect, which is not followed`);
    }
    if (Number(response.headers.get('content-length')) > limit) throw tooLarge(host, limit);
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
          throw tooLarge(host, limit);
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
    return [response.status, response.headers, all];
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    controller.abort();
  }
}
