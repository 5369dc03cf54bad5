// plex-pin-wasm/jwt for Cloudflare Workers (workerd): ready on import, as workerd.js.
import module from './plex_pin_wasm_jwt_bg.wasm';
import { initSync } from './plex_pin_wasm_jwt.js';

initSync({ module });

export * from './jwt.js';
export { default } from './jwt.js';
