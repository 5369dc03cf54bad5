import assert from 'node:assert/strict';
import { PlexAPI } from '@lukehagar/plexjs';
import { startEmulator } from 'plex-pin-emulator';

const emulator = await startEmulator();
const [plex, serverURL, clientID] = [new PlexAPI({}), `${emulator.url}/api/v2`, 'plexjs-example'];
const { authPinContainer: pin } = await plex.plex.getPin({ clientID, clientName: 'example', strong: true }, { serverURL });
await emulator.approve(pin.id);
const { authPinContainer: signedIn } = await plex.plex.getTokenByPinId({ pinID: pin.id, clientID }, { serverURL });
assert.equal(typeof signedIn.authToken, 'string');
await emulator.stop();
console.log('@lukehagar/plexjs signed in through plex-pin-emulator');
