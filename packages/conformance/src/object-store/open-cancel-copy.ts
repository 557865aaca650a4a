/**
 * Object-store cases: URL openers, cancellation with an AbortSignal, and copy.
 */
import { Readable } from 'node:stream';
import { expectCode, gate, openedFromUrl } from '../harness.ts';
import type { ObjectStoreSuite } from './fixture.ts';
import { listAllKeys } from './fixture.ts';

export function objectStoreOpenCancelCopyCases(s: ObjectStoreSuite): void {
  const { it, expect, target, setup } = s;
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
}
