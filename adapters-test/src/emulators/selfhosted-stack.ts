/**
 * The self-hosted stack for the contract suites: one MinIO and one nats-server per test file,
 * started on first use, each on free ports with fresh data directories, and the provider's options
 * pointing at them (through a fault proxy when the fault group asks).
 */
import type { SelfhostedOptions, SelfhostedOptionsInput } from '@cloudmux/selfhosted';
import { selfhostedOptionsSchema } from '@cloudmux/selfhosted';
import type { Endpoint } from '../harness.ts';
import { uniqueName } from '../harness.ts';
import type { RunningEmulator } from './moto.ts';
import { createMinioBucket, MINIO_CREDENTIALS, minioMissingReason, startMinio } from './selfhosted-minio.ts';
import { natsMissingReason, type RunningNats, startNats } from './selfhosted-nats.ts';

export const minioEndpoint: Endpoint = 'emulator:minio';
export const natsEndpoint: Endpoint = 'emulator:nats-server';

/** The environment the provider reads its S3 credentials from (test-only values). */
export const SELFHOSTED_TEST_ENV: NodeJS.ProcessEnv = {
  AWS_ACCESS_KEY_ID: MINIO_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: MINIO_CREDENTIALS.secretAccessKey,
  // A fixed test key: 32 bytes of base64, generated once for the suites.
  CLOUDMUX_SECRET_KEY: 'Y2xvdWRtdXgtc2VsZmhvc3RlZC10ZXN0LWtleS0zMmI=',
};

let minio: Promise<RunningEmulator> | undefined;
let nats: Promise<RunningNats> | undefined;
let bucket: Promise<string> | undefined;

export { minioMissingReason, natsMissingReason };

export function sharedMinio(): Promise<RunningEmulator> {
  minio ??= startMinio();
  return minio;
}

export function sharedNats(): Promise<RunningNats> {
  nats ??= startNats();
  return nats;
}

/** One bucket per test file on the shared MinIO. */
export async function sharedBucket(): Promise<string> {
  bucket ??= (async () => {
    const name = uniqueName('cmx-sh');
    await createMinioBucket((await sharedMinio()).endpoint, name);
    return name;
  })();
  return bucket;
}

export async function stopSelfhostedStack(): Promise<void> {
  const running = [minio, nats];
  minio = undefined;
  nats = undefined;
  bucket = undefined;
  for (const server of running) if (server) await (await server).stop();
}

/** Provider options for the shared MinIO (or `s3Endpoint` in its place, e.g. a fault proxy). */
export async function minioOptions(
  extra: Partial<SelfhostedOptionsInput> = {},
  s3Endpoint?: string,
): Promise<SelfhostedOptions> {
  return selfhostedOptionsSchema.parse({
    s3: { endpoint: s3Endpoint ?? (await sharedMinio()).endpoint, bucket: await sharedBucket() },
    ...extra,
  });
}
