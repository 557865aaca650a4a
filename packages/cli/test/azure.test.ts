import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { CloudmuxError } from '@cloudmux/core';
import {
  type EmulatorStack,
  emulatorStackUnavailable,
  PROVIDER_MODULES_ENV,
  startAzureStack,
} from '@cloudmux/emulator-stacks';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDoctor } from '../src/doctor/run.ts';
import { provisionAzure, teardownAzure } from '../src/provision/azure.ts';
import { checkOf, statuses, stubNoCredentials, tempDir, writeConfig } from './helpers.ts';

const missing = emulatorStackUnavailable('azure');

describe.skipIf(missing)(
  `cloudmux doctor, provision and teardown on the Azure emulator stack${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    let stack: EmulatorStack;
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    const azureOf = () =>
      structuredClone((stack.config.providers as Record<string, Record<string, unknown>>).azure!);
    const connectionString = () => (azureOf().blob as { connectionString: string }).connectionString;
    const doctor = async (azure: Record<string, unknown>, resources: Record<string, string>) =>
      runDoctor({
        configFile: await writeConfig(tmp.dir, { resources, providers: { azure } }),
        cwd: tmp.dir,
      });
    const providerModules = () =>
      JSON.parse(process.env[PROVIDER_MODULES_ENV] ?? '{}') as Record<string, string>;

    beforeAll(async () => {
      const started = await startAzureStack();
      if ('skipped' in started) throw new Error(started.skipped);
      stack = started;
      tmp = await tempDir();
    });
    afterAll(async () => {
      await stack?.stop();
      await tmp?.remove();
    });
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('doctor passes for Blob and Queue (connection string) and Synapse (SQL login) without any Entra ID credential', async () => {
      stubNoCredentials(tmp.dir);
      const report = await doctor(azureOf(), {
        objectStore: 'azure',
        queue: 'azure',
        warehouse: 'azure',
        secretStore: 'local',
      });
      expect(statuses(report)).toMatchObject({
        config: 'ok',
        'azure credentials': 'ok',
        'azure region': 'skipped',
        'azure access:objectStore': 'ok',
        'azure access:warehouse': 'ok',
        'azure clock': 'ok',
      });
      expect(report.ok).toBe(true);
    });

    it('doctor: Key Vault without an Entra ID credential names each member of the DefaultAzureCredential chain and the fix', async () => {
      stubNoCredentials(tmp.dir);
      const report = await doctor(azureOf(), {
        objectStore: 'azure',
        queue: 'azure',
        warehouse: 'azure',
        secretStore: 'azure',
      });
      const credentials = checkOf(report, 'credentials');
      expect(credentials.status).toBe('problem');
      for (const member of ['EnvironmentCredential', 'ManagedIdentityCredential', 'AzureCliCredential']) {
        expect(credentials.detail).toContain(member);
      }
      expect(credentials.fix).toContain('az login');
      expect(report.ok).toBe(false);
    });

    it('provision creates the container and the queue with its poison queue, idempotently; teardown removes them', async () => {
      const { keyVault: _kv, synapse: _synapse, ...base } = azureOf();
      (base.blob as Record<string, unknown>).container = 'cmx-azure-lake';
      const context = { providerModules: providerModules() };
      const first = await provisionAzure({ base, name: 'cmx-azure' }, context);
      expect(first.steps.map((s) => `${s.resource}:${s.action}`)).toEqual([
        'objectStore:created',
        'queue:exists',
      ]);
      // Key Vault and Synapse need Azure Resource Manager: printed as az steps.
      expect(first.manual.some((step) => step.startsWith('az keyvault create'))).toBe(true);
      expect(first.manual.some((step) => step.startsWith('az synapse sql pool create'))).toBe(true);
      const blobs = BlobServiceClient.fromConnectionString(connectionString());
      const queues = QueueServiceClient.fromConnectionString(connectionString());
      expect(await blobs.getContainerClient('cmx-azure-lake').exists()).toBe(true);
      const names: string[] = [];
      for await (const queue of queues.listQueues({ prefix: 'flight-events' })) names.push(queue.name);
      expect(names.sort()).toEqual(['flight-events', 'flight-events-dlq']);

      const second = await provisionAzure({ base, name: 'cmx-azure' }, context);
      expect(second.steps.map((s) => s.action)).toEqual(['exists', 'exists']);

      const gone = await teardownAzure({ base, name: 'cmx-azure' }, context);
      expect(gone.steps.map((s) => s.action)).toEqual(['deleted', 'deleted', 'deleted']);
      expect(await blobs.getContainerClient('cmx-azure-lake').exists()).toBe(false);
      const again = await teardownAzure({ base, name: 'cmx-azure' }, context);
      expect(again.steps.map((s) => s.action)).toEqual(['absent', 'absent', 'absent']);
    });

    it('provision with the whole stack adds the pipeline API key to Key Vault', async () => {
      const base = azureOf();
      (base.blob as Record<string, unknown>).container = 'cmx-azure-kv';
      const context = { providerModules: providerModules() };
      const first = await provisionAzure({ base, name: 'cmx-kv' }, context);
      expect(first.steps.map((s) => `${s.resource}:${s.action}`)).toEqual([
        'objectStore:created',
        'queue:exists',
        'secretStore:created',
      ]);
      expect(first.manual).toEqual([]);
      const second = await provisionAzure({ base, name: 'cmx-kv' }, context);
      expect(second.steps.at(-1)?.action).toBe('exists');
      await teardownAzure({ base, name: 'cmx-kv' }, context);
    });

    it('provision without a storage account in the config is a ConfigError naming the field and the az step', async () => {
      const { blob: _blob, ...base } = azureOf();
      const error = await provisionAzure({ base }, {}).catch((e: unknown) => e);
      expect(CloudmuxError.hasCode(error, 'InvalidArgument')).toBe(true);
      expect((error as { field: string }).field).toBe('providers.azure.blob');
    });
  },
);
