/**
 * SecretStore contract × the self-hosted provider's encrypted secrets on a real MinIO started for
 * this file. Each adapter gets a unique key prefix in one bucket; the key comes from the
 * environment as in production (a fixed test key).
 */

import { describeSecretStoreContract, describeUnavailable, uniqueName } from '@cloudmux/conformance';
import { createSecretStore } from '@cloudmux/selfhosted';
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

const unavailable = minioMissingReason();
const context = { env: SELFHOSTED_TEST_ENV, baseDir: process.cwd() };
const secretPrefix = () => ({ secretStore: { prefix: `${uniqueName('secrets')}/` } });
/** The bucket and prefix each store create() made is bound to, for its URL. */
const locations = new WeakMap<object, { bucket: string; prefix: string }>();

if (unavailable) {
  describeUnavailable(
    vitest,
    { provider: 'selfhosted', interface: 'secretStore', endpoint: minioEndpoint },
    unavailable,
  );
} else {
  afterAll(stopSelfhostedStack);
  describeSecretStoreContract(vitest, {
    provider: 'selfhosted',
    endpoint: minioEndpoint,
    async create() {
      const options = await minioOptions(secretPrefix());
      const store = await createSecretStore(options, context);
      locations.set(store, { bucket: options.s3!.bucket, prefix: options.secretStore.prefix });
      return store;
    },
    async openUrl(store) {
      // Keys (S3 and the secret key) come from the environment, never from the URL.
      const { bucket, prefix } = locations.get(store)!;
      const endpoint = encodeURIComponent((await sharedMinio()).endpoint);
      return { url: `s3secrets://${bucket}/${prefix}?endpoint=${endpoint}`, env: SELFHOSTED_TEST_ENV };
    },
    async destroy(store) {
      await store.close();
    },
    faults: proxiedTarget({
      upstream: async () => (await sharedMinio()).endpoint,
      mode: 'http',
      flavor: 'aws',
      create: async (endpoint) => createSecretStore(await minioOptions(secretPrefix(), endpoint), context),
    }),
  });
}
