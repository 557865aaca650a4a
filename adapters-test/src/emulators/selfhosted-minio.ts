/**
 * MinIO, the S3-compatible server of the self-hosted stack, on a free local port with a fresh data
 * directory. Built by scripts/ci-deps.d/selfhosted.sh (pinned version, cached) and linked into
 * adapters-test/.emulators/bin/minio; the tests never fetch anything. MinIO is AGPL-3.0: it runs
 * here as a separate test server, never linked into or shipped with cloudmux.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { RunningEmulator } from './moto.ts';
import { emulatorBinary, freePort, startProcess, waitUntilReady } from './process.ts';

/** The server's root credentials: test-only, passed to the process, never a real secret. */
export const MINIO_CREDENTIALS = { accessKeyId: 'cloudmux-test', secretAccessKey: 'cloudmux-test-secret' };
export const MINIO_REGION = 'us-east-1';

/** Why MinIO cannot run here, or undefined when it can. */
export function minioMissingReason(): string | undefined {
  return emulatorBinary('minio')
    ? undefined
    : 'MinIO not installed (adapters-test/.emulators/bin/minio missing): run scripts/ci-deps.d/selfhosted.sh';
}

/** Starts `minio server` on a free port and resolves once its liveness endpoint answers. */
export async function startMinio(): Promise<RunningEmulator> {
  const binary = emulatorBinary('minio');
  if (!binary) throw new Error(minioMissingReason());
  const [port, consolePort] = [await freePort(), await freePort()];
  const dataDir = await mkdtemp(join(tmpdir(), 'cloudmux-minio-'));
  const proc = startProcess(
    binary,
    [
      'server',
      dataDir,
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
      '--quiet',
    ],
    {
      MINIO_ROOT_USER: MINIO_CREDENTIALS.accessKeyId,
      MINIO_ROOT_PASSWORD: MINIO_CREDENTIALS.secretAccessKey,
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntilReady(
    proc,
    async () => {
      const response = await fetch(`${endpoint}/minio/health/ready`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return response.ok;
    },
    'minio',
  );
  return {
    endpoint,
    async stop() {
      await proc.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates `bucket` on a running MinIO. */
export async function createMinioBucket(endpoint: string, bucket: string): Promise<void> {
  const client = new S3Client({
    endpoint,
    region: MINIO_REGION,
    forcePathStyle: true,
    credentials: { ...MINIO_CREDENTIALS },
  });
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}
