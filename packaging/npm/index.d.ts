// plex-pin-emulator: run the local plex.tv of the plex-pin project from JavaScript tests.
// Every method is one route of the emulator's control API (its README, "Control API").

/** The control API version this helper speaks (`GET /emulator/version`). */
export declare const CONTROL_API: 1;

/** The platforms a binary package is published for: `${process.platform}-${process.arch}`. */
export declare const PLATFORMS: readonly string[];

/** A pin, by its id (a number) or its code (a string, any case). */
export type Pin = number | string;

/** How to start the emulator: its command-line flags. */
export interface EmulatorOptions {
  /** Approve every pin this many seconds after its creation. */
  autoApprove?: number;
  /** How long every pin lives, in seconds (both kinds). */
  pinLifetime?: number;
  /** Faults on every API request, as `--fault` takes them: `"500"`, `"429:5*2"`, … */
  faults?: string[];
  /** Refuse what plex.tv may refuse instead of serving it with a warning. */
  strict?: boolean;
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number;
  /** The binary to run instead of this platform package's (or `$PLEX_PIN_EMULATOR_BINARY`). */
  binary?: string;
  /** Milliseconds to wait for the start and for each control call (default 10,000). */
  timeout?: number;
}

/** A fault rule for `Emulator.fault`. */
export interface FaultRule {
  /** `429`, `429:SECS`, `500`, `502`, `malformed`, `oversized`, `slow:MS`, `drop`, `xml`, `redirect`. */
  fault: string;
  /** `create`, `check`, `user`, `nonce`, `jwk`, `token`, `keys`, `link` or `any` (the default). */
  route?: string;
  /** Only polls of this pin id. */
  pin?: number;
  /** Only requests with this X-Plex-Client-Identifier. */
  client?: string;
  /** Fire this many times, then the rule is gone (default: every time). */
  times?: number;
}

/** A live pin as the `pin` route reports it. */
export interface PinState {
  id: number;
  code: string;
  product: string;
  strong: boolean;
  approved: boolean;
  expiresIn: number;
}

/** One request the emulator received, as `requests` reports it (tokens shown as `***`). */
export interface RecordedRequest {
  method: string;
  path: string;
  route: string;
  atMs: number;
  headers: Record<string, string>;
}

/** What the `stats` route answers. */
export interface Stats {
  controlApi: number;
  emulator: string;
  perRoute: Record<string, number>;
  livePins: number;
  stored: Record<string, unknown>;
  /** With a `client`: that client identifier's recent requests, oldest first. */
  requests?: RecordedRequest[];
}

/** `GET /emulator/version`. */
export interface Version {
  controlApi: number;
  emulator: string;
}

/** A running plex-pin-emulator. */
export declare class Emulator {
  private constructor();
  /** The base URL, `http://127.0.0.1:PORT`: plex.tv's place in the SDK under test. */
  readonly url: string;
  /** The emulator process's id. */
  readonly pid: number;
  /** Whether the process is still running. */
  readonly running: boolean;
  /** Approves a pin as its user would; `link` as plex.tv/link does (4-character codes only). */
  approve(
    pin: Pin,
    options?: { link?: boolean; forwardUrl?: string },
  ): Promise<{ id: number; approved: true; forwardUrl?: string }>;
  /** Denies a pin: it is gone, its polls answer 404 (code 1020). */
  deny(pin: Pin): Promise<{ id: number; denied: true }>;
  /** Expires a pin now: its polls answer 404 (code 1020). */
  expire(pin: Pin): Promise<{ id: number; expired: true }>;
  /** A live pin's state. */
  pin(pin: Pin): Promise<PinState>;
  /** Per-route counts, live pins, what it holds; with `client`, that client's requests. */
  stats(client?: string): Promise<Stats>;
  /** The recent requests sent with this X-Plex-Client-Identifier, oldest first. */
  requests(client: string): Promise<RecordedRequest[]>;
  /** Injects a fault; resolves to the number of rules. */
  fault(rule: string | FaultRule): Promise<number>;
  /** Removes `client`'s fault rules, or every rule; resolves to the number left. */
  clearFaults(client?: string): Promise<number>;
  /** A fresh token, valid at /api/v2/user. */
  issueToken(): Promise<string>;
  /** Revokes a token: /api/v2/user then answers 422. */
  revoke(token: string): Promise<void>;
  /** The control API's and the emulator's versions. */
  version(): Promise<Version>;
  /** Stops the emulator; resolves once it has ended. Calling it again does nothing. */
  stop(): Promise<void>;
}

/**
 * Starts plex-pin-emulator on 127.0.0.1 and resolves once it answers. Stop it with
 * `stop()`; it also ends when this process exits, however it exits.
 */
export declare function startEmulator(options?: EmulatorOptions): Promise<Emulator>;

/** The path of the binary this helper runs. */
export declare function binaryPath(): string;

/** The emulator did not start; the message says why. */
export declare class StartError extends Error {}

/** A control route answered with an error (plex.tv's error shape). */
export declare class ControlError extends Error {
  /** The route, as in `/emulator/{route}`. */
  readonly route: string;
  /** The HTTP status. */
  readonly status: number;
  /** plex.tv's error code (1020: no such pin), when the answer had one. */
  readonly code: number | null;
}
