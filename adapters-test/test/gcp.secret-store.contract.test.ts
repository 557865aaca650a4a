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
/** The id prefix each store create() made is bound to, for its URL. */
const prefixes = new WeakMap<object, string>();

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
      let store: Awaited<ReturnType<typeof createSecretManagerSecretStore>>;
      if (gcpLive) {
        const live = gcpLiveConfig() as Exclude<ReturnType<typeof gcpLiveConfig>, string>;
        store = createSecretManagerSecretStore({ projectId: live.projectId, prefix });
      } else {
        const server = await sharedSecretManager.get();
        store = createSecretManagerSecretStore({
          projectId: EMULATOR_PROJECT,
          prefix,
          apiEndpoint: server.endpoint,
        });
      }
      prefixes.set(store, prefix);
      return store;
    },
    async openUrl(store) {
      const prefix = prefixes.get(store);
      if (!prefix) return 'a store this target did not create';
      if (gcpLive) {
        const live = gcpLiveConfig() as Exclude<ReturnType<typeof gcpLiveConfig>, string>;
        return { url: `gcpsecretmanager://${live.projectId}/${prefix}` };
      }
      const endpoint = encodeURIComponent((await sharedSecretManager.get()).endpoint);
      return { url: `gcpsecretmanager://${EMULATOR_PROJECT}/${prefix}?endpoint=${endpoint}` };
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
