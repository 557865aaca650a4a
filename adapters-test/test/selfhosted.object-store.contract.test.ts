/**
 * ObjectStore contract × an S3-compatible server (the self-hosted provider) on a real MinIO started
 * for this file: the AWS provider's S3 driver, configured by the self-hosted provider module
 * (endpoint, path-style URLs, credentials from the environment). Each adapter works under a unique
 * key prefix of one bucket; the oracle reads objects with the raw SDK.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createSelfhostedObjectStore } from '@cloudmux/selfhosted';
import { afterAll } from 'vitest';
import { describeObjectStoreContract } from '../src/contracts/object-store.ts';
import { MINIO_CREDENTIALS, MINIO_REGION } from '../src/emulators/selfhosted-minio.ts';
import {
  minioEndpoint,
  minioMissingReason,
  minioOptions,
  SELFHOSTED_TEST_ENV,
  sharedMinio,
  stopSelfhostedStack,
} from '../src/emulators/selfhosted-stack.ts';
import { proxiedTarget } from '../src/faults/fault-target.ts';
import { uniqueName } from '../src/harness.ts';
import { describeUnavailable } from '../src/unavailable.ts';

const unavailable = minioMissingReason();
let raw: Promise<S3Client> | undefined;

if (unavailable) {
  describeUnavailable(
    { provider: 'selfhosted', interface: 'objectStore', endpoint: minioEndpoint },
    unavailable,
  );
} else {
  afterAll(async () => {
    (await raw)?.destroy();
    await stopSelfhostedStack();
  });
  describeObjectStoreContract({
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
    openUrl: () =>
      's3:// URLs open the aws provider; the self-hosted provider gets its URL scheme with the one provider registry',
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
        const client = await raw;
        const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(store.uriOf(key));
        if (!match) throw new Error(`not an s3 URI: ${store.uriOf(key)}`);
        try {
          const response = await client.send(new GetObjectCommand({ Bucket: match[1], Key: match[2] }));
          return await response.Body!.transformToByteArray();
        } catch (error) {
          if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
          throw error;
        }
      },
    }),
  });
}
