// The JWT entry point bundled on its own page: its own, larger module.
import init, { PlexPinClient, generateDeviceKey } from 'plex-pin-wasm/jwt';
import wasmUrl from 'plex-pin-wasm/plex_pin_wasm_jwt_bg.wasm';

await init({ module_or_path: wasmUrl });
window.api = { PlexPinClient, generateDeviceKey, url: new URLSearchParams(location.search).get('api') };
