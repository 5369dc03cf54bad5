// The README's types are the package's: scripts/wasm-tests writes the README's TypeScript
// block to readme.d.ts (with an import of the two types it names without declaring)
// and type-checks this file with `tsc --strict`. A field the README lacks or adds (as
// PinInfo's `expiresAt` once was) fails here.
import type * as Package from 'plex-pin-wasm';
import type * as Readme from './readme.js';

type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const same: [
  Same<Readme.PlexPinOptions, Package.PlexPinOptions>,
  Same<Readme.PinInfo, Package.PinInfo>,
  Same<Readme.LoginProgress, Package.LoginProgress>,
  Same<Readme.CallOptions, Package.CallOptions>,
  Same<Readme.LoginOptions, Package.LoginOptions>,
  Same<Readme.WaitOptions, Package.WaitOptions>,
] = [true, true, true, true, true, true];

// The classes as the README shows them: the package's have all of that (and more: the
// deprecated `login(onPin, onProgress)`, the error's constructor).
export const client = (plex: Package.PlexPinClient): Readme.PlexPinClient => plex;
export const error = (e: Package.PlexPinError): Readme.PlexPinError => e;
