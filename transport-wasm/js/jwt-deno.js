// plex-pin-wasm/jwt for Deno: ready on import, as deno.js.
import source module from './plex_pin_wasm_jwt_bg.wasm';
import { initSync } from './plex_pin_wasm_jwt.js';

initSync({ module });

export * from './jwt.js';
export { default } from './jwt.js';
