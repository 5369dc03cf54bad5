// plex-pin-wasm for node (20 and later): the module is read from beside this file and
// instantiated synchronously, so a plain `import` is ready to use (no `init()`).
import { readFileSync } from 'node:fs';
import { initSync } from './plex_pin_wasm.js';

initSync({ module: readFileSync(new URL('./plex_pin_wasm_bg.wasm', import.meta.url)) });

export * from './index.js';
export { default } from './index.js';
