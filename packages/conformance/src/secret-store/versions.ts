/**
 * Secret-store cases: versions, listing, awkward names, value round trips, deletes, concurrent puts.
 */
import { eventually, expectCode, gate, openedFromUrl, skipWithReason, uniqueName } from '../harness.ts';
import type { SecretStoreSuite } from './fixture.ts';
import { recognisableValue } from './fixture.ts';

export function secretStoreVersionCases(s: SecretStoreSuite): void {
  const { it, expect, target, setup } = s;
  it('put then get returns the value, its name and the version put returned', async (ctx) => {
    const { store, name } = await setup(ctx);
    const secret = name('basic');
    const value = recognisableValue();
    const { version } = await store.put(secret, value);
    expect(typeof version).toBe('string');
    expect(version.length).toBeGreaterThan(0);
    const got = await store.get(secret);
    expect(got.reveal()).toBe(value);
    expect(got.name).toBe(secret);
    expect(got.version).toBe(version);
  });

  it('a second put creates a new version and get returns the latest', async (ctx) => {
    const { store, name, capabilities } = await setup(ctx);
    const secret = name('rotate');
    const first = await store.put(secret, 'value-one');
    const second = await store.put(secret, 'value-two');
    if (capabilities.versions) expect(second.version).not.toBe(first.version);
    const got = await store.get(secret);
    expect(got.reveal()).toBe('value-two');
    expect(got.version).toBe(second.version);
  });

  it('an old version can still be read by its id', async (ctx) => {
    const { store, name, capabilities } = await setup(ctx);
    const secret = name('old');
    const first = await store.put(secret, 'value-one');
    await store.put(secret, 'value-two');
    const run = await gate(ctx, target, capabilities.getVersion, 'getVersion', () =>
      store.get(secret, { version: first.version }),
    );
    if (!run) return;
    const old = await store.get(secret, { version: first.version });
    expect(old.reveal()).toBe('value-one');
    expect(old.version).toBe(first.version);
  });

  it('a version id of another secret is NotFound (a version belongs to its secret)', async (ctx) => {
    const { store, name, capabilities } = await setup(ctx);
    const mine = name('mine');
    const other = name('other');
    await store.put(mine, 'mine-one');
    await store.put(other, 'other-one');
    const foreign = await store.put(other, 'other-two');
    const run = await gate(ctx, target, capabilities.getVersion, 'getVersion', () =>
      store.get(mine, { version: foreign.version }),
    );
    if (!run) return;
    await expectCode(store.get(mine, { version: foreign.version }), 'NotFound');
  });

  it('listVersions lists every version, newest first', async (ctx) => {
    const { store, name, capabilities } = await setup(ctx);
    const secret = name('versions');
    const ids: string[] = [];
    for (const value of ['v-one', 'v-two', 'v-three']) ids.push((await store.put(secret, value)).version);
    const run = await gate(ctx, target, capabilities.listVersions, 'listVersions', () =>
      store.listVersions(secret),
    );
    if (!run) return;
    const versions = await store.listVersions(secret);
    expect(versions.map((v) => v.version)).toEqual([...ids].reverse());
    expect(versions.every((v) => v.enabled)).toBe(true);
  });

  it('listVersions of a missing secret is NotFound', async (ctx) => {
    const { store, name, capabilities } = await setup(ctx);
    const secret = name('missing-versions');
    const run = await gate(ctx, target, capabilities.listVersions, 'listVersions', () =>
      store.listVersions(secret),
    );
    if (!run) return;
    await expectCode(store.listVersions(secret), 'NotFound');
  });

  it('list by prefix returns exactly the secrets under the prefix', async (ctx) => {
    const { store, name, track } = await setup(ctx);
    const prefix = uniqueName('cmx-list');
    const inside = [track(`${prefix}-a`), track(`${prefix}-b`)];
    const outside = name('elsewhere');
    for (const secret of inside) await store.put(secret, 'listed');
    await store.put(outside, 'not-listed');
    let names: string[] = [];
    await eventually(async () => {
      names = (await store.list({ prefix })).map((entry) => entry.name).sort();
      return names.length >= inside.length;
    });
    expect(names).toEqual(inside);
  });

  it('names with /, ., _ and mixed case round trip, and a / prefix lists them by their original names', async (ctx) => {
    const { store, track, capabilities } = await setup(ctx);
    // Core allows any name without control characters; each provider must map what its alphabet lacks.
    const root = uniqueName('cmx-Portable');
    const prefix = `${root}/Ingest/`;
    const inside = [`${prefix}api_key`, `${prefix}Db.Password`, `${prefix}run.1/token_v2`].map(track);
    const outside = [`${root}/Ingest`, `${root}/Ingest-other/api_key`, `${root}/ingest/api_key`].map(track);
    for (const secret of [...inside, ...outside]) {
      await store.put(secret, `first ${secret}`);
      await store.put(secret, `second ${secret}`);
    }
    for (const secret of [...inside, ...outside]) {
      const got = await store.get(secret);
      expect(got.name).toBe(secret);
      expect(got.reveal()).toBe(`second ${secret}`);
      if (capabilities.listVersions) expect(await store.listVersions(secret)).toHaveLength(2);
    }
    let names: string[] = [];
    await eventually(async () => {
      names = (await store.list({ prefix })).map((entry) => entry.name).sort();
      return names.length >= inside.length;
    });
    expect(names).toEqual([...inside].sort());
    const [gone, ...kept] = inside as [string, ...string[]];
    await store.delete(gone, { force: true });
    await expectCode(store.get(gone), 'NotFound');
    await eventually(async () => {
      names = (await store.list({ prefix })).map((entry) => entry.name).sort();
      return !names.includes(gone);
    });
    expect(names).toEqual([...kept].sort());
  });

  it('names differing only in a character a provider must map stay distinct secrets', async (ctx) => {
    const { store, track } = await setup(ctx);
    const root = uniqueName('cmx-distinct');
    // Pairs that collide under a lossy mapping (/ . _ → -, case folding) or a naive escape scheme.
    const suffixes = ['a/b', 'a-b', 'a.b', 'a_b', 'A_b', 'a_2fb', 'a-2fb', 'a_5f2fb', 'a--b'];
    const secrets = suffixes.map((suffix) => track(`${root}/${suffix}`));
    for (const [i, secret] of secrets.entries()) await store.put(secret, `value-${i}`);
    for (const [i, secret] of secrets.entries()) {
      const got = await store.get(secret);
      expect(got.name).toBe(secret);
      expect(got.reveal()).toBe(`value-${i}`);
    }
    let names: string[] = [];
    await eventually(async () => {
      names = (await store.list({ prefix: `${root}/` })).map((entry) => entry.name).sort();
      return names.length >= secrets.length;
    });
    expect(names).toEqual([...secrets].sort());
  });

  it('binary values round trip byte for byte', async (ctx) => {
    const { store, name, capabilities } = await setup(ctx);
    const secret = name('binary');
    // Every byte value, including sequences that are not valid UTF-8.
    const bytes = new Uint8Array(512).map((_, i) => (i * 7) % 256);
    const run = await gate(ctx, target, capabilities.binaryValues, 'binaryValues', () =>
      store.put(secret, bytes),
    );
    if (!run) return;
    await store.put(secret, bytes);
    expect(Buffer.from((await store.get(secret)).bytes()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('unicode values round trip exactly', async (ctx) => {
    const { store, name } = await setup(ctx);
    const secret = name('unicode');
    const value = 'pässwörd 🔑 秘密 ключ e\u0301 \u200d “quotes” \\ / \n next line';
    await store.put(secret, value);
    expect((await store.get(secret)).reveal()).toBe(value);
  });

  it('a 16 KB value round trips', async (ctx) => {
    const { store, name } = await setup(ctx);
    const secret = name('large');
    const value = Array.from({ length: 16 * 1024 }, (_, i) => String.fromCharCode(33 + (i % 90))).join('');
    await store.put(secret, value);
    expect((await store.get(secret)).reveal()).toBe(value);
  });

  it('after delete, get is NotFound and list no longer shows the secret', async (ctx) => {
    const { store, name } = await setup(ctx);
    const secret = name('delete');
    await store.put(secret, 'to-delete');
    await store.delete(secret, { force: true });
    await expectCode(store.get(secret), 'NotFound');
    await eventually(async () => !(await store.list({ prefix: secret })).some((e) => e.name === secret));
  });

  it('delete without force (soft delete where supported) also hides the secret from get and list', async (ctx) => {
    const { store, name } = await setup(ctx);
    const secret = name('soft-delete');
    await store.put(secret, 'to-delete-softly');
    await store.delete(secret);
    await expectCode(store.get(secret), 'NotFound');
    await eventually(async () => !(await store.list({ prefix: secret })).some((e) => e.name === secret));
  });

  it('a store opened from its URL reads what this store wrote, and the other way round', async (ctx) => {
    const { store, name } = await setup(ctx);
    const opened = await openedFromUrl(ctx, 'secretStore', target, store);
    try {
      const viaConfig = name('via-config');
      const value = recognisableValue();
      const { version } = await store.put(viaConfig, value);
      const read = await opened.get(viaConfig);
      expect([read.reveal(), read.version]).toEqual([value, version]);
      const viaUrl = name('via-url');
      await opened.put(viaUrl, 'written through the URL');
      expect((await store.get(viaUrl)).reveal()).toBe('written through the URL');
    } finally {
      await opened.close();
    }
  });

  it('get of a missing secret is NotFound', async (ctx) => {
    const { store, name } = await setup(ctx);
    await expectCode(store.get(name('never-created')), 'NotFound');
  });

  it('delete of a missing secret is NotFound', async (ctx) => {
    const { store, name } = await setup(ctx);
    await expectCode(store.delete(name('never-created'), { force: true }), 'NotFound');
  });

  it('concurrent puts each get their own version and none is lost', async (ctx) => {
    const { store, name, capabilities } = await setup(ctx);
    if (!capabilities.versions) skipWithReason(ctx, 'the adapter does not declare versions');
    const secret = name('concurrent');
    await store.put(secret, 'initial');
    const values = ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'];
    const results = await Promise.all(values.map((value) => store.put(secret, value)));
    const ids = results.map((r) => r.version);
    expect(new Set(ids).size).toBe(values.length);
    if (capabilities.getVersion) {
      for (const [index, id] of ids.entries()) {
        expect((await store.get(secret, { version: id })).reveal()).toBe(values[index]);
      }
    }
  });
}
