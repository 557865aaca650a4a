import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type CallUsage, type ObjectStore, runWithUsage } from '@cloudmux/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBucket, moto, motoMissingReason, s3Config, stopMoto } from '../test/emulators.ts';
import { code } from '../test/error-code.ts';
import { createS3ObjectStore } from './s3-object-store.ts';

const missing = motoMissingReason();

async function metered<T>(fn: () => Promise<T>): Promise<{ result: T; usage: CallUsage }> {
  const usage: CallUsage = { bytesIn: 0, bytesOut: 0, units: {} };
  const result = await runWithUsage(usage, fn);
  return { result, usage };
}

describe.skipIf(missing)(`S3 object store against moto${missing ? ` — skipped: ${missing}` : ''}`, () => {
  let endpoint: string;
  let store: ObjectStore;
  const bucket = `cloudmux-s3-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    endpoint = (await moto()).endpoint;
    await createBucket(endpoint, bucket);
    store = createS3ObjectStore({
      bucket,
      prefix: 'unit',
      clientConfig: s3Config(endpoint),
      partSizeBytes: 5 * 1024 * 1024,
    });
  });
  afterAll(async () => {
    await store?.close();
    await stopMoto();
  });

  it('keeps keys under the configured prefix and reports class-A/B requests and bytes', async () => {
    const put = await metered(() =>
      store.put('a.txt', 'hello', { contentType: 'text/plain', metadata: { k: 'v' } }),
    );
    expect(put.usage.units).toEqual({ 's3.requests.class-a': 1 });
    expect(put.usage.bytesIn).toBe(5);
    const raw = new S3Client(s3Config(endpoint));
    const head = await raw.send(new HeadObjectCommand({ Bucket: bucket, Key: 'unit/a.txt' }));
    raw.destroy();
    expect(head.ContentLength).toBe(5);
    expect(head.Metadata).toEqual({ k: 'v' });
    const got = await metered(async () => (await store.get('a.txt')).text());
    expect(got.result).toBe('hello');
    expect(got.usage.units).toEqual({ 's3.requests.class-b': 1 });
    expect(got.usage.bytesOut).toBe(5);
    expect(store.uriOf('a.txt')).toBe(`s3://${bucket}/unit/a.txt`);
  });

  it('maps create-only and stale compare-and-swap to AlreadyExists and PreconditionFailed', async () => {
    const first = await store.put('cas', '1', { ifNoneMatch: '*' });
    expect(await code(store.put('cas', '2', { ifNoneMatch: '*' }))).toBe('AlreadyExists');
    const second = await store.put('cas', '2', { ifMatch: first.etag });
    expect(await code(store.put('cas', '3', { ifMatch: first.etag }))).toBe('PreconditionFailed');
    expect(await (await store.get('cas')).text()).toBe('2');
    expect(second.etag).not.toBe(first.etag);
  });

  it('uploads a stream larger than the part size in parts and meters every part request', async () => {
    const size = 11 * 1024 * 1024 + 17;
    const data = randomBytes(size);
    const chunks = Array.from({ length: Math.ceil(size / 65536) }, (_, i) =>
      data.subarray(i * 65536, (i + 1) * 65536),
    );
    const put = await metered(() => store.put('big.bin', Readable.from(chunks)));
    expect(put.result.size).toBe(size);
    // CreateMultipartUpload + 3 parts + CompleteMultipartUpload
    expect(put.usage.units['s3.requests.class-a']).toBe(5);
    const back = await (await store.get('big.bin')).bytes();
    expect(Buffer.from(back).equals(data)).toBe(true);
    const range = await store.get('big.bin', { range: { offset: size - 10, length: 100 } });
    expect(range.size).toBe(size);
    expect(Buffer.from(await range.bytes()).equals(data.subarray(size - 10))).toBe(true);
  });

  it('pages with the continuation token and returns common prefixes without the store prefix', async () => {
    await Promise.all(['p/1', 'p/2', 'p/3', 'p/d/x', 'p/e/y'].map((k) => store.put(k, k)));
    const first = await store.list({ prefix: 'p/', delimiter: '/', pageSize: 2 });
    const keys = first.objects.map((o) => o.key);
    const prefixes = [...first.commonPrefixes];
    let token = first.nextPageToken;
    expect(token).toBeDefined();
    while (token) {
      const page = await store.list({ prefix: 'p/', delimiter: '/', pageSize: 2, pageToken: token });
      keys.push(...page.objects.map((o) => o.key));
      prefixes.push(...page.commonPrefixes);
      token = page.nextPageToken;
    }
    expect(keys).toEqual(['p/1', 'p/2', 'p/3']);
    expect(prefixes).toEqual(['p/d/', 'p/e/']);
  });

  it('deletes more than 1,000 keys in chunks', async () => {
    const keys = Array.from({ length: 1003 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50)
      await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, 'x')));
    const result = await metered(() => store.deleteMany(keys));
    expect(result.result.deleted).toHaveLength(1003);
    expect(result.result.errors).toEqual([]);
    expect(result.usage.units['s3.requests.class-a']).toBe(2);
    expect((await store.list({ prefix: 'many/' })).objects).toEqual([]);
  });

  it('presigns GET and PUT that work with plain fetch', async () => {
    const putUrl = await store.presign('signed.txt', {
      method: 'PUT',
      expiresInSeconds: 60,
      contentType: 'text/plain',
    });
    const uploaded = await fetch(putUrl, {
      method: 'PUT',
      body: 'via url',
      headers: { 'content-type': 'text/plain' },
    });
    expect(uploaded.status).toBe(200);
    const getUrl = await store.presign('signed.txt', { method: 'GET', expiresInSeconds: 60 });
    expect(await (await fetch(getUrl)).text()).toBe('via url');
  });

  it('translates missing keys and buckets to NotFound', async () => {
    expect(await code(store.get('nope'))).toBe('NotFound');
    expect(await code(store.head('nope'))).toBe('NotFound');
    await store.delete('nope');
    expect(await code(store.copy('nope', 'target'))).toBe('NotFound');
    const other = createS3ObjectStore({ bucket: `${bucket}-missing`, clientConfig: s3Config(endpoint) });
    expect(await code(other.get('x'))).toBe('NotFound');
    expect(await code(other.list())).toBe('NotFound');
    await other.close();
  });
});

if (missing) {
  describe('S3 object store against moto', () => {
    it('needs moto', (ctx) => ctx.skip(missing));
  });
}
