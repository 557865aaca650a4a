/**
 * The Blob adapter with an Entra ID token credential: Azurite over HTTPS with `--oauth basic`
 * (issuer, audience and lifetime checked; signature not), so the token path and user-delegation SAS
 * URLs run against the emulator. The throwaway certificate is added to this test process's default
 * CA list only (`tls.setDefaultCACertificates`); TLS verification stays on.
 */
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import type { TokenCredential } from '@azure/identity';
import { createBlobObjectStore } from '@cloudmux/azure';
import { uniqueName } from '@cloudmux/conformance';
import { type CallUsage, type ObjectStore, runWithUsage } from '@cloudmux/core';
import { type AzuriteInstance, azuriteEntry, startAzurite } from '@cloudmux/emulators/azure';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const missing = azuriteEntry()
  ? undefined
  : 'azurite is not installed (a dependency of @cloudmux/emulators: run pnpm install)';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';

/** An unsigned JWT with the claims Azurite's basic OAuth checks (the auth flow itself is not under test). */
function tokenCredential(): TokenCredential {
  const now = Math.floor(Date.now() / 1000);
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({
    aud: 'https://storage.azure.com',
    iss: `https://sts.windows.net/${TENANT}/`,
    iat: now - 60,
    nbf: now - 60,
    exp: now + 3600,
    oid: '11059fcc-5514-4800-b5f8-49808b9cfab6',
    tid: TENANT,
  })}.`;
  return { getToken: async () => ({ token, expiresOnTimestamp: (now + 3600) * 1000 }) };
}

describe.skipIf(missing)(
  `azure blob adapter with Entra ID on Azurite (HTTPS, OAuth)${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    let azurite: AzuriteInstance;
    let store: ObjectStore;
    let restoreCas: string[];

    beforeAll(async () => {
      const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
        keyType: 'ec',
        curve: 'P-256',
        extensions: [
          {
            name: 'subjectAltName',
            altNames: [
              { type: 7, ip: '127.0.0.1' },
              { type: 2, value: 'localhost' },
            ],
          },
        ],
      });
      restoreCas = getCACertificates('default');
      setDefaultCACertificates([...restoreCas, pems.cert]);
      azurite = await startAzurite({ oauth: { cert: pems.cert, key: pems.private } });
      store = createBlobObjectStore({
        accountUrl: azurite.blobEndpoint,
        credential: tokenCredential(),
        container: uniqueName('entra'),
      });
    });
    afterAll(async () => {
      await store?.close();
      await azurite?.stop();
      if (restoreCas) setDefaultCACertificates(restoreCas);
    });

    it('reads and writes with a bearer token', async () => {
      await store.put('hello.txt', 'hello via token');
      expect(await (await store.get('hello.txt')).text()).toBe('hello via token');
    });

    it('signs user-delegation SAS URLs for GET and PUT that work with plain fetch', async () => {
      await store.put('sas/read.txt', 'delegated');
      const usage: CallUsage = { bytesIn: 0, bytesOut: 0, units: {} };
      const getUrl = await runWithUsage(usage, () =>
        store.presign('sas/read.txt', { method: 'GET', expiresInSeconds: 300 }),
      );
      // A user-delegation SAS carries the delegation key's object id and is signed with a service-issued key.
      expect(new URL(getUrl).searchParams.get('skoid')).toBe('11059fcc-5514-4800-b5f8-49808b9cfab6');
      expect(usage.units['blob.operations.other']).toBe(1);
      expect(await (await fetch(getUrl)).text()).toBe('delegated');
      // The delegation key is reused for the next SAS: no second Get User Delegation Key call.
      const putUrl = await runWithUsage(usage, () =>
        store.presign('sas/write.txt', { method: 'PUT', expiresInSeconds: 300 }),
      );
      expect(usage.units['blob.operations.other']).toBe(1);
      const put = await fetch(putUrl, {
        method: 'PUT',
        headers: { 'x-ms-blob-type': 'BlockBlob' },
        body: 'uploaded',
      });
      expect(put.status).toBe(201);
      expect(await (await store.get('sas/write.txt')).text()).toBe('uploaded');
      const denied = await fetch(getUrl, {
        method: 'PUT',
        headers: { 'x-ms-blob-type': 'BlockBlob' },
        body: 'x',
      });
      expect(denied.status).toBe(403);
    });
  },
);
