import { requireProviderSection } from '@cloudmux/core';
import { z } from 'zod';

const url = z.string().url();

/**
 * Options of the AWS provider (`providers.aws` in the config). Credentials come from the SDK's
 * default chain (environment, shared profiles, SSO, web identity/IRSA, assume-role); explicit
 * `credentials` exist only for emulators, which accept any key.
 */
/** How streamed uploads are split: S3's multipart rules, shared by every S3-compatible provider. */
export const S3_MULTIPART_OPTIONS = {
  /** Streams larger than this upload in parts of this size (min 5 MiB). Default 8 MiB. */
  partSizeBytes: z
    .number()
    .int()
    .min(5 * 1024 * 1024)
    .default(8 * 1024 * 1024),
  /** Parts uploaded at once per multipart upload. Default 4. */
  partConcurrency: z.number().int().min(1).max(32).default(4),
};

export const awsOptionsSchema = z
  .object({
    /** AWS region, e.g. `eu-west-1`. Default: the SDK chain (AWS_REGION, profile). */
    region: z.string().min(1).optional(),
    /** Endpoint overrides per service, for emulators, VPC endpoints or FIPS endpoints. */
    endpoints: z
      .object({
        s3: url.optional(),
        sqs: url.optional(),
        redshiftData: url.optional(),
        secretsManager: url.optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Static credentials. Only for emulators: real deployments leave this unset and let the SDK's
     * default chain find credentials, so no key is ever written into a config file.
     */
    credentials: z
      .object({
        accessKeyId: z.string().min(1),
        secretAccessKey: z.string().min(1),
        sessionToken: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    /** The object store: one bucket, optionally under a key prefix. */
    s3: z
      .object({
        /** Bucket holding the objects (must exist). */
        bucket: z.string().min(3),
        /** Key prefix every key is stored under, e.g. `lake/`; a trailing `/` is added when missing. */
        prefix: z.string().optional(),
        /** Path-style URLs (`endpoint/bucket/key`); emulators need it. Default false. */
        forcePathStyle: z.boolean().default(false),
        /**
         * When to send request checksums. `WHEN_REQUIRED` for emulators that mis-handle the SDK's
         * default streaming checksums. Default: the SDK's (`WHEN_SUPPORTED`).
         */
        requestChecksumCalculation: z.enum(['WHEN_SUPPORTED', 'WHEN_REQUIRED']).optional(),
        ...S3_MULTIPART_OPTIONS,
      })
      .strict()
      .optional(),
    /** The queue service. */
    sqs: z
      .object({
        /** Prefix of every queue name cloudmux creates or uses, e.g. `prod-`. Default none. */
        queuePrefix: z.string().default(''),
      })
      .strict()
      .prefault({}),
    /** The warehouse, through the Redshift Data API. */
    redshift: z
      .object({
        /** Redshift Serverless workgroup (set this or `clusterIdentifier`). */
        workgroupName: z.string().min(1).optional(),
        /** Provisioned cluster (set this or `workgroupName`). */
        clusterIdentifier: z.string().min(1).optional(),
        /** Provisioned clusters: database user for temporary credentials (or use `secretArn`). */
        dbUser: z.string().min(1).optional(),
        /** Secrets Manager ARN holding database credentials (either deployment type). */
        secretArn: z.string().min(1).optional(),
        /** Database name. */
        database: z.string().min(1),
        /** Schema tables are created in. Default `public`. */
        schema: z.string().min(1).default('public'),
        /** IAM role Redshift assumes to read S3 for COPY (`loadFromObjects`). */
        iamRoleArn: z.string().min(1).optional(),
        /** First DescribeStatement poll delay; doubles up to `maxPollIntervalMs`. Default 50 ms. */
        pollIntervalMs: z.number().int().min(1).default(50),
        /** Ceiling of the poll delay. Default 2000 ms. */
        maxPollIntervalMs: z.number().int().min(1).default(2000),
        /** Give up waiting (and cancel the statement) after this long. Default 15 minutes. */
        statementTimeoutMs: z
          .number()
          .int()
          .min(1)
          .default(15 * 60_000),
      })
      .strict()
      .refine((r) => Boolean(r.workgroupName) !== Boolean(r.clusterIdentifier), {
        message: 'set exactly one of workgroupName (Serverless) or clusterIdentifier (provisioned)',
      })
      .optional(),
    /** The secret store. */
    secretsManager: z
      .object({
        /** Prefix of every secret name, e.g. `cloudmux/prod/`. Default none. */
        prefix: z.string().default(''),
        /** Days a deleted secret stays recoverable (7–30). Default 7. */
        recoveryWindowDays: z.number().int().min(7).max(30).default(7),
        /** Delete immediately, without a recovery window. Default false. */
        forceDelete: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type AwsOptions = z.output<typeof awsOptionsSchema>;
export type AwsOptionsInput = z.input<typeof awsOptionsSchema>;

/** The config section a resource needs, or a ConfigError naming it. */
export function requireSection<K extends 's3' | 'redshift'>(
  options: AwsOptions,
  key: K,
  example: string,
): NonNullable<AwsOptions[K]> {
  return requireProviderSection('aws', key, options[key] as NonNullable<AwsOptions[K]> | undefined, example);
}

/** The client settings shared by every service client. */
export interface AwsClientSettings {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export function clientSettings(
  options: Pick<AwsOptions, 'region' | 'credentials' | 'endpoints'>,
  service: keyof AwsOptions['endpoints'],
): AwsClientSettings {
  return {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoints[service] ? { endpoint: options.endpoints[service] } : {}),
    ...(options.credentials ? { credentials: sdkCredentials(options.credentials) } : {}),
  };
}

/**
 * Static credentials as the SDK takes them: a fresh object (the SDK annotates the one it is given)
 * without a `sessionToken` key when there is none.
 */
export function sdkCredentials(
  credentials: NonNullable<AwsOptions['credentials']>,
): NonNullable<AwsClientSettings['credentials']> {
  const { accessKeyId, secretAccessKey, sessionToken } = credentials;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}
