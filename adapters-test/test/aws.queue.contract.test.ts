/**
 * Queue contract × Amazon SQS: against moto by default, real AWS with CLOUDMUX_LIVE_AWS=1. Each
 * adapter gets a unique queue-name prefix; the suite deletes the queues it makes.
 */
import { createSqsQueue } from '@cloudmux/aws';
import { afterAll } from 'vitest';
import { describeQueueContract } from '../src/contracts/queue.ts';
import { awsClientConfig, awsEndpoint, awsUnavailableReason, stopSharedMoto } from '../src/emulators/aws.ts';
import { uniqueName } from '../src/harness.ts';
import { describeUnavailable } from '../src/unavailable.ts';

const unavailable = awsUnavailableReason();

if (unavailable) {
  describeUnavailable({ provider: 'aws', interface: 'queue', endpoint: awsEndpoint }, unavailable);
} else {
  afterAll(stopSharedMoto);
  describeQueueContract({
    provider: 'aws',
    endpoint: awsEndpoint,
    async create() {
      return createSqsQueue({ queuePrefix: `${uniqueName('cmx')}-`, clientConfig: await awsClientConfig() });
    },
    async destroy(queue) {
      await queue.close();
    },
  });
}
