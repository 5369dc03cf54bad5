// plex-pin-wasm for Cloudflare Workers (workerd): the .wasm is imported as a compiled module,
// as workerd and its bundlers (wrangler, which resolves this `workerd` condition) load a
// `.wasm` import, so a plain `import` is ready to use (no `init()`, whose fetch of the file
// a worker cannot make).
import module from './plex_pin_wasm_bg.wasm';
import { initSync } from './plex_pin_wasm.js';

initSync({ module });

export * from './index.js';
export { default } from './index.js';
