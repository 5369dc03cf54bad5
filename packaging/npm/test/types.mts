// The declarations, checked by `tsc --noEmit --strict` from a project that installed the
// package (scripts/emulator-packages): what a TypeScript test suite writes compiles.
import { CONTROL_API, ControlError, type Emulator, type FaultRule, startEmulator } from 'plex-pin-emulator';

const emulator: Emulator = await startEmulator({ pinLifetime: 5, faults: ['500*1'], strict: false });
const rule: FaultRule = { fault: 'slow:100', route: 'check', client: 'types', times: 1 };
const rules: number = await emulator.fault(rule);
const approved: boolean = (await emulator.approve(1, { link: true })).approved;
const code: string = (await emulator.pin('ABCD')).code;
const routes: string[] = (await emulator.requests('types')).map((request) => request.route);
const version: 1 = CONTROL_API;
const left: number = await emulator.clearFaults();
const token: string = await emulator.issueToken();
try {
  await emulator.deny(2);
} catch (error) {
  if (error instanceof ControlError) console.log(error.status, error.code, error.route);
}
await emulator.stop();
console.log(emulator.url, rules, approved, code, routes, version, left, token);
