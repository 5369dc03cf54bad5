// Writes one platform's binary package, @plex-pin/emulator-<platform>-<arch>, for npm pack:
//   node packaging/npm/platform-package.mjs <platform>-<arch> <binary> <out-dir>
// Its version is the main package's, which names it in optionalDependencies; its os and cpu
// fields make npm install it only where the binary runs. The release pipeline runs this once
// per platform (README.md, "Releasing").
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [platformArch, binary, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const main = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const name = `@plex-pin/emulator-${platformArch}`;
if (!binary || !out || !(name in main.optionalDependencies)) {
  console.error(`usage: platform-package.mjs <one of ${Object.keys(main.optionalDependencies).map((n) => n.slice(19)).join(', ')}> <binary> <out-dir>`);
  process.exit(2);
}
const [os, cpu] = platformArch.split('-');
const file = os === 'win32' ? 'plex-pin-emulator.exe' : 'plex-pin-emulator';

mkdirSync(join(out, 'bin'), { recursive: true });
copyFileSync(binary, join(out, 'bin', file));
chmodSync(join(out, 'bin', file), 0o755);
for (const license of ['LICENSE-MIT', 'LICENSE-APACHE']) {
  copyFileSync(join(here, '..', '..', license), join(out, license));
}
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify(
    {
      name,
      version: main.version,
      description: `The plex-pin-emulator binary for ${os} ${cpu}; installed by the plex-pin-emulator package`,
      license: main.license,
      os: [os],
      cpu: [cpu],
      files: [`bin/${file}`, 'LICENSE-MIT', 'LICENSE-APACHE'],
      preferUnplugged: true,
    },
    null,
    2,
  )}\n`,
);
writeFileSync(
  join(out, 'README.md'),
  `# ${name}\n\nThe \`plex-pin-emulator\` binary for ${os} ${cpu}. Install \`plex-pin-emulator\`, ` +
    'which depends on this package where it runs, rather than this package itself.\n',
);
