// The package from CommonJS on node, as the README shows: a plain `require`, ready to use.
// The emulator's URL is the first argument.
const plexPin = require('plex-pin-wasm');

import('./checks.mjs')
  .then(({ checks }) => checks(plexPin, process.argv[2]))
  .then(console.log, (error) => {
    console.error(error);
    process.exit(1);
  });
