/**
 * SecretStore contract × AWS Secrets Manager: against moto by default, real AWS with
 * CLOUDMUX_LIVE_AWS=1. Each case gets a unique name prefix; deletes are forced so a rerun can
 * reuse nothing and leaves nothing in a recovery window.
 */

import { createSecretsManagerSecretStore } from '@cloudmux/aws';
import { describeSecretStoreContract, describeUnavailable, uniqueName } from '@cloudmux/conformance';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import {
  AWS_LIVE,
  awsClientConfig,
  awsEndpoint,
  awsUnavailableReason,
  awsUrlTarget,
  stopSharedMoto,
} from '../src/endpoints/aws.ts';
import { LIVE_NO_FAULTS, proxiedTarget } from '../src/fault-target.ts';

const unavailable = awsUnavailableReason();
/** The name prefix each store create() made is bound to, for its URL. */
const prefixes = new WeakMap<object, string>();

if (unavailable) {
  describeUnavailable(
    vitest,
    { provider: 'aws', interface: 'secretStore', endpoint: awsEndpoint },
    unavailable,
  );
} else {
  afterAll(stopSharedMoto);
  describeSecretStoreContract(vitest, {
    provider: 'aws',
    endpoint: awsEndpoint,
    async create() {
      const prefix = `${uniqueName('cmx')}/`;
      const store = createSecretsManagerSecretStore({
        prefix,
        forceDelete: true,
        clientConfig: await awsClientConfig(),
      });
      prefixes.set(store, prefix);
      return store;
    },
    async openUrl(store) {
      const prefix = prefixes.get(store);
      return prefix
        ? awsUrlTarget(`awssecretsmanager:///${prefix}`, await awsClientConfig(), { forceDelete: 'true' })
        : 'a store this target did not create';
    },
    ...(AWS_LIVE
      ? {}
      : {
          skipCases: {
            'listVersions of a missing secret is NotFound':
              'moto 5.2.5 answers ListSecretVersionIds for a missing secret with HTTP 500 and an HTML page (AWS answers ResourceNotFoundException)',
          },
        }),
    async destroy(store) {
      await store.close();
    },
    ...(AWS_LIVE
      ? { noFaultsReason: LIVE_NO_FAULTS }
      : {
          faults: proxiedTarget({
            upstream: async () => (await awsClientConfig()).endpoint!,
            mode: 'http',
            flavor: 'aws',
            create: async (endpoint) =>
              createSecretsManagerSecretStore({
                prefix: `${uniqueName('cmx')}/`,
                forceDelete: true,
                clientConfig: { ...(await awsClientConfig()), endpoint },
              }),
          }),
        }),
  });
}
