/**
 * Builds the fault target a contract test file hands its suite: a fault proxy in front of the
 * emulator's endpoint and the adapter created exactly as the file creates it, with the proxy's
 * address in place of the emulator's.
 */
import type { FaultTarget } from '@cloudmux/conformance';
import {
  type FaultKind,
  type FaultProxy,
  type FaultProxyOptions,
  startFaultProxy,
} from '@cloudmux/emulators';

/** gRPC (HTTP/2) and TDS carry requests the proxy cannot see: only connection faults apply. */
export const CONNECTION_FAULTS_ONLY: Partial<Record<FaultKind, string>> = {
  throttle:
    'the proxy forwards this protocol at the TCP level (gRPC over HTTP/2, TDS, end-to-end TLS): no HTTP 503 to inject',
  dropResponse:
    'the proxy forwards this protocol at the TCP level (gRPC over HTTP/2, TDS, end-to-end TLS): it cannot tell where a reply begins',
};

/** gRPC targets also cannot take a black-holed connection within the hang case's retries. */
export const GRPC_FAULTS_UNSUPPORTED: Partial<Record<FaultKind, string>> = {
  ...CONNECTION_FAULTS_ONLY,
  blackhole:
    'grpc-js queues every call on a connection whose HTTP/2 handshake never completes (it has no handshake ' +
    'timeout of its own), so each retry after the 3 s call timeout meets the same stuck connection (seen: 5 × 3 s, ' +
    'then Timeout); the outage case covers a dead connection',
};

/** Why live endpoints get no fault group. */
export const LIVE_NO_FAULTS =
  'live endpoint: the fault proxy sits only between the SDK and a local emulator (TLS to the cloud is end to end)';

export function proxiedTarget<T extends { close(): Promise<void> }>(options: {
  /** The emulator's address (http://host:port or host:port). */
  upstream: () => Promise<string>;
  mode: FaultProxyOptions['mode'];
  flavor?: FaultProxyOptions['flavor'];
  /** Creates the adapter with `endpoint` (http://127.0.0.1:<proxy port>) in place of the emulator's. */
  create(endpoint: string, hostPort: { host: string; port: number }): Promise<T>;
  /** Faults this target cannot take beyond what its mode rules out, with the reason. */
  unsupported?: Partial<Record<FaultKind, string>>;
  /** Cleans up before close (defaults to close). */
  destroy?(adapter: T): Promise<void>;
}): FaultTarget<T, FaultProxy> {
  return {
    async create() {
      const proxy = await startFaultProxy({
        target: await options.upstream(),
        mode: options.mode,
        ...(options.flavor ? { flavor: options.flavor } : {}),
      });
      try {
        return { adapter: await options.create(proxy.endpoint, proxy), proxy };
      } catch (error) {
        await proxy.stop();
        throw error;
      }
    },
    async destroy({ adapter, proxy }) {
      try {
        await (options.destroy ? options.destroy(adapter) : adapter.close());
      } finally {
        await proxy.stop();
      }
    },
    unsupported: { ...(options.mode === 'tcp' ? CONNECTION_FAULTS_ONLY : {}), ...options.unsupported },
  };
}
