// The example page: create a pin, show code, link and QR code, wait, greet the user.
import init, { PlexPinClient } from './pkg/index.js';

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

// What a person reads for each error code; the developer's text stays in the console.
const server = api ? new URL(api).host : 'plex.tv';
const MESSAGES = {
  DENIED_OR_EXPIRED: 'The sign-in was declined or the code expired. Please try again.',
  PIN_EXPIRED: 'The code expired before the sign-in was approved. Please try again.',
  TIMED_OUT: 'The sign-in took too long. Please try again.',
  RATE_LIMITED: `${server} is busy. Please try again in a minute.`,
  NETWORK: `Could not reach ${server}: check the connection (or the server refused this page).`,
  REQUEST_TIMEOUT: `${server} did not answer in time. Please try again.`,
};
function message(e) {
  console.error(e);
  return MESSAGES[e.code] ?? `Sign-in failed (${e.code ?? e.name}). Please try again.`;
}

let running = null;
$('cancel').onclick = () => running?.abort();
$('signin').onclick = async () => {
  $('error').textContent = '';
  $('user').textContent = '';
  $('signin').disabled = true;
  running = new AbortController();
  const plex = client($('link-mode').checked);
  try {
    const token = await plex.login({
      signal: running.signal,
      onPin: (pin) => {
        $('code').textContent = pin.code;
        $('auth-link').href = pin.url;
        $('auth-link').textContent = pin.kind === 'link' ? `Enter the code at ${pin.url}` : 'Open the Plex sign-in page';
        if (pin.qr) $('qr').src = pin.qr; else $('qr').classList.add('hidden');
        $('pin').classList.remove('hidden');
      },
      onProgress: ({ secondsLeft, failures }) => {
        const left = secondsLeft === undefined ? ''
          : ` ${Math.floor(secondsLeft / 60)}:${String(secondsLeft % 60).padStart(2, '0')} left`;
        $('progress').textContent = failures ? `retrying (${failures})…${left}` : `waiting…${left}`;
      },
    });
    const user = await plex.user(token);
    $('user').textContent = `Signed in as ${user.displayName ?? user.username}`;
  } catch (e) {
    if (e.name === 'AbortError') $('user').textContent = 'Sign-in cancelled.';
    else $('error').textContent = message(e);
  } finally {
    $('pin').classList.add('hidden');
    $('signin').disabled = false;
    running = null;
  }
};
