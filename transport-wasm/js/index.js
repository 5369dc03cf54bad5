// plex-pin-wasm: Plex.tv PIN sign-in for browsers, workers and bundlers (node: node.js).
import init, { initSync, PlexPinClient as WasmClient } from './plex_pin_wasm.js';
import { api } from './api.js';

export { init as default, init, initSync };
export { PlexPinError, generateDeviceKey } from './api.js';
export const PlexPinClient = api(WasmClient);
