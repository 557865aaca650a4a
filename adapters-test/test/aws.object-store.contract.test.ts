/**
 * ObjectStore contract × Amazon S3: against moto by default (fauxqs with
 * CLOUDMUX_AWS_EMULATOR=fauxqs), real AWS with CLOUDMUX_LIVE_AWS=1 (an existing bucket in
 * CLOUDMUX_AWS_BUCKET). Each adapter works under a unique key prefix of one bucket per file; the
 * oracle reads objects with the raw SDK.
 */

import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3ObjectStore } from '@cloudmux/aws';
import { describeObjectStoreContract, describeUnavailable, uniqueName } from '@cloudmux/conformance';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import {
  AWS_LIVE,
  awsUnavailableReason,
  S3_SQS_EMULATOR,
  s3ClientConfig,
  s3SqsEndpoint,
  stopSharedMoto,
  testBucket,
} from '../src/endpoints/aws.ts';
import { LIVE_NO_FAULTS, proxiedTarget } from '../src/fault-target.ts';

const unavailable = awsUnavailableReason('s3-sqs');

/** fauxqs documents that it ignores If-None-Match and If-Match on writes. */
const FAUXQS_GAPS = {
  createOnly:
    'fauxqs 2.4.1 ignores If-None-Match on PutObject (documented), so a second create-only write succeeds',
  compareAndSwap: 'fauxqs 2.4.1 ignores If-Match on PutObject (documented), so a stale etag is not rejected',
  copyCreateOnly: 'fauxqs 2.4.1 ignores If-None-Match on CopyObject',
};

/** Cases fauxqs gets wrong (found by running this suite against it). */
const FAUXQS_SKIPS = {
  'unicode keys round-trip and list in UTF-8 byte order':
    'fauxqs 2.4.1 lists keys in UTF-16 code-unit order (emoji before BMP characters), S3 in UTF-8 byte order',
  'a key containing a literal %2F is distinct from one with a slash':
    'fauxqs 2.4.1 decodes %2F in the request path, so a%2Fb and a/b become the same key',
};

/** Found by the fault group; the S3 adapter must tell its own earlier write from someone else's. */
const LOST_REPLY_CREATE_ONLY = {
  'faults: a create-only put whose reply is lost is not doubled':
    'known defect (issue 11, found by this fault group): the AWS SDK retries a PutObject with If-None-Match: * ' +
    'after a lost reply (ECONNRESET is transient to it); the retry meets the object the first attempt wrote and ' +
    'gets 412, so the caller is told AlreadyExists for its own write instead of success or a retryable error',
};

/** moto honours conditional PutObject but not a conditional CopyObject. */
/**
 * moto checks If-Match and then writes without a lock (moto/s3/responses.py, put_object handler:
 * `get_object` → etag compare → `backend.put_object`) while its server handles requests on threads,
 * so two concurrent PUTs with the same If-Match can both succeed: seen as 49 of 50 increments on a
 * loaded machine. S3 itself makes the conditional write atomic; the case runs live.
 */
const MOTO_SKIPS = {
  'racing create-only writers: exactly one wins':
    'endpoint gap: moto 5.2.5 checks If-None-Match and writes without a lock on a threaded server, so two ' +
    'racing create-only PUTs can both succeed (seen under load); S3 makes them atomic',
  '5 workers × 10 compare-and-swap increments end at exactly 50':
    'endpoint gap: moto 5.2.5 checks If-Match and writes without a lock on a threaded server, so concurrent ' +
    'conditional PUTs can both succeed (a lost update under load); S3 makes them atomic',
};

const MOTO_GAPS = {
  copyCreateOnly:
    'moto 5.2.5 ignores If-None-Match on CopyObject and overwrites the target (AWS answers 412)',
};

let bucket: Promise<string> | undefined;
let raw: Promise<S3Client> | undefined;

if (unavailable) {
  describeUnavailable(
    vitest,
    { provider: 'aws', interface: 'objectStore', endpoint: s3SqsEndpoint },
    unavailable,
  );
} else {
  afterAll(async () => {
    (await raw)?.destroy();
    await stopSharedMoto();
  });
  describeObjectStoreContract(vitest, {
    provider: 'aws',
    endpoint: s3SqsEndpoint,
    ...(AWS_LIVE ? {} : { endpointGaps: S3_SQS_EMULATOR === 'fauxqs' ? FAUXQS_GAPS : MOTO_GAPS }),
    ...(AWS_LIVE
      ? {}
      : {
          skipCases: {
            ...LOST_REPLY_CREATE_ONLY,
            ...(S3_SQS_EMULATOR === 'fauxqs' ? FAUXQS_SKIPS : MOTO_SKIPS),
          },
        }),
    async create() {
      bucket ??= testBucket(uniqueName('cmx-os'));
      return createS3ObjectStore({
        bucket: await bucket,
        prefix: `${uniqueName('run')}/`,
        clientConfig: await s3ClientConfig(),
        // The smallest part S3 allows, so the 20 MB streamed case really goes multipart.
        partSizeBytes: 5 * 1024 * 1024,
      });
    },
    async destroy(store) {
      for await (const object of store.listAll()) await store.delete(object.key);
      await store.close();
    },
    ...(AWS_LIVE
      ? { noFaultsReason: LIVE_NO_FAULTS }
      : {
          faults: proxiedTarget({
            upstream: async () => (await s3ClientConfig()).endpoint as string,
            mode: 'http',
            flavor: 'aws',
            create: async (endpoint) => {
              bucket ??= testBucket(uniqueName('cmx-os'));
              return createS3ObjectStore({
                bucket: await bucket,
                prefix: `${uniqueName('faults')}/`,
                clientConfig: { ...(await s3ClientConfig()), endpoint },
              });
            },
          }),
        }),
    async openUrl(store) {
      // The same bucket and prefix (store.location), the same endpoint settings; the emulator's
      // dummy credentials go beside the URL, never in it.
      const config = await s3ClientConfig();
      const query = new URLSearchParams();
      if (typeof config.region === 'string') query.set('region', config.region);
      if (typeof config.endpoint === 'string') query.set('endpoint', config.endpoint);
      if (config.forcePathStyle) query.set('forcePathStyle', 'true');
      if (typeof config.requestChecksumCalculation === 'string') {
        query.set('requestChecksumCalculation', config.requestChecksumCalculation);
      }
      const url = `${store.location}${query.size > 0 ? `?${query}` : ''}`;
      const credentials = config.credentials as { accessKeyId: string; secretAccessKey: string } | undefined;
      return credentials && typeof credentials === 'object' && 'accessKeyId' in credentials
        ? { url, providerOptions: { credentials: { ...credentials } } }
        : { url };
    },
    oracle: (store) => ({
      async rawGet(key) {
        raw ??= s3ClientConfig().then((config) => new S3Client(config));
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
