import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { type AzureOptions, azureOptionsSchema } from '@cloudmux/azure';
import { ConfigError, parseProviderOptions } from '@cloudmux/core';
import {
  ensureApiKeySecret,
  ensurePipelineQueue,
  openCloud,
  type ProvisionContext,
  type ProvisionResult,
  removeApiKeySecret,
  removePipelineQueues,
  Steps,
} from './step.ts';

export interface AzureProvisionInput {
  /** `providers.azure` as it stands: the storage account (blob, queue) must already be named in it. */
  base: Record<string, unknown>;
  /** Prefix of every name created. Default `cloudmux`. */
  name?: string;
  /** Resource group and location for the printed `az` steps. */
  resourceGroup?: string;
  location?: string;
  env?: NodeJS.ProcessEnv;
}

function optionsOf(input: AzureProvisionInput): { options: Record<string, unknown>; parsed: AzureOptions } {
  const name = input.name ?? 'cloudmux';
  const base = input.base as { blob?: Record<string, unknown>; queue?: Record<string, unknown> };
  if (!base.blob || !base.queue) {
    throw new ConfigError({
      field: `providers.azure.${base.blob ? 'queue' : 'blob'}`,
      problem: 'missing: a storage account can only be created through Azure Resource Manager',
      fix: `create one (${storageAccountStep(input)}), then add "blob": { "accountUrl": "https://<account>.blob.core.windows.net", "container": "${name}-lake" } and "queue": { "accountUrl": "https://<account>.queue.core.windows.net" } and rerun`,
    });
  }
  const options = { ...input.base, blob: { container: `${name}-lake`, ...base.blob } };
  // The emulator stack's provider module adds fields the official schema does not know; validate the official part.
  const { testServers: _ignored, ...official } = options as Record<string, unknown>;
  return { options, parsed: parseProviderOptions(azureOptionsSchema, official, 'azure') };
}

const storageAccountStep = (input: AzureProvisionInput) =>
  `az storage account create --name <account> --resource-group ${input.resourceGroup ?? '<resource-group>'} --location ${input.location ?? '<location>'} --sku Standard_LRS --kind StorageV2 --min-tls-version TLS1_2`;

function containerClient(parsed: AzureOptions, env: NodeJS.ProcessEnv) {
  const blob = parsed.blob!;
  const connectionString = blob.connectionString ?? env[blob.connectionStringEnv];
  if (connectionString)
    return BlobServiceClient.fromConnectionString(connectionString).getContainerClient(blob.container);
  if (!blob.accountUrl) {
    throw new ConfigError({
      field: 'providers.azure.blob.accountUrl',
      problem: `neither accountUrl nor a connection string (${blob.connectionStringEnv}) is set`,
      fix: 'set accountUrl to https://<account>.blob.core.windows.net',
    });
  }
  const credential =
    parsed.credentials.kind === 'accountKey'
      ? new StorageSharedKeyCredential(
          parsed.credentials.accountName,
          env[parsed.credentials.accountKeyEnv] ?? '',
        )
      : new DefaultAzureCredential();
  return new BlobServiceClient(blob.accountUrl, credential).getContainerClient(blob.container);
}

/**
 * Creates, idempotently, what the Azure provider needs and an API can create with the storage
 * account's own credentials: the Blob container, the queue with its poison queue, and the pipeline's
 * API key in Key Vault when a vault is configured. The storage account, the Key Vault and the Synapse
 * dedicated SQL pool need Azure Resource Manager: printed as `az` steps.
 */
