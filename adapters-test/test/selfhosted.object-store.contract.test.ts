/**
 * ObjectStore contract × an S3-compatible server (the self-hosted provider) on a real MinIO started
 * for this file: the AWS provider's S3 driver, configured by the self-hosted provider module
 * (endpoint, path-style URLs, credentials from the environment). Each adapter works under a unique
 * key prefix of one bucket; the oracle reads objects with the raw SDK.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { describeObjectStoreContract, describeUnavailable, uniqueName } from '@cloudmux/conformance';
import { MINIO_CREDENTIALS, MINIO_REGION } from '@cloudmux/emulators/selfhosted';
import { createSelfhostedObjectStore } from '@cloudmux/selfhosted';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import {
  minioEndpoint,
  minioMissingReason,
  minioOptions,
  SELFHOSTED_TEST_ENV,
  sharedMinio,
  stopSelfhostedStack,
} from '../src/endpoints/selfhosted.ts';
import { proxiedTarget } from '../src/fault-target.ts';
import { rawS3Get } from '../src/s3-oracle.ts';

const unavailable = minioMissingReason();
let raw: Promise<S3Client> | undefined;

if (unavailable) {
  describeUnavailable(
    vitest,
    { provider: 'selfhosted', interface: 'objectStore', endpoint: minioEndpoint },
    unavailable,
  );
} else {
  afterAll(async () => {
    (await raw)?.destroy();
    await stopSelfhostedStack();
  });
  describeObjectStoreContract(vitest, {
    provider: 'selfhosted',
    endpoint: minioEndpoint,
    skipCases: {
      'faults: a create-only put whose reply is lost is not doubled':
        'known defect of the shared S3 driver (issue 11, the same skip as on aws): the AWS SDK retries a ' +
        'PutObject with If-None-Match: * after a lost reply, meets its own first write and reports AlreadyExists',
    },
    async create() {
      // The smallest part S3 allows, so the 20 MB streamed case really goes multipart.
      const options = await minioOptions();
      return createSelfhostedObjectStore(
        { ...options, s3: { ...options.s3!, partSizeBytes: 5 * 1024 * 1024 } },
        { env: SELFHOSTED_TEST_ENV },
        `${uniqueName('run')}/`,
      );
    },
    async destroy(store) {
      for await (const object of store.listAll()) await store.delete(object.key);
      await store.close();
    },
    faults: proxiedTarget({
      upstream: async () => (await sharedMinio()).endpoint,
      mode: 'http',
      flavor: 'aws',
      create: async (endpoint) =>
        createSelfhostedObjectStore(
          await minioOptions({}, endpoint),
          { env: SELFHOSTED_TEST_ENV },
          `${uniqueName('faults')}/`,
        ),
    }),
    async openUrl(store) {
      // The same bucket and prefix (store.location is s3://bucket/prefix/) on the same server; the
      // keys come from the environment, as in production, never from the URL.
      const endpoint = (await sharedMinio()).endpoint;
      return {
        url: `${store.location.replace(/^s3:/, 's3compat:')}?endpoint=${encodeURIComponent(endpoint)}`,
        env: SELFHOSTED_TEST_ENV,
      };
    },
    oracle: (store) => ({
      async rawGet(key) {
        raw ??= sharedMinio().then(
          ({ endpoint }) =>
            new S3Client({
              endpoint,
              region: MINIO_REGION,
              forcePathStyle: true,
              credentials: { ...MINIO_CREDENTIALS },
            }),
        );
        return rawS3Get(await raw, store.uriOf(key));
      },
    }),
  });
}
