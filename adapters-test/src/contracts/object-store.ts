/**
 * The ObjectStore contract, written once and run against every adapter (the embedded filesystem
 * store, S3, GCS and Azure Blob through their emulators): round trips of every body kind, ranges,
 * metadata, listing and pagination determinism, awkward keys, deletes, copies, conditional writes
 * under contention, presigned URLs with plain `fetch`, and racing writers.
 *
 * One store per run (`create()` in beforeAll, `destroy()` in afterAll); every case works under its
 * own unique key prefix, so cases never see each other's objects. When the target supplies an
 * oracle, side effects are also checked through the raw SDK or filesystem, not only the adapter.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CloudmuxError,
  type ObjectData,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreCapabilities,
} from '@cloudmux/core';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { beginCase, type ContractTarget, expectCode, gate, openedFromUrl, uniqueName } from '../harness.ts';
import { objectStoreFaultProbe } from './fault-probes.ts';
import { describeFaultGroup } from './faults.ts';

/** Reads what the adapter wrote without going through the adapter. */
export interface ObjectStoreOracle {
  /** The stored bytes of `key` (a key as the adapter sees it), or undefined when absent. */
  rawGet(key: string): Promise<Uint8Array | undefined>;
}

export interface ObjectStoreContractTarget extends ContractTarget<ObjectStore> {
  /** Builds the oracle for a store made by `create()`. */
  oracle?(store: ObjectStore): ObjectStoreOracle;
  /**
   * Keys this adapter rejects with InvalidArgument, beyond the empty key every adapter rejects
   * (e.g. `..` segments for a filesystem store; S3 accepts them as plain characters).
   */
  invalidKeys?: readonly string[];
  /** Headers an uploader must add to a presigned PUT for this service (e.g. Azure's x-ms-blob-type). */
  presignPutHeaders?: Record<string, string>;
}

interface Fixture {
  store: ObjectStore;
  /** As declared: what `gate()` checks both ways. */
  capabilities: ObjectStoreCapabilities;
  /** Declared and not an endpoint gap: what a case may rely on outside a gate. */
  usable: ObjectStoreCapabilities;
  oracle: ObjectStoreOracle | undefined;
  /** This case's unique prefix, ending in `/`. */
  prefix: string;
  /** A key under this case's prefix. */
  key(name: string): string;
}

const MB = 1024 * 1024;
const encoder = new TextEncoder();

/** Deterministic pseudo-random chunks (xorshift), so a 20 MB body is never held whole by the test. */
function* patternChunks(total: number, chunkSize: number, seed: number): Generator<Uint8Array> {
  let state = seed >>> 0 || 1;
  for (let sent = 0; sent < total; sent += chunkSize) {
    const chunk = new Uint8Array(Math.min(chunkSize, total - sent));
    for (let i = 0; i < chunk.length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      chunk[i] = state & 0xff;
    }
    yield chunk;
  }
}

function patternDigest(total: number, chunkSize: number, seed: number): string {
  const hash = createHash('sha256');
  for (const chunk of patternChunks(total, chunkSize, seed)) hash.update(chunk);
  return hash.digest('hex');
}

/** Consumes a body through its web stream, hashing as it goes. */
async function streamDigest(data: ObjectData): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const reader = data.stream().getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    bytes += value.byteLength;
  }
  return { digest: hash.digest('hex'), bytes };
}

async function listAllKeys(store: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of store.listAll({ prefix })) keys.push(object.key);
  return keys;
}

