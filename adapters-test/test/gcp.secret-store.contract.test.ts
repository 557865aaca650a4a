/**
 * SecretStore contract × Secret Manager: the gRPC test server (adapters-test/src/emulators/
 * secret-manager-server.ts) by default, a real project with CLOUDMUX_LIVE_GCP=1. Each adapter gets
 * a unique secret prefix; the suite deletes the secrets it makes.
 */

import { describeSecretStoreContract, describeUnavailable, uniqueName } from '@cloudmux/conformance';
import { createSecretManagerSecretStore } from '@cloudmux/gcp';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import {
  EMULATOR_PROJECT,
  gcpLive,
  gcpLiveConfig,
  gcpUnavailableReason,
  secretManagerEndpoint,
  sharedSecretManager,
} from '../src/endpoints/gcp.ts';
import { GRPC_FAULTS_UNSUPPORTED, LIVE_NO_FAULTS, proxiedTarget } from '../src/fault-target.ts';

const unavailable = gcpUnavailableReason({});

if (unavailable) {
  describeUnavailable(
    vitest,
    { provider: 'gcp', interface: 'secretStore', endpoint: secretManagerEndpoint },
    unavailable,
  );
} else {
  afterAll(() => sharedSecretManager.stop());
  describeSecretStoreContract(vitest, {
    provider: 'gcp',
    endpoint: secretManagerEndpoint,
    async create() {
      const prefix = `${uniqueName('cmx')}-`;
      if (gcpLive) {
        const live = gcpLiveConfig() as Exclude<ReturnType<typeof gcpLiveConfig>, string>;
        return createSecretManagerSecretStore({ projectId: live.projectId, prefix });
      }
      const server = await sharedSecretManager.get();
      return createSecretManagerSecretStore({
        projectId: EMULATOR_PROJECT,
        prefix,
        apiEndpoint: server.endpoint,
      });
    },
    async destroy(store) {
      await store.close();
    },
    ...(gcpLive
      ? { noFaultsReason: LIVE_NO_FAULTS }
      : {
          faults: proxiedTarget({
            upstream: async () => (await sharedSecretManager.get()).endpoint,
            mode: 'tcp',
            unsupported: GRPC_FAULTS_UNSUPPORTED,
            create: async (_endpoint, proxy) =>
              createSecretManagerSecretStore({
                projectId: EMULATOR_PROJECT,
                prefix: `${uniqueName('cmx')}-`,
                apiEndpoint: `${proxy.host}:${proxy.port}`,
              }),
          }),
        }),
  });
}
