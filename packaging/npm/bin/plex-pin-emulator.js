#!/usr/bin/env node
'use strict';
// `npx plex-pin-emulator [FLAGS]`: runs this platform's binary with the same arguments.
const { spawnSync } = require('node:child_process');
const { binaryPath } = require('../index.js');

let binary;
try {
  binary = binaryPath();
} catch (error) {
  console.error(`plex-pin-emulator: ${error.message}`);
  process.exit(1);
}
const result = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit', windowsHide: true });
if (result.error) {
  console.error(`plex-pin-emulator: cannot run ${binary}: ${result.error.message}`);
  process.exit(1);
}
if (result.signal) process.kill(process.pid, result.signal);
process.exit(result.status ?? 1);
