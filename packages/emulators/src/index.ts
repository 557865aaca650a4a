/**
 * @cloudmux/emulators: the emulator processes and wire-compatible test servers the cloudmux tests
 * run the unmodified SDKs against, and the fault proxy that sits between an SDK and an emulator.
 * One entry per cloud (`@cloudmux/emulators/aws`, `/gcp`, `/azure`) so a test loads only the
 * servers of the cloud it drives; this entry holds what every cloud shares.
 */

export {
  type FaultCounts,
  type FaultKind,
  type FaultProxy,
  type FaultProxyOptions,
  startFaultProxy,
} from './faults/fault-proxy.ts';
export { registerProxyOrigin, serviceSideUrl } from './faults/service-side.ts';
export { type ServiceFlavor, type ThrottleAnswer, throttleResponse } from './faults/throttle-responses.ts';
export { type EmulatorProcess, emulatorBinary, freePort, startProcess, waitUntilReady } from './process.ts';
