// A bundled app (esbuild) that uses the installed package, in the page and in a module
// worker. esbuild leaves `new URL('plex_pin_wasm_bg.wasm', import.meta.url)` as it is, so
// the app imports the .wasm's URL (`--loader:.wasm=file` copies it) and hands it to init.
import init, { PlexPinClient, PlexPinError } from 'plex-pin-wasm';
import wasmUrl from 'plex-pin-wasm/plex_pin_wasm_bg.wasm';

const api = new URLSearchParams(location.search).get('api');

await init({ module_or_path: wasmUrl });
// For the test's own scenarios, run in this page with page.evaluate.
window.api = { PlexPinClient, PlexPinError, url: api };
const plex = new PlexPinClient({
  product: 'bundled app', baseUrl: api, authAppUrl: `${api}/auth`, linkPageUrl: `${api}/link`,
  pollIntervalMs: 100,
});
window.page = plex.login({ onPin: (pin) => { window.pagePin = pin; } })
  .then((token) => ({ token }), (e) => ({ error: `${e.name} ${e.code}: ${e.message}` }));

const worker = new Worker(`./worker.js?api=${encodeURIComponent(api)}`, { type: 'module' });
window.worker = new Promise((resolve) => {
  worker.onmessage = ({ data }) => {
    if (data.pin) window.workerPin = data.pin;
    else resolve(data);
  };
});
