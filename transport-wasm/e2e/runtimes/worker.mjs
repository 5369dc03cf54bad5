// The package in a Cloudflare Worker, imported as the README shows: a plain `import`, which
// wrangler (here esbuild with its conditions) resolves to the workerd entry. Run by
// `workerd test`, which calls `test`; the emulator's URL is a binding.
import * as plexPin from 'plex-pin-wasm';
import { checks } from './checks.mjs';

export default {
  async test(controller, env) {
    console.log(await checks(plexPin, env.EMULATOR_URL));
  },
};
