// plex-pin-wasm/jwt for node (20 and later): ready on import, as node.js.
import { readFileSync } from 'node:fs';
import { initSync } from './plex_pin_wasm_jwt.js';

initSync({ module: readFileSync(new URL('./plex_pin_wasm_jwt_bg.wasm', import.meta.url)) });

export * from './jwt.js';
export { default } from './jwt.js';
