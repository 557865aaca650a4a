/**
 * The ObjectStore contract, written once and run against every adapter (the embedded filesystem
 * store, S3, GCS and Azure Blob through their emulators): round trips of every body kind, ranges,
 * metadata, listing and pagination determinism, awkward keys, deletes, copies, conditional writes
 * under contention, presigned URLs with plain `fetch`, and racing writers.
 *
 * One store per run (`create()` in beforeAll, `destroy()` in afterAll); every case works under its
 * own unique key prefix, so cases never see each other's objects. When the target supplies an
 * oracle, side effects are also checked through the raw SDK or filesystem, not only the adapter.
 */
import type { ObjectStore } from '@cloudmux/core';
import { objectStoreFaultProbe } from '../faults/probes.ts';
import { describeFaultGroup } from '../faults/suite.ts';
import type { ContractTarget } from '../harness.ts';
import type { ContractRunner } from '../runner.ts';
import { objectStoreBodyCases } from './bodies.ts';
import { objectStoreConcurrencyCases } from './concurrency.ts';
import { objectStoreSuite } from './fixture.ts';
import { objectStoreListingCases } from './listing.ts';
import { objectStoreOpenCancelCopyCases } from './open-cancel-copy.ts';

/** Reads what the adapter wrote without going through the adapter. */
export interface ObjectStoreOracle {
  /** The stored bytes of `key` (a key as the adapter sees it), or undefined when absent. */
  rawGet(key: string): Promise<Uint8Array | undefined>;
}

export interface ObjectStoreContractTarget extends ContractTarget<ObjectStore> {
  /** Builds the oracle for a store made by `create()`. */
  oracle?(store: ObjectStore): ObjectStoreOracle;
  /**
   * Keys this adapter rejects with InvalidArgument, beyond the empty key every adapter rejects
   * (e.g. `..` segments for a filesystem store; S3 accepts them as plain characters).
   */
  invalidKeys?: readonly string[];
  /** Headers an uploader must add to a presigned PUT for this service (e.g. Azure's x-ms-blob-type). */
  presignPutHeaders?: Record<string, string>;
}

export function describeObjectStoreContract(runner: ContractRunner, target: ObjectStoreContractTarget): void {
  runner.describe(`objectStore contract: ${target.provider} (${target.endpoint})`, () => {
    const s = objectStoreSuite(runner, target);
    objectStoreBodyCases(s);
    objectStoreListingCases(s);
    objectStoreOpenCancelCopyCases(s);
    objectStoreConcurrencyCases(s);
    describeFaultGroup(runner, target, 'objectStore', objectStoreFaultProbe(runner.expect));
  });
}
