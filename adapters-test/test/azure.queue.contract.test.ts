/**
 * Queue contract × Azure Queue Storage: against Azurite by default, against a real storage account
 * with CLOUDMUX_LIVE_AZURE=1.
 */
import { DefaultAzureCredential } from '@azure/identity';
import { createQueueStorageQueue } from '@cloudmux/azure';
import { afterAll } from 'vitest';
import { describeQueueContract } from '../src/contracts/queue.ts';
import { AZURE_LIVE, liveEnv } from '../src/emulators/azure-live.ts';
import { type AzuriteInstance, azuriteEntry, startAzurite } from '../src/emulators/azurite.ts';
import { describeUnavailable } from '../src/unavailable.ts';

let azurite: Promise<AzuriteInstance> | undefined;
afterAll(async () => {
  await (await azurite)?.stop();
});

if (!AZURE_LIVE && !azuriteEntry()) {
  describeUnavailable(
    { provider: 'azure', interface: 'queue', endpoint: 'emulator:azurite' },
    'azurite is not installed (a devDependency of adapters-test: run pnpm install)',
  );
} else {
  describeQueueContract({
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
  });
}