const sortedUtf8 = (keys: readonly string[]) =>
  [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

export function describeObjectStoreContract(target: ObjectStoreContractTarget): void {
  describe(`objectStore contract: ${target.provider} (${target.endpoint})`, () => {
    let store: ObjectStore | undefined;

    beforeAll(async () => {
      store = await target.create();
    });

    afterAll(async () => {
      if (store) await target.destroy(store);
    });

    /** Records the case's contract metadata, applies per-case skips, and hands out a fresh prefix. */
    function setup(ctx: TestContext): Fixture {
      if (!store) throw new Error('the store was not created (beforeAll failed)');
      const capabilities = beginCase(ctx, target, 'objectStore', store.capabilities);
      const prefix = `${uniqueName('case')}/`;
      return {
        store,
        capabilities: store.capabilities,
        usable: capabilities,
        oracle: target.oracle?.(store),
        prefix,
        key: (name) => `${prefix}${name}`,
      };
    }

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

    async function rangeObject(ctx: TestContext) {
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

    // ---- listing ----

    it('list with a prefix returns only keys under it, sorted, with the etags head reports', async (ctx) => {
      const { store, key, prefix } = setup(ctx);
      const puts = new Map<string, string>();
      for (const name of ['logs/b', 'logs/a', 'logs-x', 'data/1', 'logs/c/d']) {
        puts.set(key(name), (await store.put(key(name), name)).etag);
      }
      const page = await store.list({ prefix: key('logs/') });
      const keys = page.objects.map((o) => o.key);
      expect(keys).toEqual([key('logs/a'), key('logs/b'), key('logs/c/d')]);
      for (const object of page.objects) {
        expect(object.etag).toBe(puts.get(object.key));
        expect(object.size).toBe(object.key.slice(prefix.length).length);
      }
      expect(page.nextPageToken).toBeUndefined();
      expect(await listAllKeys(store, prefix)).toEqual(sortedUtf8([...puts.keys()]));
    });

    it('list with a delimiter groups keys into common prefixes', async (ctx) => {
      const { store, key, capabilities } = setup(ctx);
      for (const name of ['top.txt', 'a/1', 'a/2', 'a/deep/3', 'b/1', 'c.txt'])
        await store.put(key(name), name);
      const run = await gate(ctx, target, capabilities.listDelimiter, 'listDelimiter', () =>
        store.list({ prefix: key(''), delimiter: '/' }),
      );
      if (!run) return;
      const page = await store.list({ prefix: key(''), delimiter: '/' });
      expect(page.objects.map((o) => o.key)).toEqual([key('c.txt'), key('top.txt')]);
      expect(page.commonPrefixes).toEqual([key('a/'), key('b/')]);
      const inner = await store.list({ prefix: key('a/'), delimiter: '/' });
      expect(inner.objects.map((o) => o.key)).toEqual([key('a/1'), key('a/2')]);
      expect(inner.commonPrefixes).toEqual([key('a/deep/')]);
    });

    it('list with startAfter is strictly exclusive', async (ctx) => {
      const { store, key, capabilities } = setup(ctx);
      for (const name of ['k1', 'k2', 'k3', 'k4']) await store.put(key(name), name);
      const run = await gate(ctx, target, capabilities.listStartAfter, 'listStartAfter', () =>
        store.list({ prefix: key(''), startAfter: key('k2') }),
      );
      if (!run) return;
      const page = await store.list({ prefix: key(''), startAfter: key('k2') });
      expect(page.objects.map((o) => o.key)).toEqual([key('k3'), key('k4')]);
      const between = await store.list({ prefix: key(''), startAfter: key('k2a') });
      expect(between.objects.map((o) => o.key)).toEqual([key('k3'), key('k4')]);
    });

    it('pagination: 5 per page, same token same page, no overlap, no repeated token, last page has none', async (ctx) => {
      const { store, key, prefix } = setup(ctx);
      const all: string[] = [];
      for (let i = 0; i < 23; i++) all.push(key(`item-${String(i).padStart(2, '0')}`));
      await Promise.all(all.map((k) => store.put(k, k)));
      const seen: string[] = [];
      const tokens = new Set<string>();
      let token: string | undefined;
      let pages = 0;
      do {
        const options = { prefix, pageSize: 5, ...(token ? { pageToken: token } : {}) };
        const page = await store.list(options);
        const again = await store.list(options);
        expect(again.objects.map((o) => o.key)).toEqual(page.objects.map((o) => o.key));
        expect(again.nextPageToken === undefined).toBe(page.nextPageToken === undefined);
        expect(page.objects.length).toBeLessThanOrEqual(5);
        for (const object of page.objects) expect(seen).not.toContain(object.key);
        seen.push(...page.objects.map((o) => o.key));
        token = page.nextPageToken;
        if (token) {
          expect(tokens.has(token)).toBe(false);
          tokens.add(token);
        }
        pages++;
        expect(pages).toBeLessThan(20);
      } while (token);
      expect(seen).toEqual(sortedUtf8(all));
      expect(pages).toBeGreaterThanOrEqual(5);
    });

    it('a prefix that matches nothing lists an empty last page', async (ctx) => {
      const { store, key } = setup(ctx);
      await store.put(key('present'), 'x');
      const page = await store.list({ prefix: key('absent/') });
      expect(page.objects).toEqual([]);
      expect(page.commonPrefixes).toEqual([]);
      expect(page.nextPageToken).toBeUndefined();
    });

    it('pagination with a delimiter returns every common prefix exactly once', async (ctx) => {
      const { store, key, capabilities } = setup(ctx);
      const dirs = Array.from({ length: 12 }, (_, i) => `d${String(i).padStart(2, '0')}/`);
      const files = ['f1', 'f2', 'f3'];
      await Promise.all([
        ...dirs.flatMap((dir) => [store.put(key(`${dir}a`), 'x'), store.put(key(`${dir}b/c`), 'x')]),
        ...files.map((file) => store.put(key(file), 'x')),
      ]);
      const run = await gate(ctx, target, capabilities.listDelimiter, 'listDelimiter', () =>
        store.list({ prefix: key(''), delimiter: '/', pageSize: 5 }),
      );
      if (!run) return;
      const prefixes: string[] = [];
      const objects: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({
          prefix: key(''),
          delimiter: '/',
          pageSize: 5,
          ...(token ? { pageToken: token } : {}),
        });
        expect(page.objects.length + page.commonPrefixes.length).toBeLessThanOrEqual(5);
        prefixes.push(...page.commonPrefixes);
        objects.push(...page.objects.map((o) => o.key));
        token = page.nextPageToken;
        expect(++pages).toBeLessThan(20);
      } while (token);
      expect(prefixes).toEqual(dirs.map(key));
      expect(objects).toEqual(files.map(key));
    });

    it('listAll iterates every object across pages', async (ctx) => {
      const { store, key, prefix } = setup(ctx);
      const all = Array.from({ length: 12 }, (_, i) => key(`n/${String(i).padStart(2, '0')}`));
      await Promise.all(all.map((k) => store.put(k, 'x')));
      const keys: string[] = [];
      for await (const object of store.listAll({ prefix, pageSize: 5 })) keys.push(object.key);
      expect(keys).toEqual(all);
    });

    // ---- awkward keys ----

    async function roundTripKey(fixture: Fixture, name: string): Promise<void> {
      const k = fixture.key(name);
      await fixture.store.put(k, `body of ${name}`);
      expect(await (await fixture.store.get(k)).text()).toBe(`body of ${name}`);
      expect((await fixture.store.head(k)).key).toBe(k);
      if (fixture.oracle)
        expect(Buffer.from((await fixture.oracle.rawGet(k))!).toString()).toBe(`body of ${name}`);
    }

    it('keys with spaces and punctuation round-trip and list verbatim', async (ctx) => {
      const fixture = setup(ctx);
      const names = ['with space.txt', 'a+b=c&d', "it's (1) [2] {3}.csv", 'semi;colon,comma@at#hash'];
      for (const name of names) await roundTripKey(fixture, name);
      expect(await listAllKeys(fixture.store, fixture.prefix)).toEqual(sortedUtf8(names.map(fixture.key)));
    });

    it('unicode keys round-trip and list in UTF-8 byte order', async (ctx) => {
      const fixture = setup(ctx);
      const names = ['café', 'naïve/東京.txt', '🚀-launch', 'z', 'Ω'];
      for (const name of names) await roundTripKey(fixture, name);
      expect(await listAllKeys(fixture.store, fixture.prefix)).toEqual(sortedUtf8(names.map(fixture.key)));
    });

    it('a key containing a literal %2F is distinct from one with a slash', async (ctx) => {
      const fixture = setup(ctx);
      await roundTripKey(fixture, 'a%2Fb');
      await roundTripKey(fixture, 'a/b');
      expect(await (await fixture.store.get(fixture.key('a%2Fb'))).text()).toBe('body of a%2Fb');
      expect(await listAllKeys(fixture.store, fixture.prefix)).toEqual(
        sortedUtf8([fixture.key('a%2Fb'), fixture.key('a/b')]),
      );
    });

    it('deep paths round-trip and list under each level', async (ctx) => {
      const fixture = setup(ctx);
      const deep = 'l1/l2/l3/l4/l5/l6/l7/l8/l9/l10/leaf.txt';
      await roundTripKey(fixture, deep);
      await roundTripKey(fixture, 'l1/l2/side.txt');
      expect(await listAllKeys(fixture.store, fixture.key('l1/l2/l3/'))).toEqual([fixture.key(deep)]);
      expect(await listAllKeys(fixture.store, fixture.key('l1/'))).toEqual([
        fixture.key(deep),
        fixture.key('l1/l2/side.txt'),
      ]);
    });

    it('invalid keys are InvalidArgument on every operation', async (ctx) => {
      const { store } = setup(ctx);
      for (const bad of ['', ...(target.invalidKeys ?? [])]) {
        await expectCode(store.put(bad, 'x'), 'InvalidArgument');
        await expectCode(store.get(bad), 'InvalidArgument');
        await expectCode(store.head(bad), 'InvalidArgument');
        await expectCode(store.delete(bad), 'InvalidArgument');
      }
    });

    // ---- one answer for awkward keys, on every provider (validated by the portable type) ----

    it("a key with a '.' or '..' segment is InvalidArgument on every operation and stores nothing", async (ctx) => {
      const { store, key, prefix } = setup(ctx);
      await store.put(key('b'), 'kept');
      // S3 and GCS would store `a/../b` as given and Azure as `b`: no store takes such a key.
      for (const bad of [key('a/../b'), key('./c'), key('d/.'), key('..'), `${prefix}..`]) {
        await expectCode(store.put(bad, 'x'), 'InvalidArgument');
        await expectCode(store.get(bad), 'InvalidArgument');
        await expectCode(store.head(bad), 'InvalidArgument');
        await expectCode(store.delete(bad), 'InvalidArgument');
        await expectCode(store.copy(key('b'), bad), 'InvalidArgument');
        const many = await store.deleteMany([bad]);
        expect(many.deleted).toEqual([]);
        expect(many.errors.map((e) => (e.error as CloudmuxError).code)).toEqual(['InvalidArgument']);
      }
      expect(await listAllKeys(store, prefix)).toEqual([key('b')]);
      expect(await (await store.get(key('b'))).text()).toBe('kept');
    });

    it('a key with a newline or another control character is InvalidArgument, and listing still works', async (ctx) => {
      const { store, key, prefix } = setup(ctx);
      await store.put(key('plain'), 'x');
      // S3 answered NotFound, GCS InvalidArgument, and Azure stored it and then failed to list.
      for (const bad of [
        key('line\nbreak'),
        key('carriage\rreturn'),
        key('tab\there'),
        key('nul\0'),
        key('del\u007f'),
      ]) {
        await expectCode(store.put(bad, 'x'), 'InvalidArgument');
        await expectCode(store.get(bad), 'InvalidArgument');
        await expectCode(store.head(bad), 'InvalidArgument');
        await expectCode(store.delete(bad), 'InvalidArgument');
      }
      await expectCode(store.list({ prefix: `${prefix}line\n` }), 'InvalidArgument');
      expect(await listAllKeys(store, prefix)).toEqual([key('plain')]);
    });

    it("a key at the store's byte limit round-trips; one byte more is InvalidArgument", async (ctx) => {
      const { store, prefix } = setup(ctx);
      const room = store.limits.maxKeyBytes - Buffer.byteLength(prefix);
      // Segments of 200 bytes: a filesystem store also limits each path component (255 bytes).
      const name = Array.from({ length: Math.ceil(room / 201) }, () => 'k'.repeat(200))
        .join('/')
        .slice(0, room);
      const longest = `${prefix}${name.endsWith('/') ? `${name.slice(0, -1)}k` : name}`;
      expect(Buffer.byteLength(longest)).toBe(store.limits.maxKeyBytes);
      await store.put(longest, 'at the limit');
      expect(await (await store.get(longest)).text()).toBe('at the limit');
      expect(await listAllKeys(store, prefix)).toEqual([longest]);
      await expectCode(store.put(`${longest}k`, 'over'), 'InvalidArgument');
      await expectCode(store.head(`${longest}k`), 'InvalidArgument');
    });

    // ---- URL openers ----

    it('a store opened from its URL sees what this store wrote, and the other way round', async (ctx) => {
      const { store, key } = setup(ctx);
      const opened = await openedFromUrl(ctx, 'objectStore', target, store);
      try {
        await store.put(key('from-config'), 'written through config');
        expect(await (await opened.get(key('from-config'))).text()).toBe('written through config');
        await opened.put(key('from-url'), 'written through the URL');
        expect(await (await store.get(key('from-url'))).text()).toBe('written through the URL');
        expect(opened.uriOf(key('from-url'))).toBe(store.uriOf(key('from-url')));
      } finally {
        await opened.close();
      }
    });

    // ---- cancellation ----

    it('a call whose signal is already aborted is Cancelled and does nothing', async (ctx) => {
      const { store, key } = setup(ctx);
      const k = key('never');
      const signal = AbortSignal.abort();
      await expectCode(store.put(k, 'x', { signal }), 'Cancelled');
      await expectCode(store.get(k, { signal }), 'Cancelled');
      await expectCode(store.list({ prefix: k, signal }), 'Cancelled');
      await expectCode(store.head(k), 'NotFound');
    });

    it('aborting a streamed put mid-body is Cancelled at once and stores nothing', async (ctx) => {
      const { store, key } = setup(ctx);
      const k = key('aborted-upload');
      // One chunk arrives, then the body stalls: only the abort can end the call.
      const body = new Readable({ read() {} });
      body.push(new Uint8Array(64 * 1024).fill(1));
      const controller = new AbortController();
      const pending = store.put(k, body, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 200));
      controller.abort();
      const error = await expectCode(pending, 'Cancelled');
      expect(error.retryable).toBe(false);
      body.destroy();
      await expectCode(store.head(k), 'NotFound');
      expect(await listAllKeys(store, k)).toEqual([]);
    });

    it('aborting a listAll between pages ends the iteration with Cancelled', async (ctx) => {
      const { store, key, prefix } = setup(ctx);
      await Promise.all(['1', '2', '3'].map((n) => store.put(key(n), n)));
      const controller = new AbortController();
      const seen: string[] = [];
      const iterate = async () => {
        for await (const object of store.listAll({ prefix, pageSize: 1, signal: controller.signal })) {
          seen.push(object.key);
          controller.abort();
        }
      };
      await expectCode(iterate(), 'Cancelled');
      expect(seen).toEqual([key('1')]);
    });

    // ---- copy ----

    it('copy duplicates body, content type and metadata and leaves the source', async (ctx) => {
      const { store, key, capabilities, usable, oracle } = setup(ctx);
      const source = key('copy/source');
      const copyTarget = key('copy/target');
      await store.put(source, 'payload', {
        contentType: 'text/csv',
        ...(usable.userMetadata ? { metadata: { origin: 'source' } } : {}),
      });
      const run = await gate(ctx, target, capabilities.copy, 'copy', () => store.copy(source, copyTarget));
      if (!run) return;
      const copied = await store.copy(source, copyTarget);
      expect(copied.key).toBe(copyTarget);
      expect(copied.size).toBe(7);
      const head = await store.head(copyTarget);
      expect(head.etag).toBe(copied.etag);
      expect(head.contentType).toBe('text/csv');
      if (usable.userMetadata) expect(head.metadata?.origin).toBe('source');
      expect(await (await store.get(copyTarget)).text()).toBe('payload');
      expect(await (await store.get(source)).text()).toBe('payload');
      if (oracle) expect(Buffer.from((await oracle.rawGet(copyTarget))!).toString()).toBe('payload');
    });

    it('copy from a missing source is NotFound', async (ctx) => {
      const { store, key, capabilities } = setup(ctx);
      const run = await gate(ctx, target, capabilities.copy, 'copy', () =>
        store.copy(key('missing'), key('target')),
      );
      if (!run) return;
      await expectCode(store.copy(key('missing'), key('target')), 'NotFound');
    });

    it('copy create-only onto an existing key is AlreadyExists and leaves it untouched', async (ctx) => {
      const { store, key, capabilities } = setup(ctx);
      await store.put(key('src'), 'new');
      await store.put(key('dst'), 'old');
      const run = await gate(ctx, target, capabilities.copyCreateOnly, 'copyCreateOnly', () =>
        store.copy(key('src'), key('dst'), { ifNoneMatch: '*' }),
      );
      if (!run) return;
      await expectCode(store.copy(key('src'), key('dst'), { ifNoneMatch: '*' }), 'AlreadyExists');
      expect(await (await store.get(key('dst'))).text()).toBe('old');
      await store.copy(key('src'), key('fresh'), { ifNoneMatch: '*' });
      expect(await (await store.get(key('fresh'))).text()).toBe('new');
    });

    // ---- conditional writes ----

    it('create-only twice: the second is AlreadyExists and the first body stays', async (ctx) => {
      const { store, key, capabilities, oracle } = setup(ctx);
      const k = key('once');
      const run = await gate(ctx, target, capabilities.createOnly, 'createOnly', () =>
        store.put(k, 'first', { ifNoneMatch: '*' }),
      );
      if (!run) return;
      const first = await store.put(k, 'first', { ifNoneMatch: '*' });
      await expectCode(store.put(k, 'second', { ifNoneMatch: '*' }), 'AlreadyExists');
      const head = await store.head(k);
      expect(head.etag).toBe(first.etag);
      expect(await (await store.get(k)).text()).toBe('first');
      if (oracle) expect(Buffer.from((await oracle.rawGet(k))!).toString()).toBe('first');
    });

    it('racing create-only writers: exactly one wins', async (ctx) => {
      const { store, key, capabilities } = setup(ctx);
      const k = key('race');
      const run = await gate(ctx, target, capabilities.createOnly, 'createOnly', () =>
        store.put(k, 'x', { ifNoneMatch: '*' }),
      );
      if (!run) return;
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.put(k, `writer-${i}`, { ifNoneMatch: '*' })),
      );
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(CloudmuxError.hasCode(r.reason, 'AlreadyExists')).toBe(true);
      }
      expect(await (await store.get(k)).text()).toBe(`writer-${winners[0]}`);
    });

    it('compare-and-swap: a current etag succeeds, a stale one is PreconditionFailed', async (ctx) => {
      const { store, key, capabilities } = setup(ctx);
      const k = key('cas');
      const v1 = await store.put(k, 'v1');
      const run = await gate(ctx, target, capabilities.compareAndSwap, 'compareAndSwap', () =>
        store.put(k, 'v2', { ifMatch: v1.etag }),
      );
      if (!run) return;
      const v2 = await store.put(k, 'v2', { ifMatch: v1.etag });
      expect(v2.etag).not.toBe(v1.etag);
      await expectCode(store.put(k, 'stale', { ifMatch: v1.etag }), 'PreconditionFailed');
      expect(await (await store.get(k)).text()).toBe('v2');
      expect((await store.head(k)).etag).toBe(v2.etag);
    });

    it('compare-and-swap on a missing key is PreconditionFailed and creates nothing', async (ctx) => {
      const { store, key, capabilities } = setup(ctx);
      const k = key('cas-missing');
      const run = await gate(ctx, target, capabilities.compareAndSwap, 'compareAndSwap', () =>
        store.put(k, 'x', { ifMatch: 'anything' }),
      );
      if (!run) return;
      await expectCode(store.put(k, 'x', { ifMatch: '"0123456789abcdef"' }), 'PreconditionFailed');
      await expectCode(store.head(k), 'NotFound');
    });

    it('5 workers × 10 compare-and-swap increments end at exactly 50', async (ctx) => {
      const { store, key, capabilities, oracle } = setup(ctx);
      const k = key('counter');
      await store.put(k, '0');
      const run = await gate(ctx, target, capabilities.compareAndSwap, 'compareAndSwap', async () => {
        const current = await store.head(k);
        return store.put(k, '1', { ifMatch: current.etag });
      });
      if (!run) return;
      let conflicts = 0;
      async function increment(): Promise<void> {
        for (;;) {
          const current = await store.get(k);
          const value = Number(await current.text());
          try {
            await store.put(k, String(value + 1), { ifMatch: current.etag });
            return;
          } catch (error) {
            if (!CloudmuxError.hasCode(error, 'PreconditionFailed')) throw error;
            conflicts++;
          }
        }
      }
      await Promise.all(
        Array.from({ length: 5 }, async () => {
          for (let i = 0; i < 10; i++) await increment();
        }),
      );
      expect(await (await store.get(k)).text()).toBe('50');
      if (oracle) expect(Buffer.from((await oracle.rawGet(k))!).toString()).toBe('50');
      ctx.annotate(`${conflicts} compare-and-swap conflicts retried`);
    }, 120_000);

    // ---- concurrency ----

    it('concurrent writers to one key leave exactly one complete body with its own metadata', async (ctx) => {
      const { store, key, usable, oracle } = setup(ctx);
      const k = key('contended');
      const bodies = Array.from({ length: 10 }, (_, i) => `writer-${i}:`.padEnd(64 * 1024, String(i)));
      const results = await Promise.all(
        bodies.map((body, i) =>
          store.put(k, body, {
            contentType: `text/x-writer-${i}`,
            ...(usable.userMetadata ? { metadata: { writer: String(i) } } : {}),
          }),
        ),
      );
      const got = await store.get(k);
      const text = await got.text();
      const winner = bodies.indexOf(text);
      expect(winner).toBeGreaterThanOrEqual(0);
      expect(got.etag).toBe(results[winner]!.etag);
      expect(got.contentType).toBe(`text/x-writer-${winner}`);
      if (usable.userMetadata) expect(got.metadata?.writer).toBe(String(winner));
      if (oracle) expect(Buffer.from((await oracle.rawGet(k))!).toString()).toBe(text);
    });

    it('concurrent writers to many keys all land and list', async (ctx) => {
      const { store, key, prefix } = setup(ctx);
      const keys = Array.from({ length: 40 }, (_, i) => key(`p${i % 4}/obj-${String(i).padStart(2, '0')}`));
      await Promise.all(keys.map((k) => store.put(k, k)));
      expect(await listAllKeys(store, prefix)).toEqual(sortedUtf8(keys));
      const bodies = await Promise.all(keys.map(async (k) => (await store.get(k)).text()));
      expect(bodies).toEqual(keys);
    });

    it('readers racing a writer see either the old or the new object, never a mix', async (ctx) => {
      const { store, key } = setup(ctx);
      const k = key('flip');
      const old = 'A'.repeat(32 * 1024);
      const next = 'B'.repeat(48 * 1024);
      const first = await store.put(k, old, { contentType: 'text/x-old' });
      const writes = (async () => {
        const seen: string[] = [first.etag];
        for (let i = 0; i < 10; i++)
          seen.push(
            (await store.put(k, i % 2 ? old : next, { contentType: i % 2 ? 'text/x-old' : 'text/x-new' }))
              .etag,
          );
        return seen;
      })();
      const reads: Array<{ text: string; info: ObjectInfo }> = [];
      for (let i = 0; i < 20; i++) {
        const got = await store.get(k);
        reads.push({ text: await got.text(), info: got });
      }
      await writes;
      for (const { text, info } of reads) {
        expect(text === old || text === next).toBe(true);
        expect(info.size).toBe(text.length);
        expect(info.contentType).toBe(text === old ? 'text/x-old' : 'text/x-new');
      }
    });

    // ---- presigned URLs ----

    it('a presigned GET URL downloads the object with plain fetch', async (ctx) => {
      const { store, key, capabilities } = setup(ctx);
      const k = key('presigned get.txt');
      await store.put(k, 'signed body', { contentType: 'text/plain' });
      const run = await gate(ctx, target, capabilities.presignGet, 'presignGet', () =>
        store.presign(k, { method: 'GET', expiresInSeconds: 300 }),
      );
      if (!run) return;
      const url = await store.presign(k, { method: 'GET', expiresInSeconds: 300 });
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('signed body');
    });

    it('a presigned PUT URL uploads an object with plain fetch', async (ctx) => {
      const { store, key, capabilities } = setup(ctx);
      const k = key('presigned put.txt');
      const run = await gate(ctx, target, capabilities.presignPut, 'presignPut', () =>
        store.presign(k, { method: 'PUT', expiresInSeconds: 300, contentType: 'text/plain' }),
      );
      if (!run) return;
      const url = await store.presign(k, { method: 'PUT', expiresInSeconds: 300, contentType: 'text/plain' });
      const response = await fetch(url, {
        method: 'PUT',
        body: 'uploaded by fetch',
        headers: { 'content-type': 'text/plain', ...target.presignPutHeaders },
      });
      expect(response.status).toBeGreaterThanOrEqual(200);
      expect(response.status).toBeLessThan(300);
      expect(await (await store.get(k)).text()).toBe('uploaded by fetch');
    });

    describeFaultGroup(target, 'objectStore', objectStoreFaultProbe);
  });
}
