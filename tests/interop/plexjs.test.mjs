// @lukehagar/plexjs 0.39 (the seed's TypeScript SDK), unchanged, signing in against
// plex-pin-emulator: plex.getPin, plex.getTokenByPinId. Run by scripts/interop-tests, with
// the plex-pin-emulator npm package's helper from its source (packaging/npm) running the
// binary it names in PLEX_PIN_EMULATOR_BINARY. The SDK is pointed at the emulator with its
// own per-call `serverURL` option.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';

import { PlexAPI } from '@lukehagar/plexjs';

import { startEmulator } from '../../packaging/npm/index.js';

let emulator;
let serverURL;
const plex = new PlexAPI({});

before(async () => {
  emulator = await startEmulator();
  serverURL = `${emulator.url}/api/v2`;
});
after(() => emulator.stop());

async function accountStatus(token) {
  const response = await fetch(`${emulator.url}/api/v2/user`, {
    headers: {
      accept: 'application/json',
      'x-plex-client-identifier': 'interop-checker',
      'x-plex-product': 'interop',
      'x-plex-token': token,
    },
  });
  return response.status;
}

test('getPin, approval, getTokenByPinId: the token checks valid', async () => {
  const clientID = randomUUID();
  const created = await plex.plex.getPin(
    { clientID, clientName: 'plex-pin interop', strong: true },
    { serverURL },
  );
  assert.equal(created.statusCode, 201);
  const pin = created.authPinContainer;
  assert.equal(pin.code.length, 25);
  // The SDK polls with the client identifier only (no X-Plex-Product): served, as the
  // emulator is lenient where plex.tv's behaviour is unknown.
  const waiting = await plex.plex.getTokenByPinId({ pinID: pin.id, clientID }, { serverURL });
  assert.equal(waiting.authPinContainer.authToken ?? null, null);
  await emulator.approve(pin.id);
  const approved = await plex.plex.getTokenByPinId({ pinID: pin.id, clientID }, { serverURL });
  const token = approved.authPinContainer.authToken;
  assert.equal(typeof token, 'string');
  assert.equal(await accountStatus(token), 200);
});

test('a 4-character code approved by the user', async () => {
  const clientID = randomUUID();
  const created = await plex.plex.getPin({ clientID, clientName: 'plex-pin interop' }, { serverURL });
  const pin = created.authPinContainer;
  assert.equal(pin.code.length, 4);
  await emulator.approve(pin.code, { link: true });
  const approved = await plex.plex.getTokenByPinId({ pinID: pin.id, clientID }, { serverURL });
  assert.equal(await accountStatus(approved.authPinContainer.authToken), 200);
});

test('an unknown pin is the SDK\'s typed 404 error', async () => {
  await assert.rejects(
    plex.plex.getTokenByPinId({ pinID: 1, clientID: randomUUID() }, { serverURL }),
    (error) => {
      assert.equal(error.constructor.name, 'GetTokenByPinIdResponseBody');
      assert.equal(error.rawResponse.status, 404);
      return true;
    },
  );
});
