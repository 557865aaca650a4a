/**
 * AWS endpoints for the contract suites: the emulators by default (moto for S3, SQS and Secrets
 * Manager; the Redshift Data API test server on PGlite), real AWS with CLOUDMUX_LIVE_AWS=1.
 *
 * Live mode reads resource names from the environment and takes credentials and region from the
 * SDK's default chain:
 *   CLOUDMUX_LIVE_AWS=1 AWS_REGION=…
 *   CLOUDMUX_AWS_BUCKET=…                  (existing bucket; each run uses a unique key prefix)
 *   CLOUDMUX_AWS_REDSHIFT_WORKGROUP=… | CLOUDMUX_AWS_REDSHIFT_CLUSTER=… + CLOUDMUX_AWS_REDSHIFT_DB_USER=…
 *   CLOUDMUX_AWS_REDSHIFT_DATABASE=…  CLOUDMUX_AWS_REDSHIFT_IAM_ROLE=…  (role COPY assumes)
 * Queues and secrets are created under unique prefixes and removed after each case.
 */
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { Endpoint } from '@cloudmux/conformance';
import { motoMissingReason, type RunningEmulator, startMoto } from '@cloudmux/emulators/aws';

export const AWS_LIVE = process.env.CLOUDMUX_LIVE_AWS === '1';
export const REGION = process.env.AWS_REGION ?? 'us-east-1';
const DUMMY_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

/**
 * The emulator behind S3 and SQS: `moto` (default) or `fauxqs` (CLOUDMUX_AWS_EMULATOR=fauxqs).
 * Secrets Manager always runs on moto; fauxqs does not emulate it.
 */
export const S3_SQS_EMULATOR = process.env.CLOUDMUX_AWS_EMULATOR === 'fauxqs' ? 'fauxqs' : 'moto';

export const awsEndpoint: Endpoint = AWS_LIVE ? 'live' : 'emulator:moto';
export const s3SqsEndpoint: Endpoint = AWS_LIVE ? 'live' : `emulator:${S3_SQS_EMULATOR}`;

/** Why the AWS suites cannot run here, or undefined. */
export function awsUnavailableReason(service: 's3-sqs' | 'moto' = 'moto'): string | undefined {
  if (AWS_LIVE) {
    return process.env.CLOUDMUX_AWS_BUCKET ? undefined : 'CLOUDMUX_LIVE_AWS=1 needs CLOUDMUX_AWS_BUCKET';
  }
  return service === 's3-sqs' && S3_SQS_EMULATOR === 'fauxqs' ? undefined : motoMissingReason();
}

export function liveEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`live AWS mode needs ${name}`);
  return value;
}

let moto: Promise<RunningEmulator> | undefined;
let fauxqs: Promise<RunningEmulator> | undefined;

/** One moto per test file, started on first use. */
export function sharedMoto(): Promise<RunningEmulator> {
  moto ??= startMoto();
  return moto;
}

export async function stopSharedMoto(): Promise<void> {
  const running = [moto, fauxqs];
  moto = undefined;
  fauxqs = undefined;
  for (const emulator of running) if (emulator) await (await emulator).stop();
}

function s3SqsEmulator(): Promise<RunningEmulator> {
  if (S3_SQS_EMULATOR === 'moto') return sharedMoto();
  fauxqs ??= import('@cloudmux/emulators/aws/fauxqs').then((m) => m.startFauxqsEmulator());
  return fauxqs;
}

interface ClientSettings {
  region: string;
  endpoint?: string;
  credentials?: typeof DUMMY_CREDENTIALS;
}

/** Secrets Manager settings: moto's endpoint and dummy keys, or nothing in live mode. */
export async function awsClientConfig(): Promise<ClientSettings> {
  if (AWS_LIVE) return { region: REGION };
  const { endpoint } = await sharedMoto();
  return { region: REGION, endpoint, credentials: { ...DUMMY_CREDENTIALS } };
}

/** SQS settings: the chosen S3/SQS emulator, or nothing in live mode. */
export async function sqsClientConfig(): Promise<ClientSettings> {
  if (AWS_LIVE) return { region: REGION };
  const { endpoint } = await s3SqsEmulator();
  return { region: REGION, endpoint, credentials: { ...DUMMY_CREDENTIALS } };
}

/** S3 settings; emulators need path-style URLs and only the checksums S3 requires. */
export async function s3ClientConfig(): Promise<S3ClientConfig> {
  const base = await sqsClientConfig();
  if (AWS_LIVE) return base;
  return {
    ...base,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** The bucket a run writes to: a fresh one on the emulator, the configured one live. */
export async function testBucket(name: string): Promise<string> {
  if (AWS_LIVE) return liveEnv('CLOUDMUX_AWS_BUCKET');
  const client = new S3Client(await s3ClientConfig());
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
  return name;
}

/**
 * A resource URL for these client settings (`sqs:///prefix-`, `redshift://wg/db`, …): region and
 * endpoint go in the URL as an app would write them; the emulator's dummy credentials go beside it,
 * as provider options, never in it.
 */
export function awsUrlTarget(
  base: string,
  settings: ClientSettings,
  query: Record<string, string> = {},
): { url: string; providerOptions?: Record<string, unknown> } {
  const params = new URLSearchParams(query);
  if (settings.region) params.set('region', settings.region);
  if (settings.endpoint) params.set('endpoint', settings.endpoint);
  const url = `${base}${params.size > 0 ? `?${params}` : ''}`;
  return settings.credentials
    ? { url, providerOptions: { credentials: { ...settings.credentials } } }
    : { url };
}
