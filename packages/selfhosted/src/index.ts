import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createS3ObjectStore } from '@cloudmux/aws';
import { ConfigError, type ProviderContext } from '@cloudmux/core';
import { createNatsQueue } from './nats-queue/index.ts';
import { requireEnv, requireSection, type SelfhostedOptions, selfhostedOptionsSchema } from './options.ts';
import { createS3SecretStore } from './s3-secret-store.ts';
import { createTrinoWarehouse } from './trino-warehouse.ts';

export * from './nats-errors.ts';
export * from './nats-queue/index.ts';
export * from './options.ts';
export * from './s3-secret-store.ts';
export * from './trino-warehouse.ts';

/** Provider module: the registry imports this package when config chooses `selfhosted`. */
export const providerName = 'selfhosted';
export const optionsSchema = selfhostedOptionsSchema;

const S3_EXAMPLE = '{ "endpoint": "http://minio.internal:9000", "bucket": "lake" }';

/**
 * The object store: the AWS provider's S3 driver, pointed at the server with path-style URLs
 * (most S3-compatible servers do not serve bucket sub-domains) and the checksums S3 requires only,
 * which every S3-compatible server accepts.
 */
export function createSelfhostedObjectStore(
  options: SelfhostedOptions,
  context: Pick<ProviderContext, 'env'>,
  prefix?: string,
) {
  const s3 = requireSection(options, 's3', S3_EXAMPLE);
  const field = 'providers.selfhosted.s3';
  return createS3ObjectStore({
    provider: providerName,
    bucket: s3.bucket,
    ...(prefix !== undefined || s3.prefix ? { prefix: `${s3.prefix ?? ''}${prefix ?? ''}` } : {}),
    partSizeBytes: s3.partSizeBytes,
    partConcurrency: s3.partConcurrency,
    // Found by the object-store contract on MinIO: CopyObject ignores If-None-Match and overwrites
    // the target, so a create-only copy is refused (Unsupported) rather than silently overwriting.
    capabilities: { copyCreateOnly: false },
    clientConfig: {
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      credentials: s3.credentials
        ? { ...s3.credentials }
        : {
            accessKeyId: requireEnv(context.env, s3.accessKeyEnv, `${field}.accessKeyEnv`),
            secretAccessKey: requireEnv(context.env, s3.secretKeyEnv, `${field}.secretKeyEnv`),
          },
    },
  });
}

export function createObjectStore(options: SelfhostedOptions, context: ProviderContext) {
  return createSelfhostedObjectStore(options, context);
}

export function createQueue(options: SelfhostedOptions, context: ProviderContext) {
  const nats = requireSection(options, 'nats', '{ "servers": "nats://nats.internal:4222" }');
  const token = context.env[nats.tokenEnv];
  return createNatsQueue({
    servers: nats.servers,
    streamPrefix: nats.streamPrefix,
    ...(token ? { token } : {}),
  });
}

export async function createSecretStore(options: SelfhostedOptions, context: ProviderContext) {
  const { keyEnv, keyFile, prefix } = options.secretStore;
  const fromEnv = context.env[keyEnv];
  const file = !fromEnv && keyFile ? resolve(context.baseDir, keyFile) : undefined;
  const key = fromEnv ?? (file ? await readKeyFile(file) : undefined);
  return createS3SecretStore({
    objects: createSelfhostedObjectStore(options, context),
    prefix,
    key,
    keySource: file ?? keyEnv,
  });
}

async function readKeyFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError({
      field: 'providers.selfhosted.secretStore.keyFile',
      problem: `cannot read ${file} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
      fix: 'restore the key file, or set the key in the variable named by secretStore.keyEnv',
      cause,
    });
  }
}

export function createWarehouse(options: SelfhostedOptions, context: ProviderContext) {
  const trino = requireSection(
    options,
    'trino',
    '{ "endpoint": "http://trino.internal:8080", "catalog": "lake" }',
  );
  const password = context.env[trino.passwordEnv];
  return createTrinoWarehouse({
    endpoint: trino.endpoint,
    catalog: trino.catalog,
    schema: trino.schema,
    user: trino.user,
    maxStatementLength: trino.maxStatementLength,
    ...(password ? { password } : {}),
  });
}
