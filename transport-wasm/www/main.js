// The example page: create a pin, show code, link and QR code, wait, greet the user.
import init, { PlexPinClient } from './pkg/plex_pin_wasm.js';

const $ = (id) => document.getElementById(id);
const api = new URLSearchParams(location.search).get('api');

// plex.tv ties pins and devices to the client identifier: make it once, keep it.
let clientId = localStorage.getItem('plex-pin-client-id');

await init();
if (!clientId) {
  clientId = PlexPinClient.generateClientId();
  localStorage.setItem('plex-pin-client-id', clientId);
}

function client(link) {
  const options = { product: 'plex-pin web example', clientId, deviceName: 'Browser', link };
  if (api) Object.assign(options, { baseUrl: api, authAppUrl: `${api}/auth`, linkPageUrl: `${api}/link` });
  return new PlexPinClient(options);
}

let running = null;
$('cancel').onclick = () => running?.cancel();
$('signin').onclick = async () => {
  $('error').textContent = '';
  $('user').textContent = '';
  $('signin').disabled = true;
  running = client($('link-mode').checked);
  try {
    const token = await running.login(
      (pin) => {
        $('code').textContent = pin.code;
        $('auth-link').href = pin.url;
        $('auth-link').textContent = pin.kind === 'link' ? `Enter the code at ${pin.url}` : 'Open the Plex sign-in page';
        if (pin.qr) $('qr').src = pin.qr; else $('qr').classList.add('hidden');
        $('pin').classList.remove('hidden');
      },
      ({ secondsLeft, failures }) => {
        const left = `${Math.floor(secondsLeft / 60)}:${String(secondsLeft % 60).padStart(2, '0')}`;
        $('progress').textContent = failures ? `retrying (${failures})… ${left} left` : `waiting… ${left} left`;
      },
    );
    const user = await running.user(token);
    $('user').textContent = `Signed in as ${user.displayName ?? user.username}`;
  } catch (e) {
    $('error').textContent = `${e.code ?? 'ERROR'}: ${e.message}`;
  } finally {
    $('pin').classList.add('hidden');
    $('signin').disabled = false;
    running = null;
  }
};
