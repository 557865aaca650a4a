import { CloudmuxError, runWithUsage } from '@cloudmux/core';
import { type SecretManagerServer, startSecretManagerServer } from '@cloudmux/emulators/gcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  crc32cOf,
  createSecretManagerSecretStore,
  type SecretManagerSecretStore,
} from './secret-manager-secret-store.ts';

describe('secret manager secret store against the gRPC test server', () => {
  let server: SecretManagerServer;
  let store: SecretManagerSecretStore;
  beforeAll(async () => {
    server = await startSecretManagerServer();
    store = createSecretManagerSecretStore({
      projectId: 'test',
      prefix: 'app-',
      replication: { userManaged: ['us-central1'] },
      apiEndpoint: server.endpoint,
    });
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('computes the CRC32C Secret Manager expects', () => {
    // The Castagnoli check value of the ASCII digits 1–9.
    expect(crc32cOf(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
  });

  it('numbers versions per secret, reads old ones and lists newest first', async () => {
    expect((await store.put('db', 'one')).version).toBe('1');
    expect((await store.put('db', 'two')).version).toBe('2');
    expect((await store.get('db')).reveal()).toBe('two');
    expect((await store.get('db', { version: '1' })).reveal()).toBe('one');
    const versions = await store.listVersions('db');
    expect(versions.map((v) => [v.version, v.enabled, v.stages])).toEqual([
      ['2', true, ['latest']],
      ['1', true, undefined],
    ]);
  });

  it('disables and destroys versions; latest falls back to the newest enabled one', async () => {
    await store.put('rot', 'a');
    await store.put('rot', 'b');
    await store.disableVersion('rot', '2');
    expect((await store.get('rot')).reveal()).toBe('a');
    const disabled = await store.get('rot', { version: '2' }).catch((e) => e);
    expect(CloudmuxError.hasCode(disabled, 'PreconditionFailed')).toBe(true);
    await store.enableVersion('rot', '2');
    await store.destroyVersion('rot', '1');
    expect((await store.listVersions('rot')).map((v) => v.enabled)).toEqual([true, false]);
    expect((await store.get('rot')).reveal()).toBe('b');
  });

  it('lists by prefix under the configured prefix and meters accesses', async () => {
    await store.put('list-a', 'x');
    await store.put('list-b', 'x');
    await store.put('other', 'x');
    expect((await store.list({ prefix: 'list-' })).map((e) => e.name)).toEqual(['list-a', 'list-b']);
    const usage = { bytesIn: 0, bytesOut: 0, units: {} as Record<string, number> };
    await runWithUsage(usage, () => store.get('list-a'));
    expect(usage.units['secretmanager.access-operations']).toBe(1);
  });

  it('maps missing secrets to NotFound', async () => {
    expect(CloudmuxError.hasCode(await store.get('absent').catch((e) => e), 'NotFound')).toBe(true);
    expect(CloudmuxError.hasCode(await store.delete('absent').catch((e) => e), 'NotFound')).toBe(true);
  });

  it('stores mapped names under escaped ids and rejects names whose id would exceed 255 characters', async () => {
    await store.put('team/db_url', 'x');
    // The id on the wire is the escaped one; the raw name would be INVALID_ARGUMENT on Secret Manager.
    expect((await store.listVersions('team/db_url')).length).toBe(1);
    expect((await store.list({ prefix: 'team/' })).map((e) => e.name)).toEqual(['team/db_url']);
    // 'app-' plus 84 escaped slashes is 256 characters; 83 of them is 253 and fine.
    expect(
      CloudmuxError.hasCode(await store.put('/'.repeat(84), 'x').catch((e) => e), 'InvalidArgument'),
    ).toBe(true);
    expect((await store.put('/'.repeat(83), 'x')).version).toBe('1');
  });
});
