/**
 * The Queue contract, written once and run against every adapter (embedded, emulators, live).
 *
 * Rules every adapter is held to here:
 * - Delivery is at least once; a consumer dedupes by its own key. Redelivery raises `deliveryCount`.
 * - `sendBatch` with more than `limits.maxBatchEntries` entries throws InvalidArgument for the whole
 *   call (callers chunk by the limit). Within the limit, each entry gets its own result: an entry
 *   that is invalid on its own (e.g. larger than `limits.maxMessageBytes`) fails alone with an
 *   InvalidArgument error in its slot and does not count against `limits.maxBatchBytes`, while the
 *   other entries are sent.
 * - Bodies are never empty and `delaySeconds` is whole seconds from 0 to `limits.maxDelaySeconds`:
 *   anything else is InvalidArgument on every provider (one answer, given by the portable Queue); in a
 *   batch such an entry fails alone. `sendBatch` splits a batch over `limits.maxBatchBytes` into
 *   several requests; `sendAll` takes any number of entries.
 * - An aborted call rejects with Cancelled; `consume` yields messages until its signal aborts, and a
 *   message it yielded that is not acked is redelivered.
 * - Queue names come from `uniqueName` (lower-case letters, digits and hyphens); an adapter whose
 *   service needs a suffix (SQS FIFO queues end in `.fifo`) adds it itself.
 * - Timing is generous: waits poll until a condition holds, up to deadlines far above what any
 *   service needs, and no case asserts a duration. Short visibility timeouts (1 s) may be raised by
 *   an adapter to its service's minimum; the cases still hold, only slower.
 */
import type { Queue } from '@cloudmux/core';
import { queueFaultProbe } from '../faults/probes.ts';
import { describeFaultGroup } from '../faults/suite.ts';
import type { ContractTarget } from '../harness.ts';
import type { ContractRunner } from '../runner.ts';
import { queueConsumeCases } from './consume.ts';
import { queueDeliveryCases } from './delivery.ts';
import { queueSuite } from './fixture.ts';
import { queueMessageCases } from './messages.ts';

export function describeQueueContract(runner: ContractRunner, target: ContractTarget<Queue>): void {
  runner.describe(`queue contract: ${target.provider} (${target.endpoint})`, () => {
    const s = queueSuite(runner, target);
    queueDeliveryCases(s);
    queueMessageCases(s);
    queueConsumeCases(s);
    describeFaultGroup(runner, target, 'queue', queueFaultProbe(runner.expect));
  });
}
