// The package on node (ESM), Deno and Bun, imported as the README shows: a plain `import`,
// ready to use. The emulator's URL is the first argument.
import * as plexPin from 'plex-pin-wasm';
import { checks } from './checks.mjs';

const url = globalThis.Deno ? globalThis.Deno.args[0] : process.argv[2];
console.log(await checks(plexPin, url));
