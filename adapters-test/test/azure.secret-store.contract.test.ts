/**
 * SecretStore contract × Azure Key Vault: against the wire-compatible test server by default (Azure
 * has no Key Vault emulator), against a real vault with CLOUDMUX_LIVE_AZURE=1.
 */

import { Agent } from 'node:https';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { createKeyVaultSecretStore } from '@cloudmux/azure';
import { describeSecretStoreContract } from '@cloudmux/conformance';
import type { SecretStore } from '@cloudmux/core';
import { AZURE_EMULATOR_PROVIDER } from '@cloudmux/emulator-stacks';
import { AZURE_FAULT_RETRY, type KeyVaultServer, startKeyVaultServer } from '@cloudmux/emulators/azure';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import { AZURE_LIVE, liveEnv } from '../src/endpoints/azure.ts';
import { LIVE_NO_FAULTS, proxiedTarget } from '../src/fault-target.ts';

let server: Promise<KeyVaultServer> | undefined;
afterAll(async () => {
  await (await server)?.stop();
});

/** The auth flow is not under test: a fixed token the test server accepts. */
function staticCredential(token: string): TokenCredential {
  return { getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
}

describeSecretStoreContract(vitest, {
  provider: 'azure',
  endpoint: AZURE_LIVE ? 'live' : 'emulator:key-vault-server',
  async create(): Promise<SecretStore> {
    if (AZURE_LIVE) {
      return createKeyVaultSecretStore({
        vaultUrl: liveEnv('AZURE_KEY_VAULT_URL'),
        credential: new DefaultAzureCredential(),
      });
    }
    server ??= startKeyVaultServer();
    const kv = await server;
    return createKeyVaultSecretStore({
      vaultUrl: kv.vaultUrl,
      credential: staticCredential(kv.token),
      // Trust the server's throwaway certificate in this client only; the server has no real resource domain.
      clientOptions: { agent: new Agent({ ca: kv.certificate }), disableChallengeResourceVerification: true },
      pollIntervalMs: 50,
    });
  },
  async destroy(store) {
    await store.close();
  },
  async openUrl() {
    if (AZURE_LIVE) return { url: `azurekeyvault://${new URL(liveEnv('AZURE_KEY_VAULT_URL')).host}` };
    server ??= startKeyVaultServer();
    const kv = await server;
    // The test server's throwaway CA and fixed token cannot be said in providers.azure: the emulator
    // stack's provider module (the official one plus those settings) opens the URL instead.
    return {
      url: `azurekeyvault://${new URL(kv.vaultUrl).host}`,
      providers: { azure: AZURE_EMULATOR_PROVIDER },
      providerOptions: {
        testServers: {
          keyVaultCertificate: kv.certificate,
          keyVaultToken: kv.token,
          synapsePassword: 'unused',
        },
      },
    };
  },
  ...(AZURE_LIVE
    ? { noFaultsReason: LIVE_NO_FAULTS }
    : {
        faults: proxiedTarget({
          upstream: async () => {
            server ??= startKeyVaultServer();
            return (await server).vaultUrl;
          },
          // TLS end to end between the client and the test server: the proxy sees only bytes.
          mode: 'tcp',
          create: async (_endpoint, proxy) => {
            const kv = await server!;
            return createKeyVaultSecretStore({
              vaultUrl: `https://${proxy.host}:${proxy.port}`,
              credential: staticCredential(kv.token),
              clientOptions: {
                agent: new Agent({ ca: kv.certificate }),
                disableChallengeResourceVerification: true,
                ...AZURE_FAULT_RETRY,
              },
              pollIntervalMs: 50,
            });
          },
        }),
      }),
});
