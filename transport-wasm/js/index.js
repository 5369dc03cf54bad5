// plex-pin-wasm: Plex.tv PIN sign-in for browsers, workers and bundlers (node, Deno and
// workerd: node.js, deno.js, workerd.js, which load the module on import).
import init, { initSync, PlexPinClient as WasmClient } from './plex_pin_wasm.js';
import { api } from './api.js';

export { init as default, init, initSync };
export { PlexPinError } from './api.js';
export { generateDeviceKey } from './device-key.js';
export const PlexPinClient = api(WasmClient);