export async function provisionAzure(
  input: AzureProvisionInput,
  context: ProvisionContext = {},
): Promise<ProvisionResult> {
  const { options, parsed } = optionsOf(input);
  const env = input.env ?? process.env;
  const steps = new Steps(context.onStep);
  const container = containerClient(parsed, env);
  const { succeeded } = await container.createIfNotExists();
  steps.add('objectStore', succeeded ? 'created' : 'exists', `Blob container ${parsed.blob!.container}`);
  const only: Array<'queue' | 'secretStore'> = parsed.keyVault ? ['queue', 'secretStore'] : ['queue'];
  const resources = await openCloud('azure', options, only, context);
  try {
    await ensurePipelineQueue(resources, steps, 'Queue Storage queue');
    if (parsed.keyVault) await ensureApiKeySecret(resources, steps, 'Key Vault');
  } finally {
    await resources.close();
  }
  return { options, steps: steps.list, manual: azureManualSteps(input, parsed) };
}

export async function teardownAzure(
  input: AzureProvisionInput,
  context: ProvisionContext = {},
): Promise<ProvisionResult> {
  const { options, parsed } = optionsOf(input);
  const env = input.env ?? process.env;
  const steps = new Steps(context.onStep);
  const only: Array<'queue' | 'secretStore'> = parsed.keyVault ? ['queue', 'secretStore'] : ['queue'];
  const resources = await openCloud('azure', options, only, context);
  try {
    await removePipelineQueues(resources, steps, 'Queue Storage queue');
    if (parsed.keyVault) await removeApiKeySecret(resources, steps, 'Key Vault');
  } finally {
    await resources.close();
  }
  const { succeeded } = await containerClient(parsed, env).deleteIfExists();
  steps.add(
    'objectStore',
    succeeded ? 'deleted' : 'absent',
    `Blob container ${parsed.blob!.container} and every blob in it`,
  );
  const rg = input.resourceGroup ?? '<resource-group>';
  const name = input.name ?? 'cloudmux';
  return {
    options,
    steps: steps.list,
    manual: [
      `az synapse sql pool delete --name ${name.replaceAll('-', '_')} --workspace-name <workspace> --resource-group ${rg} --yes   (a paused pool still bills its storage)`,
      `az keyvault delete --name <vault> --resource-group ${rg} && az keyvault purge --name <vault>   (only if provision's steps created the vault)`,
    ],
  };
}

function azureManualSteps(input: AzureProvisionInput, parsed: AzureOptions): string[] {
  const rg = input.resourceGroup ?? '<resource-group>';
  const location = input.location ?? '<location>';
  const name = input.name ?? 'cloudmux';
  const pool = name.replaceAll('-', '_');
  const steps: string[] = [];
  if (!parsed.keyVault) {
    steps.push(
      `az keyvault create --name <vault> --resource-group ${rg} --location ${location} --enable-rbac-authorization true`,
      `az role assignment create --role "Key Vault Secrets Officer" --assignee <your-principal-id> --scope $(az keyvault show --name <vault> --query id -o tsv)`,
      'then set providers.azure.keyVault.vaultUrl to https://<vault>.vault.azure.net and rerun provision (it adds the pipeline API key)',
    );
  }
  if (!parsed.synapse) {
    steps.push(
      `az synapse workspace create --name <workspace> --resource-group ${rg} --location ${location} --storage-account <account> --file-system ${parsed.blob!.container} --sql-admin-login-user cloudmuxadmin --sql-admin-login-password <password>`,
      `az synapse sql pool create --name ${pool} --workspace-name <workspace> --resource-group ${rg} --performance-level DW100c`,
      `az synapse firewall-rule create --name allow-me --workspace-name <workspace> --resource-group ${rg} --start-ip-address <your-ip> --end-ip-address <your-ip>`,
      `az role assignment create --role "Storage Blob Data Reader" --assignee $(az synapse workspace show --name <workspace> --resource-group ${rg} --query identity.principalId -o tsv) --scope $(az storage account show --name <account> --query id -o tsv)   (COPY INTO with the workspace managed identity)`,
      `then set providers.azure.synapse to { "server": "<workspace>.sql.azuresynapse.net", "database": "${pool}" }; pause the pool when idle: az synapse sql pool pause --name ${pool} --workspace-name <workspace> --resource-group ${rg}`,
    );
  }
  return steps;
}
