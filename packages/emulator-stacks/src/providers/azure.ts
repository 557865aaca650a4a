/**
 * The `azure` provider module for the emulator stack: @cloudmux/azure unchanged for Blob, Queue and
 * Synapse, plus the settings the test servers need that `providers.azure` cannot express — the Key
 * Vault test server's throwaway certificate and fixed token (the official options only allow
 * DefaultAzureCredential and the public CA store, and the server's bearer challenge names
 * vault.azure.net, which a 127.0.0.1 URL fails), and the TDS server's SQL password (the official
 * options read it from an environment variable only).
 *
 * They travel in the config under `providers.azure.testServers`, so every process that re-opens the
 * resources from the same config (the pipeline's consumer processes) gets them. Selected through the
 * registry's provider override (`PIPELINE_PROVIDER_MODULES`, set by the Azure emulator stack).
 */
import { Agent } from 'node:https';
import type { TokenCredential } from '@azure/identity';
import * as azure from '@cloudmux/azure';
import { ConfigError, type ProviderContext } from '@cloudmux/core';
import { z } from 'zod';

export const providerName = 'azure';

export const optionsSchema = azure.azureOptionsSchema.extend({
  testServers: z
    .object({
      /** PEM certificate of the Key Vault test server, trusted by this client only. */
      keyVaultCertificate: z.string().min(1),
      /** Bearer token the Key Vault test server accepts. */
      keyVaultToken: z.string().min(1),
      /** Password the TDS test server is logged into with (it accepts any). */
      synapsePassword: z.string().min(1),
    })
    .strict(),
});

export type AzureEmulatorOptions = z.output<typeof optionsSchema>;

export function createObjectStore(options: AzureEmulatorOptions, context: ProviderContext) {
  return azure.createObjectStore(options, context);
}

export function createQueue(options: AzureEmulatorOptions, context: ProviderContext) {
  return azure.createQueue(options, context);
}

export function createWarehouse(options: AzureEmulatorOptions, context: ProviderContext) {
  const authentication = options.synapse?.authentication;
  if (authentication?.type !== 'sql') return azure.createWarehouse(options, context);
  return azure.createWarehouse(options, {
    ...context,
    env: { ...context.env, [authentication.passwordEnv]: options.testServers.synapsePassword },
  });
}

export function createSecretStore(options: AzureEmulatorOptions) {
  const keyVault = options.keyVault;
  if (!keyVault) {
    throw new ConfigError({
      field: 'providers.azure.keyVault',
      problem: 'missing',
      fix: 'start the Azure emulator stack, which sets it',
    });
  }
  const { keyVaultToken, keyVaultCertificate } = options.testServers;
  const credential: TokenCredential = {
    getToken: async () => ({ token: keyVaultToken, expiresOnTimestamp: Date.now() + 3_600_000 }),
  };
  return azure.createKeyVaultSecretStore({
    vaultUrl: keyVault.vaultUrl,
    credential,
    purgeOnDelete: keyVault.purgeOnDelete,
    clientOptions: {
      agent: new Agent({ ca: keyVaultCertificate }),
      disableChallengeResourceVerification: true,
    },
    pollIntervalMs: 50,
  });
}
