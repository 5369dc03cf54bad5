// The packed package signs in on every runtime it claims, each importing it as the README
// shows: node's oldest supported release and its current one (`import` and `require`),
// Deno, Bun and Cloudflare's workerd (Chromium: bundle.test.mjs and page.test.mjs). Each
// runs runtimes/checks.mjs against the emulator. Run by scripts/wasm-tests from the scratch
// project the package is installed in, with EMULATOR_URL and TOOLS (transport-wasm's
// node_modules, where npm put the runtimes) set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';

const emulator = process.env.EMULATOR_URL?.replace(/\/$/, '');
const tools = process.env.TOOLS;
assert.ok(emulator && tools, 'EMULATOR_URL and TOOLS must be set');

// Runs a runtime on a script; its output, or a failure with what it said.
async function run(command, args) {
  try {
    const { stdout } = await promisify(execFile)(command, args, { timeout: 60_000 });
    return stdout;
  } catch (e) {
    assert.fail(`${command} ${args.join(' ')}: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

const signsIn = (output) => assert.match(output, /signed in as Emulated User/);

// npm has node's own builds for linux-x64 only (optional dependencies): elsewhere these two
// are not installed, and say so.
const nodes = [
  ['node 20.19.0, the oldest supported (engines: ^20.19.0 || >=22.12.0)', 'node-oldest', 'v20.19.0'],
  ['node 26, the current release', 'node-current', 'v26.'],
];
const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
for (const [name, folder, version] of nodes) {
  const node = `${tools}/${folder}/bin/node`;
  const skip = linuxX64 ? false : `npm has no ${folder} for ${process.platform}-${process.arch}`;
  test(name, { skip }, async (t) => {
    assert.ok((await run(node, ['--version'])).startsWith(version));
    await t.test('import', async () => signsIn(await run(node, ['runtimes/login.mjs', emulator])));
    await t.test('require', async () => signsIn(await run(node, ['runtimes/login.cjs', emulator])));
  });
}

test('Deno, with --allow-net alone', async () => {
  signsIn(await run(`${tools}/.bin/deno`, ['run', '--allow-net', 'runtimes/login.mjs', emulator]));
});

test('Bun', async () => {
  signsIn(await run(`${tools}/.bin/bun`, ['runtimes/login.mjs', emulator]));
});

// As wrangler deploys a Worker: bundled by esbuild with wrangler's conditions (workerd,
// worker, browser), a `.wasm` import kept as a module of its own. The Worker may reach the
// emulator on loopback only.
test('Cloudflare workerd', async () => {
  mkdirSync('workerd', { recursive: true });
  await run(`${tools}/.bin/esbuild`, ['runtimes/worker.mjs', '--bundle', '--format=esm',
    '--platform=neutral', '--conditions=workerd,worker,browser', '--external:*.wasm',
    '--outfile=workerd/worker.js', '--log-level=warning']);
  copyFileSync('node_modules/plex-pin-wasm/plex_pin_wasm_bg.wasm', 'workerd/plex_pin_wasm_bg.wasm');
  writeFileSync('workerd/config.capnp', `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "loopback", network = (allow = ["local"])),
  ],
);

const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    (name = "plex_pin_wasm_bg.wasm", wasm = embed "plex_pin_wasm_bg.wasm"),
  ],
  bindings = [(name = "EMULATOR_URL", text = ${JSON.stringify(emulator)})],
  compatibilityDate = "2026-11-01",
  globalOutbound = "loopback",
);
`);
  signsIn(await run(`${tools}/.bin/workerd`, ['test', 'workerd/config.capnp']));
});
