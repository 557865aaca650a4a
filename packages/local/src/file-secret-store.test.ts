import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CloudmuxError, ConfigError } from '@cloudmux/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { code } from '../test/error-code.ts';
import { createFileSecretStore } from './file-secret-store.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cloudmux-secrets-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('file secret store', () => {
  it('creates a key file with mode 0600 and reuses it across instances', async () => {
    const keyFile = join(root, 'keys', 'secret.key');
    const first = createFileSecretStore({ dir: join(root, 's'), keyFile });
    await first.put('db', 'hunter2-first');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const second = createFileSecretStore({ dir: join(root, 's'), keyFile });
    expect((await second.get('db')).reveal()).toBe('hunter2-first');
  });

  it('accepts a key as hex or base64 and prefers it over the key file', async () => {
    const key = randomBytes(32);
    const dir = join(root, 's');
    const keyFile = join(root, 'unused.key');
    await createFileSecretStore({ dir, keyFile, key: key.toString('hex') }).put('api', 'v1-value');
    const viaBase64 = createFileSecretStore({ dir, keyFile, key: key.toString('base64') });
    expect((await viaBase64.get('api')).reveal()).toBe('v1-value');
    await expect(stat(keyFile)).rejects.toThrow();
  });

  it('a malformed key is a ConfigError', async () => {
    const store = createFileSecretStore({ dir: root, keyFile: join(root, 'k'), key: 'too-short' });
    const error = await store.put('x', 'y').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
  });

  it('a wrong key is PermissionDenied naming the key mismatch, never garbage plaintext', async () => {
    const dir = join(root, 's');
    await createFileSecretStore({ dir, keyFile: join(root, 'a.key') }).put('db', 'plaintext-value-1');
    await writeFile(join(root, 'b.key'), randomBytes(32).toString('base64'), { mode: 0o600 });
    const other = createFileSecretStore({ dir, keyFile: join(root, 'b.key') });
    const error = await other.get('db').catch((e: unknown) => e as CloudmuxError);
    expect(CloudmuxError.hasCode(error, 'PermissionDenied')).toBe(true);
    expect((error as Error).message).toMatch(/key does not match/);
    expect((error as Error).message).not.toContain('plaintext-value-1');
  });

  it('a version file moved under another version fails authentication instead of returning it', async () => {
    const dir = join(root, 's');
    const store = createFileSecretStore({ dir, keyFile: join(root, 'k') });
    await store.put('db', 'one');
    await store.put('db', 'two');
    const [secretDir] = await readdir(dir);
    const versions = join(dir, secretDir!);
    await rename(join(versions, 'v000000000001.json'), join(versions, 'v000000000003.json'));
    expect(await code(store.get('db'))).toBe('Internal');
  });

  it('any UTF-8 name works and stays inside the directory', async () => {
    const dir = join(root, 's');
    const store = createFileSecretStore({ dir, keyFile: join(root, 'k') });
    const names = ['../../etc/passwd', '/abs/path', 'ünïcödé/名前 🔑', '.', '..', 'a'.repeat(400), 'CON'];
    for (const name of names) await store.put(name, `value of ${name.length}`);
    for (const name of names) expect((await store.get(name)).reveal()).toBe(`value of ${name.length}`);
    expect((await store.list()).map((e) => e.name).sort()).toEqual([...names].sort());
    expect((await store.list({ prefix: 'ünï' })).map((e) => e.name)).toEqual(['ünïcödé/名前 🔑']);
    expect((await store.list({ prefix: 'aaa' })).map((e) => e.name)).toEqual(['a'.repeat(400)]);
    // Nothing was written outside `dir` except the key file.
    expect((await readdir(root)).sort()).toEqual(['k', 's']);
    for (const entry of await readdir(dir)) expect(entry).toMatch(/^([0-9a-f]+|h-[0-9a-f]{64})$/);
  });

  it('rejects empty names and names with control characters', async () => {
    const store = createFileSecretStore({ dir: root, keyFile: join(root, 'k') });
    expect(await code(store.put('', 'v'))).toBe('InvalidArgument');
    expect(await code(store.put('a\0b', 'v'))).toBe('InvalidArgument');
  });

  it('malformed version ids are NotFound and never reach the file system', async () => {
    const store = createFileSecretStore({ dir: root, keyFile: join(root, 'k') });
    await store.put('db', 'value');
    for (const version of ['../k', '0', '-1', 'latest', '1.5', '9999999999999']) {
      expect(await code(store.get('db', { version }))).toBe('NotFound');
    }
  });

  it('stores only ciphertext on disk', async () => {
    const dir = join(root, 's');
    const store = createFileSecretStore({ dir, keyFile: join(root, 'k') });
    await store.put('db', 'very-recognisable-plaintext');
    const [secretDir] = await readdir(dir);
    const text = await readFile(join(dir, secretDir!, 'v000000000001.json'), 'utf8');
    expect(text).not.toContain('very-recognisable-plaintext');
    expect(text).not.toContain(Buffer.from('very-recognisable-plaintext').toString('base64'));
  });

  it('uses a fresh IV per version: equal values encrypt differently', async () => {
    const dir = join(root, 's');
    const store = createFileSecretStore({ dir, keyFile: join(root, 'k') });
    await store.put('db', 'same');
    await store.put('db', 'same');
    const [secretDir] = await readdir(dir);
    const read = async (f: string) =>
      JSON.parse(await readFile(join(dir, secretDir!, f), 'utf8')) as { iv: string; ciphertext: string };
    const [a, b] = [await read('v000000000001.json'), await read('v000000000002.json')];
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('ignores leftover temp files and a corrupted key file is a ConfigError', async () => {
    const keyFile = join(root, 'k');
    const store = createFileSecretStore({ dir: join(root, 's'), keyFile });
    await store.put('db', 'value');
    const [secretDir] = await readdir(join(root, 's'));
    await writeFile(join(root, 's', secretDir!, '.tmp-123-abc'), 'torn');
    expect((await store.listVersions('db')).map((v) => v.version)).toEqual(['1']);
    await writeFile(keyFile, 'not a key');
    const fresh = createFileSecretStore({ dir: join(root, 's'), keyFile });
    expect(await fresh.get('db').catch((e: unknown) => e)).toBeInstanceOf(ConfigError);
  });

  it('a deleted key file is not replaced while secrets exist: PreconditionFailed naming the path', async () => {
    const dir = join(root, 's');
    const keyFile = join(root, 'keys', 'secret.key');
    await createFileSecretStore({ dir, keyFile }).put('db', 'encrypted-with-the-lost-key');
    const key = await readFile(keyFile, 'utf8');
    await rm(keyFile);
    const store = createFileSecretStore({ dir, keyFile });
    const error = await store.get('db').catch((e: unknown) => e as CloudmuxError);
    expect(CloudmuxError.hasCode(error, 'PreconditionFailed')).toBe(true);
    // The message is the feature here: it says which file is missing and how to restore it.
    expect((error as Error).message).toContain(keyFile);
    expect((error as Error).message).toMatch(/missing.*restore/is);
    expect((error as Error).message).not.toContain(key.trim());
    expect(await code(store.put('other', 'v'))).toBe('PreconditionFailed');
    expect(existsSync(keyFile)).toBe(false);
    // Restoring the file brings every secret back.
    await mkdir(dirname(keyFile), { recursive: true });
    await writeFile(keyFile, key, { mode: 0o600 });
    expect((await store.get('db')).reveal()).toBe('encrypted-with-the-lost-key');
  });

  it('writers in several processes race for the key file and for versions; none is lost', async () => {
    const dir = join(root, 's');
    const keyFile = join(root, 'k');
    const moduleUrl = new URL('./file-secret-store.ts', import.meta.url).href;
    const script = `
      const { createFileSecretStore } = await import(${JSON.stringify(moduleUrl)});
      const store = createFileSecretStore({ dir: process.argv[1], keyFile: process.argv[2] });
      const versions = [];
      for (let i = 0; i < 5; i++) versions.push((await store.put('shared', process.argv[3] + '-' + i)).version);
      console.log(JSON.stringify(versions));
    `;
    const run = promisify(execFile);
    const children = await Promise.all(
      ['p0', 'p1', 'p2', 'p3'].map((tag) =>
        run(
          process.execPath,
          ['--conditions=@cloudmux/source', '--input-type=module', '-e', script, dir, keyFile, tag],
          { cwd: fileURLToPath(new URL('..', import.meta.url)) },
        ),
      ),
    );
    const claimed = children.flatMap((child) => JSON.parse(child.stdout) as string[]);
    expect(new Set(claimed).size).toBe(20);
    const store = createFileSecretStore({ dir, keyFile });
    const versions = await store.listVersions('shared');
    expect(versions.map((v) => Number(v.version))).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
    // Every version decrypts with the one key file every process ended up sharing.
    const values = await Promise.all(
      versions.map(async (v) => (await store.get('shared', { version: v.version })).reveal()),
    );
    expect(values.sort()).toEqual(
      ['p0', 'p1', 'p2', 'p3'].flatMap((p) => [0, 1, 2, 3, 4].map((i) => `${p}-${i}`)).sort(),
    );
  });
});
