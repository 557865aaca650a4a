import { format, inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CloudmuxError } from '../errors.ts';
import { withSecretCache } from './cache.ts';
import type { SecretStoreDriver } from './driver.ts';
import { portableSecretStore } from './portable-secret-store.ts';
import { SecretValue, scrubSecrets } from './value.ts';

/**
 * A minimal in-memory driver that counts reads, under the portable SecretStore; the cache wrapper
 * is what is under test.
 */
function memoryStore() {
  const versions = new Map<string, string[]>();
  const reads = { latest: 0, pinned: 0 };
  const driver: SecretStoreDriver = {
    provider: 'memory',
    capabilities: {
      versions: true,
      getVersion: true,
      listVersions: true,
      binaryValues: false,
      softDelete: false,
    },
    limits: { maxValueBytes: 64 },
    secretNameProblem: (name) => (name.length > 40 ? 'longer than 40 characters' : undefined),
    valueSize: (_value, bytes) => bytes.byteLength,
    errorCode: () => 'Internal',
    native: () => versions,
    async put(name, value) {
      const list = versions.get(name) ?? [];
      list.push(String(value));
      versions.set(name, list);
      return String(list.length);
    },
    async get(name, version) {
      const list = versions.get(name);
      if (version) reads.pinned++;
      else reads.latest++;
      const number = version ? Number(version) : (list?.length ?? 0);
      const value = list?.[number - 1];
      if (value === undefined) throw Object.assign(new Error('no such secret'), { status: 404 });
      return { version: String(number), value };
    },
    async listVersions(name) {
      return {
        items: (versions.get(name) ?? []).map((_, i) => ({
          version: String(i + 1),
          enabled: true,
          order: [i + 1],
        })),
      };
    },
    async list() {
      return { items: [...versions.keys()].map((name) => ({ name })) };
    },
    async delete(name) {
      if (!versions.delete(name)) throw Object.assign(new Error('no such secret'), { status: 404 });
    },
    async close() {},
  };
  driver.errorCode = (error) => ((error as { status?: number }).status === 404 ? 'NotFound' : 'Internal');
  return { store: portableSecretStore(driver), driver, reads };
}

describe('SecretValue', () => {
  const plaintext = 'correct-horse-battery-staple';

  it('hides the plaintext from every string form', () => {
    const secret = new SecretValue('db', '3', plaintext, new Date(0));
    const forms = [
      String(secret),
      `${secret}`,
      secret.toString(),
      JSON.stringify(secret),
      JSON.stringify({ config: { password: secret } }),
      inspect(secret),
      inspect({ nested: [secret] }, { depth: 20, showHidden: true }),
      // Even with custom inspection off, the bytes sit in a private field inspect cannot see.
      inspect(secret, { customInspect: false, showHidden: true, depth: 20 }),
      JSON.stringify({ ...secret }),
      format('%s %o %O %j', secret, secret, secret, secret),
    ];
    for (const form of forms) expect(form).not.toContain(plaintext);
    expect(JSON.parse(JSON.stringify(secret))).toEqual({
      name: 'db',
      version: '3',
      value: '[redacted secret]',
    });
    expect(inspect(secret)).toContain('db@3');
  });

  it('reveals the plaintext only on request, as text or bytes', () => {
    const secret = new SecretValue('db', '1', plaintext);
    expect(secret.reveal()).toBe(plaintext);
    expect(new TextDecoder().decode(secret.bytes())).toBe(plaintext);
    expect(secret.name).toBe('db');
    expect(secret.version).toBe('1');
  });

  it('keeps its own copy of the bytes (a Buffer input or a bytes() result can be wiped safely)', () => {
    const input = Buffer.from([1, 2, 3, 4]);
    const secret = new SecretValue('bin', '1', input);
    input.fill(0);
    expect([...secret.bytes()]).toEqual([1, 2, 3, 4]);
    secret.bytes().fill(9);
    expect([...secret.bytes()]).toEqual([1, 2, 3, 4]);
  });
});

describe('withSecretCache', () => {
  it('serves the latest value from memory until the TTL passes, then sees a rotation', async () => {
    const { store, reads } = memoryStore();
    let clock = 0;
    const cached = withSecretCache(store, { ttlMs: 1_000, now: () => clock });
    await store.put('db', 'one');
    expect((await cached.get('db')).reveal()).toBe('one');
    await store.put('db', 'two'); // rotated behind the cache's back
    clock = 999;
    expect((await cached.get('db')).reveal()).toBe('one');
    expect(reads.latest).toBe(1);
    clock = 1_000;
    expect((await cached.get('db')).reveal()).toBe('two');
    expect(reads.latest).toBe(2);
    clock = 1_500;
    expect((await cached.get('db')).reveal()).toBe('two');
    expect(reads.latest).toBe(2);
  });

  it('a put through the wrapper invalidates at once', async () => {
    const { store } = memoryStore();
    const cached = withSecretCache(store, { ttlMs: 60_000, now: () => 0 });
    await cached.put('db', 'one');
    expect((await cached.get('db')).reveal()).toBe('one');
    await cached.put('db', 'two');
    expect((await cached.get('db')).reveal()).toBe('two');
  });

  it('caches pinned versions without expiry and forgets them on delete', async () => {
    const { store, reads } = memoryStore();
    let clock = 0;
    const cached = withSecretCache(store, { ttlMs: 10, now: () => clock });
    await store.put('db', 'one');
    await store.put('db', 'two');
    expect((await cached.get('db', { version: '1' })).reveal()).toBe('one');
    clock = 1_000_000;
    expect((await cached.get('db', { version: '1' })).reveal()).toBe('one');
    expect(reads.pinned).toBe(1);
    await cached.delete('db');
    const error = await cached.get('db', { version: '1' }).catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(error, 'NotFound')).toBe(true);
    expect(CloudmuxError.hasCode(await cached.get('db').catch((e: unknown) => e), 'NotFound')).toBe(true);
  });

  it('does not cache a miss: a secret created later is found', async () => {
    const { store } = memoryStore();
    const cached = withSecretCache(store, { ttlMs: 60_000, now: () => 0 });
    expect(CloudmuxError.hasCode(await cached.get('late').catch((e: unknown) => e), 'NotFound')).toBe(true);
    await store.put('late', 'here');
    expect((await cached.get('late')).reveal()).toBe('here');
  });

  it('passes the other calls and the declared capabilities through', async () => {
    const { store } = memoryStore();
    const cached = withSecretCache(store, { ttlMs: 1 });
    await cached.put('a', '1');
    await cached.put('a', '2');
    expect(cached.provider).toBe('memory');
    expect(cached.capabilities).toBe(store.capabilities);
    expect(cached.native()).toBe(store.native());
    expect((await cached.listVersions('a')).map((v) => v.version)).toEqual(['2', '1']);
    expect(await cached.list()).toEqual([{ name: 'a' }]);
  });
});

