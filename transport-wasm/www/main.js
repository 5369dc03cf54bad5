// The example page: create a pin, show the link (or the code and QR code for a 4-character
// pin), wait, greet the user. Every state is shown: loading, contacting, retrying, waiting,
// approved, failed, cancelled, and a module that did not load (index.html says that one
// when this file or the package cannot load at all). scripts/wasm-tests drives each in
// headless Chromium.
import init, { PlexPinClient } from '../pkg/index.js';

const $ = (id) => document.getElementById(id);
const show = (id, visible) => $(id).classList.toggle('hidden', !visible);
const api = new URLSearchParams(location.search).get('api');
const server = api ? new URL(api).host : 'plex.tv';

// The line under the buttons: what is going on (`busy` adds a spinner, `retrying` its colour).
function status(text, kind = '') {
  $('status').textContent = text;
  $('status').className = kind;
}

// What a person reads for each error code; the developer's text goes to the console.
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

try {
  await init();
} catch (e) {
  // A missing .wasm, or a Content-Security-Policy without 'wasm-unsafe-eval'.
  console.error(e);
  status('');
  $('error').textContent = 'The sign-in could not load in this browser. Please reload the page.';
  throw e;
}

// plex.tv ties pins and devices to the client identifier: make it once, keep it.
let clientId = localStorage.getItem('plex-pin-client-id');
if (!clientId) {
  clientId = PlexPinClient.generateClientId();
  localStorage.setItem('plex-pin-client-id', clientId);
}

function client(link) {
  const options = { product: 'plex-pin web example', clientId, deviceName: 'Browser', link };
  if (api) Object.assign(options, { baseUrl: api, authAppUrl: `${api}/auth`, linkPageUrl: `${api}/link` });
  return new PlexPinClient(options);
}

let pinShown = false;

function showPin(pin) {
  const link = pin.kind === 'link';
  show('strong', !link);
  show('link', link);
  if (link) {
    $('code').textContent = pin.code;
    $('link-page').href = pin.url;
    $('link-page').textContent = pin.url;
    // plex.tv's QR leads to its link page, which takes only 4-character codes.
    if (pin.qr) $('qr').src = pin.qr;
    show('qr', Boolean(pin.qr));
  } else {
    $('auth-link').href = pin.url;
  }
  status(link ? 'Waiting for the code to be entered…' : 'Waiting for you to sign in on Plex…', 'busy');
  show('pin', true);
  pinShown = true;
}

// About once per poll: the time left once there is a pin, and failures in a row, which
// before a pin are the whole story (the page would otherwise just say "Contacting…").
function showProgress({ secondsLeft, failures }) {
  const left = secondsLeft === undefined ? ''
    : `${Math.floor(secondsLeft / 60)}:${String(secondsLeft % 60).padStart(2, '0')} left`;
  if (!pinShown) {
    if (failures) status(`${server} is not answering. Trying again (attempt ${failures + 1})…`, 'busy retrying');
    return;
  }
  $('progress').textContent = failures
    ? `Lost touch with ${server}; trying again (attempt ${failures + 1}). ${left}` : left;
}

let running = null;
$('cancel').onclick = () => running?.abort();
$('signin').onclick = async () => {
  $('error').textContent = '';
  $('user').textContent = '';
  $('progress').textContent = '';
  $('signin').disabled = true;
  $('link-mode').disabled = true;
  show('cancel', true);
  status(`Contacting ${server}…`, 'busy');
  pinShown = false;
  running = new AbortController();
  const plex = client($('link-mode').checked);
  try {
    const token = await plex.login({ signal: running.signal, onPin: showPin, onProgress: showProgress });
    status('Signed in.');
    const user = await plex.user(token, { signal: running.signal });
    $('user').textContent = `Signed in as ${user.displayName ?? user.username}`;
  } catch (e) {
    status(e.name === 'AbortError' ? 'Sign-in cancelled.' : '');
    if (e.name !== 'AbortError') $('error').textContent = message(e);
  } finally {
    show('pin', false);
    show('cancel', false);
    $('progress').textContent = '';
    $('signin').disabled = false;
    $('link-mode').disabled = false;
    running = null;
  }
};
$('signin').disabled = false;
status('');
