/**
 * SecretStore contract × the self-hosted provider's encrypted secrets on a real MinIO started for
 * this file. Each adapter gets a unique key prefix in one bucket; the key comes from the
 * environment as in production (a fixed test key).
 */
import { createSecretStore } from '@cloudmux/selfhosted';
import { afterAll } from 'vitest';
import { describeSecretStoreContract } from '../src/contracts/secret-store.ts';
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
const context = { env: SELFHOSTED_TEST_ENV, baseDir: process.cwd() };
const secretPrefix = () => ({ secretStore: { prefix: `${uniqueName('secrets')}/` } });

if (unavailable) {
  describeUnavailable(
    { provider: 'selfhosted', interface: 'secretStore', endpoint: minioEndpoint },
    unavailable,
  );
} else {
  afterAll(stopSelfhostedStack);
  describeSecretStoreContract({
    provider: 'selfhosted',
    endpoint: minioEndpoint,
    async create() {
      return createSecretStore(await minioOptions(secretPrefix()), context);
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
