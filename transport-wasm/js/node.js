// plex-pin-wasm for node (20.19+ or 22.12+, the versions that can also `require` an ES
// module) and Bun: the module is read from beside this file and instantiated synchronously,
// so a plain `import` or `require` is ready to use (no `init()`).
import { readFileSync } from 'node:fs';
import { initSync } from './plex_pin_wasm.js';

initSync({ module: readFileSync(new URL('./plex_pin_wasm_bg.wasm', import.meta.url)) });

export * from './index.js';
export { default } from './index.js';
