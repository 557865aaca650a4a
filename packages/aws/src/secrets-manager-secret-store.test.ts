import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type CallUsage, CloudmuxError, runWithUsage, type SecretStore } from '@cloudmux/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig, moto, motoMissingReason, stopMoto } from '../test/emulators.ts';
import { code } from '../test/error-code.ts';
import { createSecretsManagerSecretStore } from './secrets-manager-secret-store.ts';

const missing = motoMissingReason();

describe.skipIf(missing)(
  `Secrets Manager secret store against moto${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    let endpoint: string;
    let store: SecretStore;
    let raw: SecretsManagerClient;
    const prefix = `cmx/${randomBytes(3).toString('hex')}/`;

    beforeAll(async () => {
      endpoint = (await moto()).endpoint;
      store = createSecretsManagerSecretStore({ prefix, clientConfig: clientConfig(endpoint) });
      raw = new SecretsManagerClient(clientConfig(endpoint));
    });
    afterAll(async () => {
      raw?.destroy();
      await store?.close();
      await stopMoto();
    });

    it('moves AWSCURRENT and AWSPREVIOUS with each put and reads old versions by id', async () => {
      const v1 = await store.put('db/password', 'first-value');
      const v2 = await store.put('db/password', 'second-value');
      const v3 = await store.put('db/password', 'third-value');
      expect((await store.get('db/password')).reveal()).toBe('third-value');
      expect((await store.get('db/password', { version: v1.version })).reveal()).toBe('first-value');
      const versions = await store.listVersions('db/password');
      expect(versions.map((v) => v.version)).toEqual([v3.version, v2.version, v1.version]);
      expect(versions[0]?.stages).toContain('AWSCURRENT');
      expect(versions[1]?.stages).toContain('AWSPREVIOUS');
      const described = await raw.send(new DescribeSecretCommand({ SecretId: `${prefix}db/password` }));
      expect(described.VersionIdsToStages?.[v3.version]).toContain('AWSCURRENT');
    });

    it('stores bytes as SecretBinary and text as SecretString', async () => {
      const bytes = new Uint8Array([0, 159, 146, 150, 255]);
      await store.put('bin', bytes);
      expect(Array.from((await store.get('bin')).bytes())).toEqual(Array.from(bytes));
    });

    it('lists by name prefix across pages, without the configured prefix', async () => {
      await Promise.all(
        Array.from({ length: 105 }, (_, i) => store.put(`many/${String(i).padStart(3, '0')}`, 'v')),
      );
      const listed = await store.list({ prefix: 'many/' });
      expect(listed).toHaveLength(105);
      expect(listed[0]?.name).toBe('many/000');
    });

    it('deletes with a recovery window (then NotFound) or forced, and meters API calls', async () => {
      await store.put('soft', 'v');
      await store.delete('soft');
      expect(await code(store.get('soft'))).toBe('NotFound');
      expect(await code(store.delete('soft'))).toBe('NotFound');
      await store.put('hard', 'v');
      const usage: CallUsage = { bytesIn: 0, bytesOut: 0, units: {} };
      await runWithUsage(usage, () => store.delete('hard', { force: true }));
      // DescribeSecret (a forced delete of a missing secret would succeed) + DeleteSecret
      expect(usage.units['secretsmanager.api-calls']).toBe(2);
      expect(await code(store.get('hard'))).toBe('NotFound');
      expect(await code(store.get('never-existed'))).toBe('NotFound');
      expect(await code(store.delete('never-existed'))).toBe('NotFound');
    });

    it('never shows the value in errors or inspection', async () => {
      const secret = 'sup3r-s3cret-value';
      await store.put('leak', secret);
      const value = await store.get('leak');
      expect(inspect(value)).not.toContain(secret);
      expect(JSON.stringify(value)).not.toContain(secret);
      const error = await store
        .get('leak', { version: '00000000-0000-0000-0000-000000000000' })
        .catch((e) => e);
      expect(CloudmuxError.hasCode(error, 'NotFound')).toBe(true);
      expect(JSON.stringify(error)).not.toContain(secret);
    });
  },
);

if (missing) {
  describe('Secrets Manager secret store against moto', () => {
    it('needs moto', (ctx) => ctx.skip(missing));
  });
}
