/**
 * Queue contract × NATS JetStream (the self-hosted provider) on a real nats-server started for
 * this file. Each adapter gets a unique stream prefix; the suite deletes the queues it makes. The
 * fault group puts a TCP fault proxy between the client and the server.
 */
import { createNatsQueue } from '@cloudmux/selfhosted';
import { afterAll } from 'vitest';
import { describeQueueContract } from '../src/contracts/queue.ts';
import {
  natsEndpoint,
  natsMissingReason,
  sharedNats,
  stopSelfhostedStack,
} from '../src/emulators/selfhosted-stack.ts';
import { proxiedTarget } from '../src/faults/fault-target.ts';
import { uniqueName } from '../src/harness.ts';
import { describeUnavailable } from '../src/unavailable.ts';

const unavailable = natsMissingReason();
/** Stream names allow letters, digits, `_` and `-`: the unique prefix fits. */
const streamPrefix = () => `${uniqueName('cmx')}-`;

if (unavailable) {
  describeUnavailable({ provider: 'selfhosted', interface: 'queue', endpoint: natsEndpoint }, unavailable);
} else {
  afterAll(stopSelfhostedStack);
  describeQueueContract({
    provider: 'selfhosted',
    endpoint: natsEndpoint,
    async create() {
      return createNatsQueue({ servers: (await sharedNats()).endpoint, streamPrefix: streamPrefix() });
    },
    async destroy(queue) {
      await queue.close();
    },
    faults: proxiedTarget({
      upstream: async () => (await sharedNats()).address,
      mode: 'tcp',
      create: async (_endpoint, { host, port }) =>
        createNatsQueue({
          servers: `nats://${host}:${port}`,
          streamPrefix: streamPrefix(),
          // The hang case abandons an attempt after 3 s: a request must give up before that.
          requestTimeoutMs: 2_000,
        }),
    }),
  });
}
