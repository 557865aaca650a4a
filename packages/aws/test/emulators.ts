/** Emulator wiring for this package's own tests (the emulators come from @cloudmux/emulators). */
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { motoMissingReason, type RunningEmulator, startMoto } from '@cloudmux/emulators/aws';

export { motoMissingReason };

export const DUMMY_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
export const REGION = 'us-east-1';

let running: Promise<RunningEmulator> | undefined;

/** One moto per test file (vitest runs each file in its own worker). */
export function moto(): Promise<RunningEmulator> {
  running ??= startMoto();
  return running;
}

export async function stopMoto(): Promise<void> {
  if (running) await (await running).stop();
  running = undefined;
}

export function s3Config(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: REGION,
    credentials: { ...DUMMY_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

export async function createBucket(endpoint: string, bucket: string): Promise<void> {
  const client = new S3Client(s3Config(endpoint));
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
}

export function clientConfig(endpoint: string) {
  return { endpoint, region: REGION, credentials: { ...DUMMY_CREDENTIALS } };
}

export {
  type RedshiftDataServer,
  startRedshiftDataServer,
} from '@cloudmux/emulators/aws';
