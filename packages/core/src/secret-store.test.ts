import { format, inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CloudmuxError } from './errors.ts';
import {
  assertSecretName,
  type SecretStore,
  SecretValue,
  scrubSecrets,
  withSecretCache,
} from './secret-store.ts';

/** A minimal in-memory store that counts reads; the cache wrapper is what is under test. */
function memoryStore() {
  const versions = new Map<string, string[]>();
  const reads = { latest: 0, pinned: 0 };
  const notFound = (name: string) =>
    new CloudmuxError({ code: 'NotFound', message: `no secret ${name}`, resource: 'secretStore' });
  const store: SecretStore = {
    provider: 'memory',
    capabilities: {
      versions: true,
      getVersion: true,
      listVersions: true,
      binaryValues: false,
      softDelete: false,
    },
    async put(name, value) {
      const list = versions.get(name) ?? [];
      list.push(String(value));
      versions.set(name, list);
      return { version: String(list.length) };
    },
    async get(name, options) {
      const list = versions.get(name);
      if (!list) throw notFound(name);
      if (options?.version) reads.pinned++;
      else reads.latest++;
      const version = options?.version ? Number(options.version) : list.length;
      const value = list[version - 1];
      if (value === undefined) throw notFound(name);
      return new SecretValue(name, String(version), value);
    },
    async listVersions(name) {
      return (versions.get(name) ?? []).map((_, i) => ({ version: String(i + 1), enabled: true })).reverse();
    },
    async list() {
      return [...versions.keys()].map((name) => ({ name }));
    },
    async delete(name) {
      if (!versions.delete(name)) throw notFound(name);
    },
    async close() {},
  };
  return { store, reads };
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
    expect((await cached.listVersions('a')).map((v) => v.version)).toEqual(['2', '1']);
    expect(await cached.list()).toEqual([{ name: 'a' }]);
  });
});

describe('scrubSecrets and assertSecretName', () => {
  it('scrubSecrets removes every occurrence of each secret of 4+ characters', () => {
    expect(scrubSecrets('user=bob pass=hunter22 again hunter22', ['hunter22', 'abc'])).toBe(
      'user=bob pass=[redacted secret] again [redacted secret]',
    );
  });

  it('assertSecretName rejects empty names and control characters with InvalidArgument', () => {
    for (const bad of ['', 'a\nb', 'nul\0', '\u001f']) {
      let caught: unknown;
      try {
        assertSecretName('p', bad);
      } catch (error) {
        caught = error;
      }
      expect(CloudmuxError.hasCode(caught, 'InvalidArgument'), JSON.stringify(bad)).toBe(true);
    }
    expect(() => assertSecretName('p', 'ünïcode/name with spaces')).not.toThrow();
  });
});
