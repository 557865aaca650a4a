/**
 * The SecretStore contract, written once and run against every adapter: versions, reading an old
 * version, listing, deletion, the cache seeing a rotation, and — what other conformance suites do
 * not check — that a secret's value never leaks into errors, logs, string forms or meter reports.
 *
 * Most secret names use only lower-case letters, digits and dashes; two cases use `/`, `.`, `_` and
 * mixed case on purpose, since core allows any name without control characters and every adapter
 * must map what its provider's alphabet lacks, reversibly and without collisions.
 */
import type { SecretStore } from '@cloudmux/core';
import { secretStoreFaultProbe } from '../faults/probes.ts';
import { describeFaultGroup } from '../faults/suite.ts';
import type { ContractTarget } from '../harness.ts';
import type { ContractRunner } from '../runner.ts';
import { secretStoreSuite } from './fixture.ts';
import { secretStoreSecrecyCases } from './secrecy.ts';
import { secretStoreVersionCases } from './versions.ts';

export function describeSecretStoreContract(
  runner: ContractRunner,
  target: ContractTarget<SecretStore>,
): void {
  runner.describe(`secretStore contract · ${target.provider} (${target.endpoint})`, () => {
    const s = secretStoreSuite(runner, target);
    secretStoreVersionCases(s);
    secretStoreSecrecyCases(s);
    describeFaultGroup(runner, target, 'secretStore', secretStoreFaultProbe(runner.expect));
  });
}
