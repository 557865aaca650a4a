/**
 * fake-gcs-server (github.com/fsouza/fake-gcs-server, pinned in emulators-go/go.mod), built by
 * scripts/ci-deps.d/gcp.sh. In-memory backend, plain HTTP on a free port.
 */
import './offline.ts';
import { emulatorBinary, freePort, startProcess, waitUntilReady } from '../process.ts';

export interface FakeGcs {
  /** `http://127.0.0.1:<port>`: the Storage client's apiEndpoint / STORAGE_EMULATOR_HOST. */
  endpoint: string;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export const FAKE_GCS_MISSING =
  'fake-gcs-server binary missing in packages/emulators/.emulators/bin (run scripts/ci-deps.d/gcp.sh; needs Go)';

export function fakeGcsAvailable(): boolean {
  return emulatorBinary('fake-gcs-server') !== undefined;
}

export async function startFakeGcs(): Promise<FakeGcs> {
  const binary = emulatorBinary('fake-gcs-server');
  if (!binary) throw new Error(FAKE_GCS_MISSING);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = startProcess(binary, [
    '-scheme',
    'http',
    '-host',
    '127.0.0.1',
    '-port',
    String(port),
    '-backend',
    'memory',
    '-public-host',
    `127.0.0.1:${port}`,
    '-external-url',
    endpoint,
    '-log-level',
    'error',
  ]);
  await waitUntilReady(
    proc,
    async () => (await fetch(`${endpoint}/storage/v1/b?project=test`)).ok,
    'fake-gcs-server',
  );
  return {
    endpoint,
    async createBucket(name) {
      const response = await fetch(`${endpoint}/storage/v1/b?project=test`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      if (!response.ok && response.status !== 409) {
        throw new Error(`fake-gcs-server createBucket ${name}: ${response.status} ${await response.text()}`);
      }
    },
    stop: () => proc.stop(),
  };
}
