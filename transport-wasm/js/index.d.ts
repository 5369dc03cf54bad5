// The types of plex-pin-wasm's JavaScript API: the one declaration of each (jwt.d.ts adds
// the JWT sign-in). Written against ES2022 alone, so that a node-only project (`lib:
// ["es2022"]`, @types/node, no DOM) compiles them as a web app does.

/** What `init` loads the module from: its URL, a fetch `Response` for it, its bytes, or the
 *  compiled module. */
export type InitInput = string | URL | Response | ArrayBuffer | ArrayBufferView | CompiledModule;

/** A compiled `WebAssembly.Module`; `object` where the project's libraries do not declare
 *  `WebAssembly` (node-only ones: @types/node does not). */
export type CompiledModule = typeof globalThis extends { WebAssembly: { Module: abstract new (...args: never[]) => infer M } } ? M : object;

/** Loads the WebAssembly module (browsers and workers; node, Deno, Bun and workerd load it
 *  on import). Without an argument it fetches `plex_pin_wasm_bg.wasm` from beside the JS
 *  file; a bundler that does not copy it wants its URL: `init({ module_or_path: wasmUrl })`. */
export default function init(
  options?: { module_or_path: InitInput | Promise<InitInput> },
): Promise<unknown>;
export { init };
/** Instantiates the module from its bytes or its compiled module, synchronously. */
export function initSync(options: { module: ArrayBuffer | ArrayBufferView | CompiledModule }): unknown;

/** Options of `new PlexPinClient(options)`. Only `product` is required. */
export interface PlexPinOptions {
  /** X-Plex-Product: the app name the user sees in Authorized Devices. */
  product: string;
  /** X-Plex-Client-Identifier. Generate it once (`PlexPinClient.generateClientId()`),
   *  keep it (localStorage) and pass it every time: plex.tv ties pins to it. */
  clientId?: string;
  version?: string;
  platform?: string;
  platformVersion?: string;
  device?: string;
  deviceName?: string;
  model?: string;
  /** API base URL (default https://plex.tv); plain http only for loopback. */
  baseUrl?: string;
  /** Auth App page (default https://app.plex.tv/auth). */
  authAppUrl?: string;
  /** Code-entry page for 4-character codes (default https://plex.tv/link/). */
  linkPageUrl?: string;
  /** Ask for a 4-character plex.tv/link code instead of a strong one. */
  link?: boolean;
  /** Forwarding flow: where the Auth App sends the browser after sign-in. */
  forwardUrl?: string;
  /** Timeout of each request in ms (default 15000). */
  requestTimeoutMs?: number;
  /** Time between polls in ms (default 1000; at least 50, the plex-pin core's floor: a
   *  smaller value throws INVALID_OPTIONS). */
  pollIntervalMs?: number;
  /** Give up the login after this many ms (default: the pin's own lifetime); it bounds the
   *  request in flight too. */
  loginTimeoutMs?: number;
}

/** A pin, as shown to the user. */
export interface PinInfo {
  id: number;
  code: string;
  /** "strong" (Auth App link) or "link" (4 characters for plex.tv/link). */
  kind: 'strong' | 'link';
  /** Where the user approves: the Auth App URL, or the link page. */
  url: string;
  /** plex.tv's QR image URL for the code, when it sent one. */
  qr?: string;
  /** Seconds left when plex.tv answered. */
  expiresIn?: number;
  /** When it expires, in Unix seconds (for `waitForPin` after a reload). */
  expiresAt?: number;
}

/** What a login reports about once per poll. */
export interface LoginProgress {
  /** Seconds until the pin expires or `loginTimeoutMs` ends, whichever is first; absent
   *  while no pin exists and no deadline was set. */
  secondsLeft?: number;
  /** Failures in a row (429, 5xx, network): 1, 2, … while they last, 0 while all is well. */
  failures: number;
}

/** The signed-in account. */
export interface PlexUser {
  id: number;
  uuid?: string;
  username?: string;
  email?: string;
  title?: string;
  thumb?: string;
  displayName?: string;
  subscription?: { active: boolean; status?: string; plan?: string };
}

/** The codes of `PlexPinError`. */
export type PlexPinErrorCode =
  | 'DENIED_OR_EXPIRED' | 'PIN_EXPIRED' | 'TIMED_OUT' | 'RATE_LIMITED' | 'UNAUTHORIZED'
  | 'HTTP_STATUS' | 'BAD_RESPONSE' | 'NETWORK' | 'REQUEST_TIMEOUT' | 'BODY_TOO_LARGE'
  | 'REDIRECT' | 'CANCELLED' | 'INVALID_OPTIONS';

/** Every error of this package (an aborted call rejects with the signal's reason instead,
 *  an `AbortError` `DOMException` by default). Its message names the server that answered. */
export class PlexPinError extends Error {
  constructor(code: PlexPinErrorCode, message: string, details?: { status?: number; retryAfter?: number; cause?: unknown });
  readonly name: 'PlexPinError';
  readonly code: PlexPinErrorCode;
  /** The HTTP status, where the server answered with one. */
  readonly status?: number;
  /** Seconds the server asked to wait (`RATE_LIMITED`, some `HTTP_STATUS`). */
  readonly retryAfter?: number;
}

/** A new device key for the JWT sign-in: 32 random bytes (keep them with the client
 *  identifier). */
export function generateDeviceKey(): Uint8Array;

/** Options of every call: `signal` aborts it. An unknown key or a value of another type
 *  rejects the call with `INVALID_OPTIONS` before anything is sent. */
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

/** Options of `waitForPin`. */
export interface WaitOptions extends CallOptions {
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
  waitForPin(pin: PinInfo | number, options?: WaitOptions): Promise<string>;
  /** Stops every running login of this client: each rejects with `CANCELLED`. */
  cancel(): void;
}
