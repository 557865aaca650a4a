export * from './emulator-stacks.ts';
export * from './emulators/redshift-serverless-server.ts';
export { type FaultCounts, type FaultKind, type FaultProxy, startFaultProxy } from './faults/fault-proxy.ts';
export { behindFaultProxies, type FaultyStack, type ResourceRole } from './faults/faulty-stack.ts';
export * from './harness.ts';
