/**
 * Queue contract × NATS JetStream (the self-hosted provider) on a real nats-server started for
 * this file. Each adapter gets a unique stream prefix; the suite deletes the queues it makes. The
 * fault group puts a TCP fault proxy between the client and the server.
 */

import { describeQueueContract, describeUnavailable, uniqueName } from '@cloudmux/conformance';
import { createNatsQueue } from '@cloudmux/selfhosted';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import {
  natsEndpoint,
  natsMissingReason,
  sharedNats,
  stopSelfhostedStack,
} from '../src/endpoints/selfhosted.ts';
import { proxiedTarget } from '../src/fault-target.ts';

const unavailable = natsMissingReason();
/** Stream names allow letters, digits, `_` and `-`: the unique prefix fits. */
const streamPrefix = () => `${uniqueName('cmx')}-`;
/** The stream prefix each queue create() made is bound to, for its URL. */
const prefixes = new WeakMap<object, string>();

if (unavailable) {
  describeUnavailable(
    vitest,
    { provider: 'selfhosted', interface: 'queue', endpoint: natsEndpoint },
    unavailable,
  );
} else {
  afterAll(stopSelfhostedStack);
  describeQueueContract(vitest, {
    provider: 'selfhosted',
    endpoint: natsEndpoint,
    async create() {
      const prefix = streamPrefix();
      const queue = createNatsQueue({ servers: (await sharedNats()).endpoint, streamPrefix: prefix });
      prefixes.set(queue, prefix);
      return queue;
    },
    async openUrl(queue) {
      return { url: `nats://${(await sharedNats()).address}/${prefixes.get(queue)}` };
    },
    async destroy(queue) {
      await queue.close();
    },
    faults: proxiedTarget({
      upstream: async () => (await sharedNats()).address,
      mode: 'tcp',
      unsupported: {
        throttle: 'NATS speaks its own protocol over TCP: there is no HTTP 503 to inject',
        dropResponse:
          'NATS multiplexes every request on one TCP connection: the proxy cannot tell where a reply begins',
      },
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
