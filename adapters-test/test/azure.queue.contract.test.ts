/**
 * Queue contract × Azure Queue Storage: against Azurite by default, against a real storage account
 * with CLOUDMUX_LIVE_AZURE=1.
 */

import { DefaultAzureCredential } from '@azure/identity';
import { QueueServiceClient, StorageSharedKeyCredential } from '@azure/storage-queue';
import { createQueueStorageQueue } from '@cloudmux/azure';
import { describeQueueContract, describeUnavailable, uniqueName } from '@cloudmux/conformance';
import {
  AZURE_FAULT_RETRY,
  AZURITE_ACCOUNT,
  AZURITE_KEY,
  type AzuriteInstance,
  azuriteEntry,
  azuriteThroughProxy,
  startAzurite,
} from '@cloudmux/emulators/azure';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import { AZURE_LIVE, liveEnv } from '../src/endpoints/azure.ts';
import { LIVE_NO_FAULTS, proxiedTarget } from '../src/fault-target.ts';

let azurite: Promise<AzuriteInstance> | undefined;
afterAll(async () => {
  await (await azurite)?.stop();
});

if (!AZURE_LIVE && !azuriteEntry()) {
  describeUnavailable(
    vitest,
    { provider: 'azure', interface: 'queue', endpoint: 'emulator:azurite' },
    'azurite is not installed (a devDependency of adapters-test: run pnpm install)',
  );
} else {
  describeQueueContract(vitest, {
    provider: 'azure',
    endpoint: AZURE_LIVE ? 'live' : 'emulator:azurite',
    async create() {
      if (AZURE_LIVE) {
        return createQueueStorageQueue({
          accountUrl: liveEnv('AZURE_QUEUE_ACCOUNT_URL'),
          credential: new DefaultAzureCredential(),
          queuePrefix: process.env.AZURE_QUEUE_PREFIX ?? '',
        });
      }
      azurite ??= startAzurite();
      return createQueueStorageQueue({ connectionString: (await azurite).connectionString });
    },
    async destroy(queue) {
      await queue.close();
    },
    async openUrl() {
      if (AZURE_LIVE) {
        const accountUrl = encodeURIComponent(liveEnv('AZURE_QUEUE_ACCOUNT_URL'));
        return { url: `azqueue:///${process.env.AZURE_QUEUE_PREFIX ?? ''}?accountUrl=${accountUrl}` };
      }
      // Azurite's connection string carries its well-known dev key: through the environment, as in production.
      azurite ??= startAzurite();
      return {
        url: 'azqueue://',
        env: { AZURE_STORAGE_CONNECTION_STRING: (await azurite).connectionString },
      };
    },
    ...(AZURE_LIVE
      ? { noFaultsReason: LIVE_NO_FAULTS }
      : {
          faults: proxiedTarget({
            upstream: async () => {
              azurite ??= startAzurite();
              return (await azurite).queueEndpoint;
            },
            mode: 'http',
            flavor: 'azure-storage',
            create: async (endpoint) =>
              createQueueStorageQueue({
                serviceClient: new QueueServiceClient(
                  azuriteThroughProxy(endpoint),
                  new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
                  AZURE_FAULT_RETRY,
                ),
                queuePrefix: `${uniqueName('f')}-`,
              }),
          }),
        }),
  });
}
