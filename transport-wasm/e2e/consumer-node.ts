// A node-only TypeScript consumer of the package: `lib: ["es2022"]` with @types/node, no DOM
// and no skipLibCheck, type-checked with `tsc --strict` by scripts/wasm-tests. The package's
// types must compile here as they do in a web app (consumer.ts).
import { PlexPinClient, PlexPinError, initSync, type InitInput, type PinInfo } from 'plex-pin-wasm';
import { PlexPinClient as JwtClient, generateDeviceKey } from 'plex-pin-wasm/jwt';
import { readFileSync } from 'node:fs';

export async function signIn(signal: AbortSignal): Promise<string> {
  const plex = new PlexPinClient({ product: 'node app', clientId: PlexPinClient.generateClientId() });
  try {
    return await plex.login({ signal, onPin: (pin: PinInfo) => console.log(pin.url, pin.expiresAt) });
  } catch (e) {
    if (e instanceof PlexPinError) console.log(e.code, e.status, e.retryAfter);
    throw e;
  }
}

export function loadByHand(path: string): InitInput {
  const bytes = readFileSync(path);
  initSync({ module: bytes });
  return bytes;
}

export async function jwt(): Promise<string> {
  return new JwtClient({ product: 'node app' }).loginJwt(generateDeviceKey());
}
