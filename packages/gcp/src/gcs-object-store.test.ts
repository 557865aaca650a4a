import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CloudmuxError, type ObjectStore, runWithUsage } from '@cloudmux/core';
import {
  FAKE_GCS_MISSING,
  type FakeGcs,
  fakeGcsAvailable,
  startFakeGcs,
  throwawayServiceAccount,
} from '@cloudmux/emulators/gcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGcsObjectStore } from './gcs-object-store.ts';

const available = fakeGcsAvailable();

describe.skipIf(!available)(
  `gcs object store against fake-gcs-server${!available ? ` — skipped: ${FAKE_GCS_MISSING}` : ''}`,
  () => {
    let emulator: FakeGcs;
    let store: ObjectStore;
    beforeAll(async () => {
      emulator = await startFakeGcs();
      await emulator.createBucket('unit-bucket');
      store = createGcsObjectStore({
        bucket: 'unit-bucket',
        prefix: 'p/',
        projectId: 'test',
        apiEndpoint: emulator.endpoint,
        credentials: throwawayServiceAccount(),
        resumableThresholdBytes: 256 * 1024,
      });
    });
    afterAll(async () => {
      await store?.close();
      await emulator?.stop();
    });

    it('exposes the generation as etag and honours it for compare-and-swap', async () => {
      const first = await store.put('cas.txt', 'one', { ifNoneMatch: '*' });
      expect(first.etag).toMatch(/^\d+$/);
      const second = await store.put('cas.txt', 'two', { ifMatch: first.etag });
      expect(second.etag).not.toBe(first.etag);
      const stale = await store.put('cas.txt', 'three', { ifMatch: first.etag }).catch((e) => e);
      expect(CloudmuxError.hasCode(stale, 'PreconditionFailed')).toBe(true);
      const again = await store.put('cas.txt', 'x', { ifNoneMatch: '*' }).catch((e) => e);
      expect(CloudmuxError.hasCode(again, 'AlreadyExists')).toBe(true);
      expect(await (await store.get('cas.txt')).text()).toBe('two');
    });

    it('uploads a large stream resumably and reads ranges of it', async () => {
      const payload = randomBytes(700 * 1024);
      const result = await store.put(
        'big.bin',
        Readable.from([payload.subarray(0, 300_000), payload.subarray(300_000)]),
      );
      expect(result.size).toBe(payload.length);
      const whole = await (await store.get('big.bin')).bytes();
      expect(Buffer.from(whole).equals(payload)).toBe(true);
      const part = await store.get('big.bin', { range: { offset: 10, length: 20 } });
      expect(part.contentLength).toBe(20);
      expect(Buffer.from(await part.bytes()).equals(payload.subarray(10, 30))).toBe(true);
    });

    it('meters Class A and Class B operations', async () => {
      const usage = { bytesIn: 0, bytesOut: 0, units: {} as Record<string, number> };
      await runWithUsage(usage, async () => {
        await store.put('meter.txt', 'abc');
        await store.head('meter.txt');
        await store.list({ prefix: 'meter' });
      });
      expect(usage.units['gcs.operations.class-a']).toBe(2);
      expect(usage.units['gcs.operations.class-b']).toBe(1);
      expect(usage.bytesIn).toBe(3); // uploads are bytes into the service
    });

    it('signs V4 URLs that the emulator serves for GET and PUT', async () => {
      const putUrl = await store.presign('signed.txt', {
        method: 'PUT',
        expiresInSeconds: 300,
        contentType: 'text/plain',
      });
      expect(putUrl).toContain('X-Goog-Signature=');
      const upload = await fetch(putUrl, {
        method: 'PUT',
        body: 'via url',
        headers: { 'content-type': 'text/plain' },
      });
      expect(upload.status).toBeLessThan(300);
      const getUrl = await store.presign('signed.txt', { method: 'GET', expiresInSeconds: 300 });
      expect(await (await fetch(getUrl)).text()).toBe('via url');
    });

    it('lists with delimiter, exclusive startAfter and page tokens', async () => {
      for (const key of ['l/a/1', 'l/a/2', 'l/b', 'l/c', 'l/d']) await store.put(key, key);
      const grouped = await store.list({ prefix: 'l/', delimiter: '/' });
      expect(grouped.commonPrefixes).toEqual(['l/a/']);
      expect(grouped.objects.map((o) => o.key)).toEqual(['l/b', 'l/c', 'l/d']);
      const after = await store.list({ prefix: 'l/', startAfter: 'l/b' });
      expect(after.objects.map((o) => o.key)).toEqual(['l/c', 'l/d']);
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await store.list({ prefix: 'l/', pageSize: 2, ...(token ? { pageToken: token } : {}) });
        expect(page.objects.length).toBeLessThanOrEqual(2);
        seen.push(...page.objects.map((o) => o.key));
        token = page.nextPageToken;
      } while (token);
      expect(seen).toEqual(['l/a/1', 'l/a/2', 'l/b', 'l/c', 'l/d']);
    });

    it('maps a missing object to NotFound and deletes idempotently', async () => {
      const missing = await store.head('nope').catch((e) => e);
      expect(CloudmuxError.hasCode(missing, 'NotFound')).toBe(true);
      await store.delete('nope');
    });
  },
);

if (!available) {
  describe('gcs object store against fake-gcs-server', () => {
    it('needs the emulator', (ctx) => ctx.skip(FAKE_GCS_MISSING));
  });
}
