// plex-pin-wasm for Deno: the .wasm is imported as a compiled module (`import source`), part
// of the module graph as the JS files are, so no --allow-read is needed and a plain `import`
// is ready to use (no `init()`).
import source module from './plex_pin_wasm_bg.wasm';
import { initSync } from './plex_pin_wasm.js';

initSync({ module });

export * from './index.js';
export { default } from './index.js';
