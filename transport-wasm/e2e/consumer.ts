// A TypeScript consumer of the package, type-checked with `tsc --strict` by scripts/wasm-tests
// (lib es2022 + dom, as a web app would have).
import init, { PlexPinClient, PlexPinError, type LoginProgress, type PinInfo } from 'plex-pin-wasm';

export async function signIn(signal: AbortSignal): Promise<string> {
  await init();
  const plex = new PlexPinClient({ product: 'typed app', clientId: PlexPinClient.generateClientId() });
  try {
    return await plex.login({
      signal,
      onPin: (pin: PinInfo) => console.log(pin.code, pin.url, pin.kind === 'link'),
      onProgress: ({ secondsLeft, failures }: LoginProgress) => console.log(secondsLeft ?? '?', failures),
    });
  } catch (e) {
    if (e instanceof PlexPinError && e.code === 'RATE_LIMITED') {
      console.log(e.status, e.retryAfter);
    }
    throw e;
  }
}

export async function afterReload(stored: string): Promise<string> {
  const plex = new PlexPinClient({ product: 'typed app' });
  const pin: PinInfo = JSON.parse(stored);
  return plex.waitForPin(pin.expiresAt === undefined ? pin.id : pin, { onProgress: (p) => p.failures });
}

import { PlexPinClient as JwtClient, generateDeviceKey } from 'plex-pin-wasm/jwt';

export async function jwtSignIn(): Promise<string> {
  const plex = new JwtClient({ product: 'typed app' });
  const key: Uint8Array = generateDeviceKey();
  const token = await plex.loginJwt(key, { onPin: (pin) => pin.url });
  const stored: PinInfo = JSON.parse('{}');
  const resumed = await plex.waitForPin(stored, { deviceKey: key, onProgress: (p) => p.secondsLeft });
  return token + resumed + (await plex.refresh('base64url-text'));
}
