/**
 * Object-store cases: conditional writes (create-only, compare-and-swap), racing writers and readers,
 * presigned URLs.
 */
import { CloudmuxError, type ObjectInfo } from '@cloudmux/core';
import { expectCode, gate } from '../harness.ts';
import type { ObjectStoreSuite } from './fixture.ts';
import { listAllKeys, sortedUtf8 } from './fixture.ts';

export function objectStoreConcurrencyCases(s: ObjectStoreSuite): void {
  const { it, expect, target, setup } = s;
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
          (await store.put(k, i % 2 ? old : next, { contentType: i % 2 ? 'text/x-old' : 'text/x-new' })).etag,
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
}
