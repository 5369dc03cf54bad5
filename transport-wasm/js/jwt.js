// plex-pin-wasm/jwt: the same API, over the module built with Plex's JWT sign-in
// (`loginJwt`, `refresh`). A separate build, so that apps without it download less.
import init, { initSync, PlexPinClient as WasmClient } from './plex_pin_wasm_jwt.js';
import { api } from './api.js';
import { seedOf } from './device-key.js';

export { init as default, init, initSync };
export { PlexPinError } from './api.js';
export { generateDeviceKey } from './device-key.js';
export const PlexPinClient = api(WasmClient, seedOf);
