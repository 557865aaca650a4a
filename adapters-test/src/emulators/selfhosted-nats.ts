/**
 * nats-server with JetStream (`-js`), the queue of the self-hosted stack, on a free local port with
 * a fresh store directory. Installed by scripts/ci-deps.d/selfhosted.sh (Debian's nats-server) and
 * linked into adapters-test/.emulators/bin/nats-server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningEmulator } from './moto.ts';
import { emulatorBinary, freePort, startProcess, waitUntilReady } from './process.ts';

/** Why nats-server cannot run here, or undefined when it can. */
export function natsMissingReason(): string | undefined {
  return emulatorBinary('nats-server')
    ? undefined
    : 'nats-server not installed (adapters-test/.emulators/bin/nats-server missing): run scripts/ci-deps.d/selfhosted.sh';
}

/** A running server: `endpoint` is its client URL (`nats://127.0.0.1:<port>`). */
export interface RunningNats extends RunningEmulator {
  /** `127.0.0.1:<port>`, for a TCP fault proxy in front of it. */
  address: string;
}

/** Starts nats-server with JetStream and resolves once its monitoring endpoint reports JetStream up. */
export async function startNats(): Promise<RunningNats> {
  const binary = emulatorBinary('nats-server');
  if (!binary) throw new Error(natsMissingReason());
  const [port, monitorPort] = [await freePort(), await freePort()];
  const storeDir = await mkdtemp(join(tmpdir(), 'cloudmux-nats-'));
  const proc = startProcess(binary, [
    '-a',
    '127.0.0.1',
    '-p',
    String(port),
    '-m',
    String(monitorPort),
    '-js',
    '-sd',
    storeDir,
  ]);
  await waitUntilReady(
    proc,
    async () => {
      // /healthz?js-enabled-only answers 200 once JetStream has started, not merely the listener.
      const response = await fetch(`http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`, {
        signal: AbortSignal.timeout(2000),
      });
      await response.body?.cancel();
      return response.ok;
    },
    'nats-server',
  );
  return {
    endpoint: `nats://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    async stop() {
      await proc.stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
