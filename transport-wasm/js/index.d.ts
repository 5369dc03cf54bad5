// The types of plex-pin-wasm's JavaScript API (index.js, and node.js for node).
import type { InitInput, InitOutput, SyncInitInput, PinInfo, PlexPinOptions, PlexUser } from './plex_pin_wasm.js';

export type { InitInput, InitOutput, SyncInitInput, PinInfo, PlexPinOptions, PlexUser };

/** Loads the WebAssembly module (browsers, workers, bundlers; node's entry needs no call).
 *  Without an argument it fetches `plex_pin_wasm_bg.wasm` from beside the JS file; a
 *  bundler that does not copy it wants its URL: `init({ module_or_path: wasmUrl })`. */
export default function init(
  module_or_path?: { module_or_path: InitInput | Promise<InitInput> },
): Promise<InitOutput>;
export { init };
/** Instantiates the module from bytes or a compiled `WebAssembly.Module`, synchronously. */
export function initSync(module: { module: SyncInitInput }): InitOutput;

/** What a login reports about once per poll. */
export interface LoginProgress {
  /** Seconds until the pin expires or `loginTimeoutMs` ends, whichever is first; absent
   *  while no pin exists and no deadline was set. */
  secondsLeft?: number;
  /** Failures in a row (429, 5xx, network); 0 while all is well. */
  failures: number;
}

/** The codes of `PlexPinError`. */
export type PlexPinErrorCode =
  | 'DENIED_OR_EXPIRED' | 'PIN_EXPIRED' | 'TIMED_OUT' | 'RATE_LIMITED' | 'UNAUTHORIZED'
  | 'HTTP_STATUS' | 'BAD_RESPONSE' | 'NETWORK' | 'REQUEST_TIMEOUT' | 'BODY_TOO_LARGE'
  | 'REDIRECT' | 'CANCELLED' | 'INVALID_OPTIONS';

/** Every error of this package (an aborted call rejects with the signal's reason instead,
 *  an `AbortError` `DOMException` by default). */
export class PlexPinError extends Error {
  constructor(code: PlexPinErrorCode, message: string, details?: { status?: number; retryAfter?: number; cause?: unknown });
  readonly name: 'PlexPinError';
  readonly code: PlexPinErrorCode;
  /** The HTTP status, where plex.tv answered with one. */
  readonly status?: number;
  /** Seconds plex.tv asked to wait (`RATE_LIMITED`, some `HTTP_STATUS`). */
  readonly retryAfter?: number;
}

/** A new device key for the JWT sign-in: 32 random bytes (keep them with the client
 *  identifier). */
export function generateDeviceKey(): Uint8Array;

/** Options of every call: `signal` aborts it. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** Options of `login`. */
export interface LoginOptions extends CallOptions {
  /** Called once with the code and the URL to show. An exception ends the login. */
  onPin?: (pin: PinInfo) => void;
  /** Called about once per poll. An exception ends the login. */
  onProgress?: (progress: LoginProgress) => void;
}

/** Signs a user in to Plex.tv with a PIN. */
export class PlexPinClient {
  /** Throws `PlexPinError` `INVALID_OPTIONS` naming a missing, unknown or mistyped key. */
  constructor(options: PlexPinOptions);
  /** A new random client identifier (UUID v4). Store it and reuse it. */
  static generateClientId(): string;
  /** The client identifier in use. */
  readonly clientId: string;
  /** The Auth App URL for a strong code (with `forwardUrl`, if set). */
  authUrl(code: string): string;
  /** Creates a pin without waiting for it (the forwarding flow: store `id`, send the user to
   *  `url`, `checkPin(id)` when they come back). */
  createPin(options?: CallOptions): Promise<PinInfo>;
  /** Checks a pin once: the token once approved, `null` before. */
  checkPin(id: number, options?: CallOptions): Promise<string | null>;
  /** The account a token belongs to; rejects with `UNAUTHORIZED` for a bad token. */
  user(token: string, options?: CallOptions): Promise<PlexUser>;
  /** The whole sign-in: resolves to the token. */
  login(options?: LoginOptions): Promise<string>;
  /** @deprecated Use `login({ onPin, onProgress })`. */
  login(onPin?: (pin: PinInfo) => void, onProgress?: (progress: LoginProgress) => void): Promise<string>;
  /** Waits on a pin created earlier (a page reloaded mid-login): the `PinInfo` that
   *  `createPin` or `onPin` gave (stored as JSON), or its id alone. Resolves to the token. */
  waitForPin(pin: PinInfo | number, options?: CallOptions & { onProgress?: (progress: LoginProgress) => void }): Promise<string>;
  /** Stops every running login of this client: each rejects with `CANCELLED`. */
  cancel(): void;
}
