/**
 * Queue contract × Amazon SQS: against moto by default (fauxqs with CLOUDMUX_AWS_EMULATOR=fauxqs),
 * real AWS with CLOUDMUX_LIVE_AWS=1. Each adapter gets a unique queue-name prefix; the suite
 * deletes the queues it makes.
 */

import { createSqsQueue } from '@cloudmux/aws';
import { describeQueueContract, describeUnavailable, uniqueName } from '@cloudmux/conformance';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import {
  AWS_LIVE,
  awsUnavailableReason,
  awsUrlTarget,
  S3_SQS_EMULATOR,
  s3SqsEndpoint,
  sqsClientConfig,
  stopSharedMoto,
} from '../src/endpoints/aws.ts';
import { LIVE_NO_FAULTS, proxiedTarget } from '../src/fault-target.ts';

const unavailable = awsUnavailableReason('s3-sqs');
/** The queue prefix each queue create() made is bound to, for its URL. */
const prefixes = new WeakMap<object, string>();

if (unavailable) {
  describeUnavailable(vitest, { provider: 'aws', interface: 'queue', endpoint: s3SqsEndpoint }, unavailable);
} else {
  afterAll(stopSharedMoto);
  describeQueueContract(vitest, {
    provider: 'aws',
    endpoint: s3SqsEndpoint,
    ...(!AWS_LIVE && S3_SQS_EMULATOR === 'fauxqs'
      ? {
          skipCases: {
            'unicode text bodies round-trip':
              'fauxqs 2.4.1 rejects characters above U+FFFF (emoji) as InvalidMessageContents; SQS accepts #x10000–#x10FFFF',
          },
        }
      : {}),
    async create() {
      const queuePrefix = `${uniqueName('cmx')}-`;
      const queue = createSqsQueue({ queuePrefix, clientConfig: await sqsClientConfig() });
      prefixes.set(queue, queuePrefix);
      return queue;
    },
    async openUrl(queue) {
      const prefix = prefixes.get(queue);
      return prefix
        ? awsUrlTarget(`sqs:///${prefix}`, await sqsClientConfig())
        : 'a queue this target did not create';
    },
    async destroy(queue) {
      await queue.close();
    },
    ...(AWS_LIVE
      ? { noFaultsReason: LIVE_NO_FAULTS }
      : {
          faults: proxiedTarget({
            upstream: async () => (await sqsClientConfig()).endpoint!,
            mode: 'http',
            flavor: 'aws',
            create: async (endpoint) =>
              createSqsQueue({
                queuePrefix: `${uniqueName('cmx')}-`,
                clientConfig: { ...(await sqsClientConfig()), endpoint },
              }),
          }),
        }),
  });
}
