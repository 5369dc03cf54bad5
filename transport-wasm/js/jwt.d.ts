// The types of plex-pin-wasm/jwt: the default entry's, and the JWT sign-in.
import { PlexPinClient as Base, type CallOptions, type LoginOptions, type PinInfo, type WaitOptions } from './index.js';

export * from './index.js';
export { default } from './index.js';

/** A device key: its 32-byte seed, as bytes or base64url text. */
export type DeviceKey = Uint8Array | string;

/** `PlexPinClient` with Plex's JWT sign-in. */
export class PlexPinClient extends Base {
  /** The JWT sign-in: like `login`, every poll signed by the device key; resolves to a
   *  Plex JWT (7 days; see `refresh`). Throws `INVALID_OPTIONS` for a key that is not 32 bytes. */
  loginJwt(deviceKey: DeviceKey, options?: LoginOptions): Promise<string>;
  /** `waitForPin` for a pin `loginJwt` created (a page reloaded mid-login): its polls are
   *  signed with `deviceKey` again. */
  waitForPin(pin: PinInfo | number, options?: WaitOptions & { deviceKey?: DeviceKey }): Promise<string>;
  /** A new Plex JWT for this device: when less than a day is left, or after a 498. */
  refresh(deviceKey: DeviceKey, options?: CallOptions): Promise<string>;
}
