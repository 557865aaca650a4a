/**
 * Object-store cases: round trips of every body kind, ranges, content type and metadata, not found and
 * delete.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { expectCode, gate } from '../harness.ts';
import type { CaseContext } from '../runner.ts';
import type { ObjectStoreSuite } from './fixture.ts';
import { encoder, listAllKeys, MB, patternChunks, patternDigest, streamDigest } from './fixture.ts';

export function objectStoreBodyCases(s: ObjectStoreSuite): void {
  const { it, expect, target, setup } = s;
  // ---- round trips ----

  it('put then get returns the bytes, and put, head and get agree on etag and size', async (ctx) => {
    const { store, key, oracle } = setup(ctx);
    const k = key('hello.txt');
    const put = await store.put(k, 'hello, world');
    expect(put.key).toBe(k);
    expect(put.size).toBe(12);
    expect(put.etag.length).toBeGreaterThan(0);
    const head = await store.head(k);
    expect(head).toMatchObject({ key: k, size: 12, etag: put.etag });
    expect(head.lastModified).toBeInstanceOf(Date);
    const got = await store.get(k);
    expect(got).toMatchObject({ key: k, size: 12, contentLength: 12, etag: put.etag });
    expect(await got.text()).toBe('hello, world');
    if (oracle) expect(Buffer.from((await oracle.rawGet(k))!).toString()).toBe('hello, world');
  });

  it('an empty body round-trips as zero bytes', async (ctx) => {
    const { store, key } = setup(ctx);
    const k = key('empty');
    expect((await store.put(k, new Uint8Array(0))).size).toBe(0);
    expect((await store.head(k)).size).toBe(0);
    const got = await store.get(k);
    expect(got.contentLength).toBe(0);
    expect((await got.bytes()).byteLength).toBe(0);
    expect((await streamDigest(await store.get(k))).bytes).toBe(0);
  });

  it('a binary body with every byte value round-trips exactly', async (ctx) => {
    const { store, key, oracle } = setup(ctx);
    const k = key('binary.bin');
    const body = new Uint8Array(4096);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >> 8)) & 0xff;
    await store.put(k, body, { contentType: 'application/octet-stream' });
    expect(Buffer.from(await (await store.get(k)).bytes()).equals(Buffer.from(body))).toBe(true);
    if (oracle) expect(Buffer.from((await oracle.rawGet(k))!).equals(Buffer.from(body))).toBe(true);
  });

  it('a unicode string body is stored as UTF-8 and its size counts bytes', async (ctx) => {
    const { store, key } = setup(ctx);
    const k = key('unicode.txt');
    const text = 'Zürich → 東京 🚀 naïve café';
    const put = await store.put(k, text, { contentType: 'text/plain; charset=utf-8' });
    expect(put.size).toBe(encoder.encode(text).byteLength);
    const got = await store.get(k);
    expect(await got.text()).toBe(text);
  });

  it('a 20 MB Node Readable streams in and streams back out intact', async (ctx) => {
    const { store, key } = setup(ctx);
    const k = key('large-node.bin');
    const total = 20 * MB;
    const put = await store.put(k, Readable.from(patternChunks(total, 64 * 1024, 42)));
    expect(put.size).toBe(total);
    expect((await store.head(k)).size).toBe(total);
    const got = await store.get(k);
    expect(got.contentLength).toBe(total);
    expect(await streamDigest(got)).toEqual({ digest: patternDigest(total, 64 * 1024, 42), bytes: total });
  }, 180_000);

  it('a 20 MB web ReadableStream streams in and reads back intact as bytes', async (ctx) => {
    const { store, key } = setup(ctx);
    const k = key('large-web.bin');
    const total = 20 * MB + 123;
    const chunks = patternChunks(total, 100_000, 7);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    });
    expect((await store.put(k, body)).size).toBe(total);
    const bytes = await (await store.get(k)).bytes();
    expect(bytes.byteLength).toBe(total);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(patternDigest(total, 100_000, 7));
  }, 180_000);

  it('a small body also reads back through stream()', async (ctx) => {
    const { store, key } = setup(ctx);
    const k = key('small-stream');
    await store.put(k, 'streamed');
    const { digest, bytes } = await streamDigest(await store.get(k));
    expect(bytes).toBe(8);
    expect(digest).toBe(createHash('sha256').update('streamed').digest('hex'));
  });

  it('an overwrite replaces body, content type and metadata and changes the etag', async (ctx) => {
    const { store, key, usable } = setup(ctx);
    const k = key('overwrite');
    const first = await store.put(k, 'one', {
      contentType: 'text/plain',
      ...(usable.userMetadata ? { metadata: { a: '1' } } : {}),
    });
    const second = await store.put(k, 'second', { contentType: 'application/json' });
    expect(second.etag).not.toBe(first.etag);
    const head = await store.head(k);
    expect(head.etag).toBe(second.etag);
    expect(head.contentType).toBe('application/json');
    expect(head.metadata?.a).toBeUndefined();
    expect(await (await store.get(k)).text()).toBe('second');
  });

  // ---- ranges ----

  async function rangeObject(ctx: CaseContext) {
    const fixture = setup(ctx);
    const k = fixture.key('range.txt');
    await fixture.store.put(k, '0123456789abcdefghij');
    const run = await gate(ctx, target, fixture.capabilities.rangeGet, 'rangeGet', () =>
      fixture.store.get(k, { range: { offset: 2, length: 3 } }),
    );
    return { ...fixture, k, run };
  }

  it('a range read returns just those bytes and reports the full size', async (ctx) => {
    const { store, k, run } = await rangeObject(ctx);
    if (!run) return;
    const got = await store.get(k, { range: { offset: 5, length: 4 } });
    expect(got.contentLength).toBe(4);
    expect(got.size).toBe(20);
    expect(await got.text()).toBe('5678');
  });

  it('a range without a length reads to the end', async (ctx) => {
    const { store, k, run } = await rangeObject(ctx);
    if (!run) return;
    const got = await store.get(k, { range: { offset: 16 } });
    expect(got.contentLength).toBe(4);
    expect(await got.text()).toBe('ghij');
  });

  it('a range running past the end is cut at the end', async (ctx) => {
    const { store, k, run } = await rangeObject(ctx);
    if (!run) return;
    const got = await store.get(k, { range: { offset: 18, length: 100 } });
    expect(got.contentLength).toBe(2);
    expect(got.size).toBe(20);
    expect(await got.text()).toBe('ij');
  });

  it('a range starting beyond the end is InvalidArgument', async (ctx) => {
    const { store, k, run } = await rangeObject(ctx);
    if (!run) return;
    await expectCode(store.get(k, { range: { offset: 20, length: 1 } }), 'InvalidArgument');
  });

  // ---- content type and metadata ----

  it('content type round-trips through head and get', async (ctx) => {
    const { store, key } = setup(ctx);
    const k = key('typed.json');
    await store.put(k, '{"a":1}', { contentType: 'application/json' });
    expect((await store.head(k)).contentType).toBe('application/json');
    expect((await store.get(k)).contentType).toBe('application/json');
  });

  it('user metadata round-trips through head and get', async (ctx) => {
    const { store, key, capabilities } = setup(ctx);
    const k = key('meta');
    // Letters and digits only: Azure requires C# identifiers, S3 and GCS take more.
    const expected = { owner: 'pipeline', batch2024: '2024-01-01' };
    const run = await gate(ctx, target, capabilities.userMetadata, 'userMetadata', () =>
      store.put(k, 'x', { metadata: expected }),
    );
    if (!run) return;
    await store.put(k, 'x', { metadata: expected });
    expect((await store.head(k)).metadata).toMatchObject(expected);
    expect((await store.get(k)).metadata).toMatchObject(expected);
  });

  // ---- not found and delete ----

  it('get of a missing key is NotFound', async (ctx) => {
    const { store, key } = setup(ctx);
    await expectCode(store.get(key('missing')), 'NotFound');
  });

  it('head of a missing key is NotFound', async (ctx) => {
    const { store, key } = setup(ctx);
    await expectCode(store.head(key('missing')), 'NotFound');
  });

  it('after delete, get and head are NotFound and the object is gone underneath', async (ctx) => {
    const { store, key, oracle } = setup(ctx);
    const k = key('doomed');
    await store.put(k, 'bye');
    await store.delete(k);
    await expectCode(store.get(k), 'NotFound');
    await expectCode(store.head(k), 'NotFound');
    if (oracle) expect(await oracle.rawGet(k)).toBeUndefined();
  });

  it('delete is idempotent: deleting a missing key twice succeeds', async (ctx) => {
    const { store, key } = setup(ctx);
    await store.delete(key('never-existed'));
    await store.delete(key('never-existed'));
    const k = key('once');
    await store.put(k, 'x');
    await store.delete(k);
    await store.delete(k);
    expect(await listAllKeys(store, key(''))).toEqual([]);
  });

  it('deleteMany removes the listed keys, counts missing ones as deleted, and leaves the rest', async (ctx) => {
    const { store, key, prefix } = setup(ctx);
    for (const name of ['a', 'b', 'c', 'd']) await store.put(key(name), name);
    const result = await store.deleteMany([key('a'), key('c'), key('missing')]);
    expect(result.errors).toEqual([]);
    expect([...result.deleted].sort()).toEqual([key('a'), key('c'), key('missing')].sort());
    expect(await listAllKeys(store, prefix)).toEqual([key('b'), key('d')]);
  });
}
