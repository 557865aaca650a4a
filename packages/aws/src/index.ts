import { ConfigError } from '@cloudmux/core';
import { type AwsOptions, awsOptionsSchema, clientSettings, requireSection } from './options.ts';
import { createRedshiftWarehouse } from './redshift-warehouse.ts';
import { createS3ObjectStore } from './s3-object-store.ts';
import { createSecretsManagerSecretStore } from './secrets-manager-secret-store.ts';
import { createSqsQueue } from './sqs-queue.ts';

// Named exports only: factories, their options and the provider module. The error helpers
// (errors.ts) and limits tables are internal to the drivers.
export {
  type AwsClientSettings,
  type AwsOptions,
  type AwsOptionsInput,
  awsOptionsSchema,
  clientSettings,
  S3_MULTIPART_OPTIONS,
  sdkCredentials,
} from './options.ts';
export {
  createRedshiftWarehouse,
  createRedshiftWarehouseDriver,
  type RedshiftWarehouseOptions,
} from './redshift-warehouse.ts';
export {
  createS3ObjectStore,
  createS3ObjectStoreDriver,
  type S3ObjectStoreOptions,
} from './s3-object-store.ts';
export {
  createSecretsManagerSecretStore,
  createSecretsManagerSecretStoreDriver,
  type SecretsManagerSecretStoreOptions,
} from './secrets-manager-secret-store.ts';
export { createSqsQueue, createSqsQueueDriver, type SqsQueueOptions } from './sqs-queue.ts';

/** Provider module: the registry imports this package when config chooses `aws`. */
export const providerName = 'aws';
export const optionsSchema = awsOptionsSchema;

export function createObjectStore(options: AwsOptions) {
  const s3 = requireSection(options, 's3', '{ "bucket": "my-lake" }');
  return createS3ObjectStore({
    bucket: s3.bucket,
    ...(s3.prefix ? { prefix: s3.prefix } : {}),
    partSizeBytes: s3.partSizeBytes,
    partConcurrency: s3.partConcurrency,
    clientConfig: {
      ...clientSettings(options, 's3'),
      forcePathStyle: s3.forcePathStyle,
      ...(s3.requestChecksumCalculation
        ? {
            requestChecksumCalculation: s3.requestChecksumCalculation,
            responseChecksumValidation: s3.requestChecksumCalculation,
          }
        : {}),
    },
  });
}

export function createQueue(options: AwsOptions) {
  return createSqsQueue({
    queuePrefix: options.sqs.queuePrefix,
    clientConfig: clientSettings(options, 'sqs'),
  });
}

export function createWarehouse(options: AwsOptions) {
  const redshift = requireSection(options, 'redshift', '{ "workgroupName": "analytics", "database": "dev" }');
  if (redshift.clusterIdentifier && !redshift.dbUser && !redshift.secretArn) {
    throw new ConfigError({
      field: 'providers.aws.redshift.dbUser',
      problem: 'a provisioned cluster needs dbUser (temporary credentials) or secretArn',
      fix: 'set providers.aws.redshift.dbUser or providers.aws.redshift.secretArn',
    });
  }
  return createRedshiftWarehouse({
    ...redshift,
    clientConfig: clientSettings(options, 'redshiftData'),
  });
}

export function createSecretStore(options: AwsOptions) {
  return createSecretsManagerSecretStore({
    prefix: options.secretsManager.prefix,
    recoveryWindowDays: options.secretsManager.recoveryWindowDays,
    forceDelete: options.secretsManager.forceDelete,
    clientConfig: clientSettings(options, 'secretsManager'),
  });
}
