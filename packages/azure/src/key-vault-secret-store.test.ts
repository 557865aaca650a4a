/**
 * Focused tests of the Key Vault adapter against the test server: soft delete, recover and purge,
 * the original name kept in a tag, and transactions metered.
 */
import { Agent } from 'node:https';
import { SecretClient } from '@azure/keyvault-secrets';
import { createKeyVaultSecretStore, type KeyVaultSecretStore, NAME_TAG, toVaultName } from '@cloudmux/azure';
import { expectCode, uniqueName } from '@cloudmux/conformance';
import { type CallUsage, runWithUsage } from '@cloudmux/core';
import { type KeyVaultServer, startKeyVaultServer } from '@cloudmux/emulators/azure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('azure key vault adapter on the test server', () => {
  let server: KeyVaultServer;
  let store: KeyVaultSecretStore;
  let raw: SecretClient;

  beforeAll(async () => {
    server = await startKeyVaultServer();
    const credential = {
      getToken: async () => ({ token: server.token, expiresOnTimestamp: Date.now() + 3_600_000 }),
    };
    const clientOptions = {
      agent: new Agent({ ca: server.certificate }),
      disableChallengeResourceVerification: true,
    };
    store = createKeyVaultSecretStore({
      vaultUrl: server.vaultUrl,
      credential,
      clientOptions,
      pollIntervalMs: 50,
    });
    raw = new SecretClient(server.vaultUrl, credential, clientOptions);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('stores the mapped name in Key Vault and the original in a tag', async () => {
    const name = `Team/${uniqueName('db')}`;
    await store.put(name, 'v');
    const secret = await raw.getSecret(toVaultName(name));
    expect(secret.properties.tags?.[NAME_TAG]).toBe(name);
    expect((await store.list({ prefix: 'Team/' })).map((e) => e.name)).toEqual([name]);
  });

  it('a soft-deleted secret can be recovered with its versions; putting its name meanwhile is AlreadyExists', async () => {
    const name = uniqueName('soft');
    const first = await store.put(name, 'one');
    await store.put(name, 'two');
    await store.delete(name);
    await expectCode(store.get(name), 'NotFound');
    await expectCode(store.put(name, 'three'), 'AlreadyExists');
    expect((await raw.getDeletedSecret(toVaultName(name))).name).toBe(toVaultName(name));
    await store.recover(name);
    expect((await store.get(name)).reveal()).toBe('two');
    expect((await store.get(name, { version: first.version })).reveal()).toBe('one');
    await store.delete(name);
    await store.purge(name);
    await expect(raw.getDeletedSecret(toVaultName(name))).rejects.toMatchObject({ statusCode: 404 });
    await store.put(name, 'fresh');
    expect((await store.listVersions(name)).length).toBe(1);
  });

  it('meters one Key Vault transaction per REST call', async () => {
    const name = uniqueName('meter');
    const usage: CallUsage = { bytesIn: 0, bytesOut: 0, units: {} };
    const before = server.transactions();
    await runWithUsage(usage, async () => {
      await store.put(name, 'x');
      await store.get(name);
    });
    expect(usage.units['keyvault.transactions']).toBe(2);
    expect(server.transactions() - before).toBe(2);
  });
});
