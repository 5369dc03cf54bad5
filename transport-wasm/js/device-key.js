// The device key of Plex's JWT sign-in (plex-pin-wasm/jwt): its 32-byte seed, which the app
// keeps with the client identifier. Only jwt.js reads keys, so that other apps carry none of
// this.

import { PlexPinError } from './api.js';

const invalid = (message) => new PlexPinError('INVALID_OPTIONS', message);

/** A new device key: 32 random bytes (keep them, like the client identifier). */
export function generateDeviceKey() {
  return globalThis.crypto.getRandomValues(new Uint8Array(32));
}

/** A device key's seed as bytes: given as bytes, or as base64url text. */
export function seedOf(key) {
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
