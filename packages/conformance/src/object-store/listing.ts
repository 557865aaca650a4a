/**
 * Object-store cases: listing and pagination, awkward keys, and the one answer every provider gives for
 * invalid keys.
 */
import type { CloudmuxError } from '@cloudmux/core';
import { expectCode, gate } from '../harness.ts';
import type { ObjectStoreSuite } from './fixture.ts';
import { type Fixture, listAllKeys, sortedUtf8 } from './fixture.ts';

export function objectStoreListingCases(s: ObjectStoreSuite): void {
  const { it, expect, target, setup } = s;
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
}
