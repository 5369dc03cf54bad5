// plex-pin-wasm/jwt for node and Bun: ready on import (or `require`), as node.js.
import { readFileSync } from 'node:fs';
import { initSync } from './plex_pin_wasm_jwt.js';

initSync({ module: readFileSync(new URL('./plex_pin_wasm_jwt_bg.wasm', import.meta.url)) });

export * from './jwt.js';
export { default } from './jwt.js';
