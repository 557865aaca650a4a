/**
 * Google's in-memory Pub/Sub fake (cloud.google.com/go/pubsub/v2/pstest) served by the small Go
 * main in emulators-go/pstest-server, built by scripts/ci-deps.d/gcp.sh. Plain gRPC on a free port.
 *
 * What pstest implements (read from its source, pubsub/v2 v2.9.0): dead-letter policies with
 * deliveryAttempt counting, ordering keys (one outstanding message per key), modifyAckDeadline,
 * synchronous pull (an empty pull waits at most 500 ms), acks of unknown ids ignored. Gaps: no
 * minimum ack deadline or maxDeliveryAttempts range checks, no message retention expiry, no IAM.
 */
import './offline.ts';
import { connect } from 'node:net';
import { emulatorBinary, freePort, startProcess, waitUntilReady } from '../process.ts';

export interface Pstest {
  /** `127.0.0.1:<port>`: the PubSub client's apiEndpoint / PUBSUB_EMULATOR_HOST. */
  endpoint: string;
  stop(): Promise<void>;
}

export const PSTEST_MISSING =
  'pstest-server binary missing in packages/emulators/.emulators/bin (run scripts/ci-deps.d/gcp.sh; needs Go)';

export function pstestAvailable(): boolean {
  return emulatorBinary('pstest-server') !== undefined;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveProbe(true);
    });
    socket.once('error', () => resolveProbe(false));
  });
}

export async function startPstest(): Promise<Pstest> {
  const binary = emulatorBinary('pstest-server');
  if (!binary) throw new Error(PSTEST_MISSING);
  const port = await freePort();
  const proc = startProcess(binary, ['-port', String(port)]);
  // The wrapper prints its address once the gRPC server is listening; the TCP probe confirms it.
  await waitUntilReady(
    proc,
    async () => proc.output().includes('listening') && (await accepts(port)),
    'pstest-server',
  );
  return { endpoint: `127.0.0.1:${port}`, stop: () => proc.stop() };
}