describe('scrubSecrets', () => {
  it('removes every occurrence of each secret of 4+ characters', () => {
    expect(scrubSecrets('user=bob pass=hunter22 again hunter22', ['hunter22', 'abc'])).toBe(
      'user=bob pass=[redacted secret] again [redacted secret]',
    );
  });
});

describe('portable SecretStore', () => {
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: unknown) => (CloudmuxError.isInstance(error) ? error.code : `raw ${String(error)}`),
    );

  it('refuses empty, oversized and non-text values with InvalidArgument before the driver runs', async () => {
    const { store, driver } = memoryStore();
    expect(await codeOf(store.put('db', ''))).toBe('InvalidArgument');
    expect(await codeOf(store.put('db', new Uint8Array(0)))).toBe('InvalidArgument');
    expect(await codeOf(store.put('db', 'x'.repeat(65)))).toBe('InvalidArgument');
    expect(await codeOf(store.put('db', 42 as unknown as string))).toBe('InvalidArgument');
    expect((driver.native() as Map<string, string[]>).size).toBe(0);
    expect(await codeOf(store.put('db', 'x'.repeat(64)))).toBe('ok');
  });

  it('refuses empty names, control characters and names the driver rules out', async () => {
    const { store } = memoryStore();
    for (const bad of ['', 'a\nb', 'nul\0', '\u001f', 'del\u007f', 'n'.repeat(41)]) {
      expect(await codeOf(store.get(bad)), JSON.stringify(bad)).toBe('InvalidArgument');
    }
    expect(await codeOf(store.put('ünïcode/name with spaces', 'v'))).toBe('ok');
  });

  it('lists versions newest first, marks the newest as latest, and a secret with none is NotFound', async () => {
    const { store } = memoryStore();
    for (const value of ['a', 'b', 'c']) await store.put('db', value);
    const versions = await store.listVersions('db');
    expect(versions.map((v) => v.version)).toEqual(['3', '2', '1']);
    expect(versions.map((v) => v.stages)).toEqual([['latest'], undefined, undefined]);
    expect(await codeOf(store.listVersions('missing'))).toBe('NotFound');
  });

  it('reads every page of a listing, keeps exact prefix matches once, sorted by name', async () => {
    const { driver } = memoryStore();
    const pages = [
      { items: [{ name: 'app/b' }, { name: 'other' }], cursor: 'p2' },
      { items: [{ name: 'app/a' }, { name: 'app/b' }], cursor: 'p3' },
      { items: [{ name: 'apple' }] },
    ];
    const cursors: Array<string | undefined> = [];
    driver.list = async (_prefix, cursor) => {
      cursors.push(cursor);
      return pages[cursors.length - 1] ?? { items: [] };
    };
    const names = (await portableSecretStore(driver).list({ prefix: 'app/' })).map((e) => e.name);
    expect(names).toEqual(['app/a', 'app/b']);
    expect(cursors).toEqual([undefined, 'p2', 'p3']);
  });

  it('never retries put or delete, and retries get (explicit idempotency, metered inline)', async () => {
    const { driver } = memoryStore();
    const attempts = { put: 0, get: 0, delete: 0 };
    const flaky = () => Object.assign(new Error('try again'), { status: 503 });
    driver.errorCode = () => 'Unavailable';
    driver.put = async () => {
      attempts.put++;
      throw flaky();
    };
    driver.delete = async () => {
      attempts.delete++;
      throw flaky();
    };
    driver.get = async () => {
      attempts.get++;
      if (attempts.get < 3) throw flaky();
      return { version: '1', value: 'v' };
    };
    const { Meter } = await import('../meter.ts');
    const meter = new Meter({ retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 } });
    const store = portableSecretStore(driver, { meter });
    expect(await codeOf(store.put('db', 'v'))).toBe('Unavailable');
    expect(await codeOf(store.delete('db'))).toBe('Unavailable');
    expect((await store.get('db')).reveal()).toBe('v');
    expect(attempts).toEqual({ put: 1, delete: 1, get: 3 });
  });

  it('hands out the native client, disposes like close, and re-wraps a portable store over its driver', async () => {
    const { store, driver } = memoryStore();
    expect(store.as(Map)).toBe(driver.native());
    expect(store.as(Set)).toBeUndefined();
    let closed = 0;
    driver.close = async () => {
      closed++;
    };
    await store[Symbol.asyncDispose]();
    expect(closed).toBe(1);
    await store.put('db', 'v');
    const rewrapped = portableSecretStore(store);
    expect((await rewrapped.get('db')).reveal()).toBe('v');
  });
});
