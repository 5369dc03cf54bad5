// The same package in a module worker.
import init, { PlexPinClient } from 'plex-pin-wasm';
import wasmUrl from 'plex-pin-wasm/plex_pin_wasm_bg.wasm';

const api = new URLSearchParams(location.search).get('api');

await init({ module_or_path: wasmUrl });
const plex = new PlexPinClient({
  product: 'bundled worker', baseUrl: api, authAppUrl: `${api}/auth`, linkPageUrl: `${api}/link`,
  pollIntervalMs: 100,
});
plex.login({ onPin: (pin) => postMessage({ pin }) })
  .then((token) => postMessage({ token }), (e) => postMessage({ error: `${e.name} ${e.code}: ${e.message}` }));
