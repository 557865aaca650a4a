/**
 * @cloudmux/conformance: the contract suites every cloudmux driver is held to, written once.
 * Point a suite at a factory for your adapter and its declared capabilities; unsupported
 * capabilities must throw `UnsupportedError`, endpoint gaps are skipped with their reason.
 */

export type { FaultCounts, FaultInjector, FaultKind } from './faults/injector.ts';
export type { FaultRig, FaultTarget } from './faults/suite.ts';
export {
  beginCase,
  type ContractMeta,
  type ContractTarget,
  capabilitiesWithGaps,
  type Endpoint,
  eventually,
  expectCode,
  gate,
  type OpenUrlTarget,
  openedFromUrl,
  recordMeta,
  skipWithReason,
  uniqueName,
} from './harness.ts';
export {
  describeObjectStoreContract,
  type ObjectStoreContractTarget,
  type ObjectStoreOracle,
} from './object-store/suite.ts';
export { describeQueueContract } from './queue/suite.ts';
export type { CaseContext, ContractRunner, Expect } from './runner.ts';
export { describeSecretStoreContract } from './secret-store/suite.ts';
export { describeUnavailable } from './unavailable.ts';
export { describeWarehouseContract, type WarehouseContractTarget } from './warehouse/suite.ts';
