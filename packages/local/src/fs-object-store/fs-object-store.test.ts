import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CloudmuxError, type ObjectStore } from '@cloudmux/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { code } from '../../test/error-code.ts';
import { KeyLocks } from '../fs-key-lock.ts';
import { createFsObjectStore } from './index.ts';

const WORKER = fileURLToPath(new URL('../../test/fixtures/fs-cas-worker.ts', import.meta.url));

let base: string;
let root: string;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'cloudmux-fs-store-'));
  root = join(base, 'objects');
});

afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

/** Temp files left anywhere under the root. */
function tempFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((path) =>
    basename(path).startsWith('.cloudmux-tmp-'),
  );
}

/** The default state directory of the store at `root`. */
const state = () => join(base, '.objects.cloudmux');

const lockPathOf = (key: string) =>
  new KeyLocks({ dir: join(state(), 'locks'), staleMs: 0, waitMs: 0 }).pathOf(key);

describe('fs object store: several processes', () => {
  it('compare-and-swap increments from 4 processes end at the exact total', async (ctx) => {
    const store = createFsObjectStore({ root });
    await store.put('shared/counter', '0');
    const processes = 4;
    const perProcess = 25;
    const outputs = await Promise.all(
      Array.from({ length: processes }, () =>
        promisify(execFile)(
          process.execPath,
          ['--conditions=@cloudmux/source', WORKER, root, 'shared/counter', String(perProcess)],
          { timeout: 120_000 },
        ),
      ),
    );
    expect(await (await store.get('shared/counter')).text()).toBe(String(processes * perProcess));
    expect(await readFile(join(root, 'shared/counter'), 'utf8')).toBe(String(processes * perProcess));
    const conflicts = outputs.reduce(
      (sum, { stdout }) => sum + (JSON.parse(stdout) as { conflicts: number }).conflicts,
      0,
    );
    ctx.annotate(`${conflicts} compare-and-swap conflicts across processes`);
    // Every lock was released and every temp file renamed away.
    // No lock is left held (what remains is this process's lock owner file).
    expect(readdirSync(join(state(), 'locks')).filter((name) => !name.startsWith('.owner-'))).toEqual([]);
    expect(tempFiles(root)).toEqual([]);
  }, 180_000);

  it('racing create-only writes from 4 processes: exactly one wins, with its own metadata', async () => {
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () =>
        promisify(execFile)(
          process.execPath,
          ['--conditions=@cloudmux/source', WORKER, root, 'race/once', '1', 'create'],
          { timeout: 120_000 },
        ),
      ),
    );
    const results = outputs.map(({ stdout }) => JSON.parse(stdout) as { won: boolean; pid: number });
    const winners = results.filter((r) => r.won);
    expect(winners).toHaveLength(1);
    const store = createFsObjectStore({ root });
    const got = await store.get('race/once');
    expect(await got.text()).toBe(String(winners[0]!.pid));
    expect(got.metadata).toEqual({ pid: String(winners[0]!.pid) });
  }, 180_000);

  it('a writer killed mid-put leaves the previous object intact and the key writable', async () => {
    const store = createFsObjectStore({ root });
    await store.put('crash/target', 'committed before the crash', { contentType: 'text/plain' });
    const child = spawn(process.execPath, [
      '--conditions=@cloudmux/source',
      WORKER,
      root,
      'crash/target',
      String(256 * 1024),
      'hang',
    ]);
    // Wait until the child reports it is mid-stream, with its temp file on disk.
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('streaming')) resolve();
      });
      child.on('exit', (exitCode) => reject(new Error(`worker exited early (${exitCode})`)));
    });
    await expect.poll(() => tempFiles(root).length, { timeout: 30_000 }).toBe(1);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const got = await store.get('crash/target');
    expect(await got.text()).toBe('committed before the crash');
    expect(got.contentType).toBe('text/plain');
    expect((await store.list({ prefix: 'crash/' })).objects.map((o) => o.key)).toEqual(['crash/target']);
    await store.put('crash/target', 'after', { ifMatch: got.etag });
    expect(await (await store.get('crash/target')).text()).toBe('after');
  }, 60_000);

  it('a lock left by a crashed process (dead pid) is broken and the write goes through', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    const deadPid = dead.pid!;
    await new Promise((r) => dead.on('exit', r));
    const key = 'crashed/lock';
    await mkdir(dirname(lockPathOf(key)), { recursive: true });
    await writeFile(lockPathOf(key), JSON.stringify({ o: [deadPid, hostname()] }));
    const store = createFsObjectStore({ root, lockWaitMs: 5_000 });
    await store.put(key, 'after the crash');
    expect(await (await store.get(key)).text()).toBe('after the crash');
    expect(existsSync(lockPathOf(key))).toBe(false);
  });

  it('a writer that died between its data rename and sidecar rewrite: new bytes, no stale metadata', async () => {
    const store = createFsObjectStore({ root });
    await store.put('torn/meta', 'old', { contentType: 'text/x-old' });
    // What a crash leaves: new bytes in place, the old sidecar, and the dead writer's lock.
    await writeFile(join(root, 'torn/meta.new'), 'new bytes');
    await rename(join(root, 'torn/meta.new'), join(root, 'torn/meta'));
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    await writeFile(lockPathOf('torn/meta'), JSON.stringify({ o: [dead.pid, hostname()] }));
    const got = await store.get('torn/meta');
    expect(await got.text()).toBe('new bytes');
    // The old sidecar describes other bytes: it is not attributed to these.
    expect(got.contentType).toBeUndefined();
    await store.put('torn/meta', 'repaired', { ifMatch: got.etag, contentType: 'text/x-new' });
    expect((await store.head('torn/meta')).contentType).toBe('text/x-new');
  });

  it('a lock older than lockStaleMs from another host is broken', async () => {
    const key = 'old/lock';
    await mkdir(dirname(lockPathOf(key)), { recursive: true });
    await writeFile(lockPathOf(key), JSON.stringify({ o: [12345, 'some-other-host'] }));
    // Age is the lock inode's ctime, which utimes cannot set back: a short lockStaleMs instead.
    const store = createFsObjectStore({ root, lockStaleMs: 200, lockWaitMs: 10_000 });
    await store.put(key, 'x');
    expect(await (await store.get(key)).text()).toBe('x');
  });

  it('owner files of dead processes are swept when a new process starts locking', async () => {
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    const locksDir = join(state(), 'locks');
    await mkdir(locksDir, { recursive: true });
    await writeFile(
      join(locksDir, `.owner-${dead.pid}-leftover`),
      JSON.stringify({ o: [dead.pid, hostname()] }),
    );
    const store = createFsObjectStore({ root });
    await store.put('k', 'v');
    expect(readdirSync(locksDir).filter((name) => name.includes('leftover'))).toEqual([]);
    await store.close();
    expect(readdirSync(locksDir)).toEqual([]);
  });

  it('a live lock is respected: the writer times out and the object is untouched', async () => {
    const store = createFsObjectStore({ root, lockWaitMs: 200 });
    await store.put('held', 'before');
    await writeFile(lockPathOf('held'), JSON.stringify({ o: [process.pid, hostname()] }));
    expect(await code(store.put('held', 'after'))).toBe('Timeout');
    expect(await (await store.get('held')).text()).toBe('before');
    expect(tempFiles(root)).toEqual([]);
  });
});

describe('fs object store: keys cannot escape the root', () => {
  const escapes = [
    '../outside',
    'a/../../outside',
    '/tmp/outside',
    '..',
    'a/..',
    'x\0y',
    'a\\..\\..\\outside',
  ];

  it('rejects escaping keys on every operation and writes nothing outside the root', async () => {
    const store = createFsObjectStore({ root });
    await store.put('inside', 'ok');
    for (const key of escapes) {
      expect(await code(store.put(key, 'x'))).toBe('InvalidArgument');
      expect(await code(store.get(key))).toBe('InvalidArgument');
      expect(await code(store.head(key))).toBe('InvalidArgument');
      expect(await code(store.delete(key))).toBe('InvalidArgument');
      expect(await code(store.copy('inside', key))).toBe('InvalidArgument');
      expect(await code(store.copy(key, 'inside-copy'))).toBe('InvalidArgument');
      expect(() => store.uriOf(key)).toThrow(CloudmuxError);
    }
    expect(readdirSync(base).sort()).toEqual(['.objects.cloudmux', 'objects']);
  });

  it('temp-file names are reserved and never listed', async () => {
    const store = createFsObjectStore({ root });
    await store.put('dir/real', 'x');
    await writeFile(join(root, 'dir', '.cloudmux-tmp-crashed-0'), 'left by a crash');
    expect(await code(store.put('dir/.cloudmux-tmp-x', 'x'))).toBe('InvalidArgument');
    expect((await store.list()).objects.map((o) => o.key)).toEqual(['dir/real']);
  });

  it('a failed conditional put leaves no directory behind', async () => {
    const store = createFsObjectStore({ root });
    expect(await code(store.put('new/dir/key', 'x', { ifMatch: 'nope' }))).toBe('PreconditionFailed');
    expect(existsSync(join(root, 'new'))).toBe(false);
  });

  it('the root holds only data files: sidecars and locks live in the state directory beside it', async () => {
    const store = createFsObjectStore({ root });
    await store.put('a', 'x', { contentType: 'text/plain' });
    await store.put('lake/part.csv', 'a\n1\n', { metadata: { rows: '1' } });
    expect((readdirSync(root, { recursive: true }) as string[]).sort()).toEqual([
      'a',
      'lake',
      'lake/part.csv',
    ]);
    expect(existsSync(join(state(), 'meta', 'lake', 'part.csv'))).toBe(true);
    const page = await store.list();
    expect(page.objects.map((o) => o.key)).toEqual(['a', 'lake/part.csv']);
    // Keys that look like the store's own names are ordinary keys.
    await store.put('.cloudmux/x', 'just a key');
    expect(await (await store.get('.cloudmux/x')).text()).toBe('just a key');
  });

  it('an explicit state directory is honoured', async () => {
    const stateDir = join(base, 'elsewhere');
    const store = createFsObjectStore({ root, stateDir });
    await store.put('k', 'v', { contentType: 'text/plain' });
    expect(existsSync(join(stateDir, 'meta', 'k'))).toBe(true);
    expect((await createFsObjectStore({ root, stateDir }).head('k')).contentType).toBe('text/plain');
  });

  it('symlinks in the root are not listed (they could point anywhere)', async () => {
    const store = createFsObjectStore({ root });
    await store.put('real', 'x');
    await writeFile(join(base, 'secret'), 'outside');
    await symlink(join(base, 'secret'), join(root, 'link'));
    expect((await store.list()).objects.map((o) => o.key)).toEqual(['real']);
  });
});

describe('fs object store: files on disk', () => {
  let store: ObjectStore;
  beforeEach(() => {
    store = createFsObjectStore({ root });
  });

  it('keeps the raw bytes at the path uriOf names, metadata elsewhere', async () => {
    await store.put('lake/dt=2024-01-01/part-0.csv', 'a,b\n1,2\n', {
      contentType: 'text/csv',
      metadata: { rows: '1' },
    });
    const uri = store.uriOf('lake/dt=2024-01-01/part-0.csv');
    expect(uri.startsWith(store.location)).toBe(true);
    expect(store.location).toBe(`file://${root}/`);
    expect(await readFile(fileURLToPath(uri), 'utf8')).toBe('a,b\n1,2\n');
    expect(store.uriOf('lake/dt=2024-01-01/')).toBe(`file://${root}/lake/dt=2024-01-01/`);
    expect(() => store.uriOf('../')).toThrow(CloudmuxError);
  });

  it('a file dropped in by another tool is an object with an etag usable for compare-and-swap', async () => {
    await mkdir(join(root, 'foreign'), { recursive: true });
    await writeFile(join(root, 'foreign/file.txt'), 'v1');
    const head = await store.head('foreign/file.txt');
    expect(head.size).toBe(2);
    expect(head.contentType).toBeUndefined();
    expect(await code(store.put('foreign/file.txt', 'stale', { ifMatch: 'not-the-etag' }))).toBe(
      'PreconditionFailed',
    );
    await store.put('foreign/file.txt', 'v2', { ifMatch: head.etag });
    expect(await (await store.get('foreign/file.txt')).text()).toBe('v2');
  });

  it('metadata of a data file replaced behind the store is not attributed to the new bytes', async () => {
    await store.put('swapped', 'original', { contentType: 'text/x-original', metadata: { v: '1' } });
    const before = await store.head('swapped');
    await writeFile(join(root, 'swapped.new'), 'replaced by hand');
    await rename(join(root, 'swapped.new'), join(root, 'swapped'));
    const after = await store.head('swapped');
    expect(after.etag).not.toBe(before.etag);
    expect(after.contentType).toBeUndefined();
    expect(after.metadata).toBeUndefined();
  });

  it('delete removes the emptied parent directories, data and metadata alike', async () => {
    await store.put('x/y/z/leaf', '1', { contentType: 'text/plain' });
    await store.put('x/keep', '1');
    await store.delete('x/y/z/leaf');
    expect(existsSync(join(root, 'x/y'))).toBe(false);
    expect(existsSync(join(state(), 'meta/x/y'))).toBe(false);
    expect(existsSync(join(root, 'x/keep'))).toBe(true);
  });

  it('a key cannot be both an object and a prefix of another (a directory tree cannot hold both)', async () => {
    await store.put('a', 'file');
    expect(await code(store.put('a/b', 'x'))).toBe('InvalidArgument');
    await store.put('d/e', 'x');
    expect(await code(store.put('d', 'x'))).toBe('InvalidArgument');
    expect(await code(store.get('d'))).toBe('NotFound');
    expect(await (await store.get('a')).text()).toBe('file');
  });

  it('sidecars orphaned by a crash never block a later put', async () => {
    // A crash between the data and sidecar steps of a delete leaves sidecars with no data file.
    await mkdir(join(state(), 'meta/p/q'), { recursive: true });
    await writeFile(join(state(), 'meta/p/q/r'), '{}');
    await writeFile(join(state(), 'meta/f'), '{}');
    await store.put('p', 'file where a sidecar directory was', { contentType: 'text/plain' });
    await store.put('f/g', 'below a stale sidecar file', { contentType: 'text/csv' });
    expect((await store.head('p')).contentType).toBe('text/plain');
    expect((await store.head('f/g')).contentType).toBe('text/csv');
  });

  it('large bodies are read lazily from the file, in ranges, once', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 5);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    await store.put('big.bin', body);
    const ranged = await store.get('big.bin', { range: { offset: 1_000_000, length: 2_000_000 } });
    expect(ranged.contentLength).toBe(2_000_000);
    const chunks: Uint8Array[] = [];
    for await (const chunk of ranged.stream()) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(body.subarray(1_000_000, 3_000_000))).toBe(true);
    expect(await code(ranged.bytes())).toBe('InvalidArgument');
    const whole = await store.get('big.bin');
    expect(Buffer.from(await whole.bytes()).equals(body)).toBe(true);
  });

  it('with fsync on, writes, copies and deletes behave the same', async () => {
    const durable = createFsObjectStore({ root, fsync: true });
    await durable.put('d/one', 'one', { contentType: 'text/plain' });
    await durable.put(
      'd/two',
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('two'));
          controller.close();
        },
      }),
    );
    await durable.copy('d/one', 'd/three', { ifNoneMatch: '*' });
    expect(await (await durable.get('d/three')).text()).toBe('one');
    expect((await durable.head('d/three')).contentType).toBe('text/plain');
    await durable.delete('d/one');
    expect((await durable.list({ prefix: 'd/' })).objects.map((o) => o.key)).toEqual(['d/three', 'd/two']);
  });

  it('a failed streamed put leaves no object and no temp file', async () => {
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(1000));
        controller.error(new Error('upstream broke'));
      },
    });
    expect(await code(store.put('torn', failing))).toBe('Internal');
    expect(await code(store.head('torn'))).toBe('NotFound');
    expect(tempFiles(root)).toEqual([]);
  });

  it('presign is declared unsupported and throws UnsupportedError', async () => {
    expect(store.capabilities.presignGet).toBe(false);
    expect(await code(store.presign('a', { method: 'GET', expiresInSeconds: 60 }))).toBe('Unsupported');
    expect(await code(store.presign('a', { method: 'PUT', expiresInSeconds: 60 }))).toBe('Unsupported');
  });

  it('a page token from another listing is InvalidArgument', async () => {
    for (const k of ['p/1', 'p/2', 'q/1']) await store.put(k, k);
    const page = await store.list({ prefix: 'p/', pageSize: 1 });
    expect(page.nextPageToken).toBeDefined();
    expect(await code(store.list({ prefix: 'q/', pageToken: page.nextPageToken! }))).toBe('InvalidArgument');
    expect(await code(store.list({ pageToken: 'garbage!' }))).toBe('InvalidArgument');
  });
});

describe('fs object store: symbolic links inside the root are never followed', () => {
  let outside: string;
  let store: ObjectStore;
  const secret = 'outside-the-root';

  beforeEach(async () => {
    outside = join(base, 'outside');
    await mkdir(join(outside, 'sub'), { recursive: true });
    await writeFile(join(outside, 'secret.txt'), secret);
    store = createFsObjectStore({ root });
    await store.put('real/file', 'inside');
    await symlink(outside, join(root, 'linkdir'));
    await symlink(join(outside, 'secret.txt'), join(root, 'filelink'));
    await symlink(join(root, 'real'), join(root, 'inner'));
  });

  /** Everything under the outside directory, with contents: it must never change. */
  const outsideTree = () =>
    (readdirSync(outside, { recursive: true }) as string[])
      .sort()
      .map((path) => [path, existsSync(join(outside, path)) ? statKind(join(outside, path)) : 'gone']);
  const statKind = (path: string) => (lstatSync(path).isDirectory() ? 'dir' : readFileSync(path, 'utf8'));

  it('get, head and copy from a key through a link are PermissionDenied and return nothing', async () => {
    for (const key of ['linkdir/secret.txt', 'filelink', 'inner/file']) {
      expect(await code(store.get(key)), key).toBe('PermissionDenied');
      expect(await code(store.get(key, { range: { offset: 0, length: 4 } })), key).toBe('PermissionDenied');
      expect(await code(store.head(key)), key).toBe('PermissionDenied');
      expect(await code(store.copy(key, 'copied')), key).toBe('PermissionDenied');
      expect(() => store.uriOf(key), key).toThrow(
        expect.objectContaining({
          code: 'PermissionDenied',
          message: expect.stringContaining(JSON.stringify(key)),
        }),
      );
    }
    expect(await code(store.head('copied'))).toBe('NotFound');
  });

  it('a link to /etc/passwd inside the root is never read', async (ctx) => {
    if (!existsSync('/etc/passwd')) ctx.skip('no /etc/passwd on this system');
    await symlink('/etc/passwd', join(root, 'passwd'));
    expect(await code(store.get('passwd'))).toBe('PermissionDenied');
    expect(await code(store.head('passwd'))).toBe('PermissionDenied');
    expect(await code(store.copy('passwd', 'stolen'))).toBe('PermissionDenied');
    expect((await store.list()).objects.map((o) => o.key)).toEqual(['real/file']);
  });

  it('put and copy to a key through a link are PermissionDenied and write nothing outside', async () => {
    const before = outsideTree();
    for (const key of [
      'linkdir/new.txt',
      'linkdir/sub/deeper/new.txt',
      'linkdir/secret.txt',
      'filelink',
      'inner/new',
    ]) {
      expect(await code(store.put(key, 'written')), key).toBe('PermissionDenied');
      expect(await code(store.put(key, 'written', { ifNoneMatch: '*' })), key).toBe('PermissionDenied');
      expect(await code(store.put(key, Buffer.alloc(128 * 1024, 1))), key).toBe('PermissionDenied');
      expect(await code(store.copy('real/file', key)), key).toBe('PermissionDenied');
    }
    expect(outsideTree()).toEqual(before);
    expect(tempFiles(outside)).toEqual([]);
    // The links themselves are left as they were.
    expect(lstatSync(join(root, 'filelink')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe(secret);
  });

  it('delete of a key through a link is PermissionDenied and removes nothing', async () => {
    await writeFile(join(outside, 'sub', 'only.txt'), 'x');
    const before = outsideTree();
    for (const key of ['linkdir/secret.txt', 'linkdir/sub/only.txt', 'filelink', 'inner/file']) {
      expect(await code(store.delete(key)), key).toBe('PermissionDenied');
    }
    const many = await store.deleteMany(['linkdir/secret.txt', 'real/file']);
    expect(many.deleted).toEqual(['real/file']);
    expect(many.errors.map((e) => [e.key, (e.error as CloudmuxError).code])).toEqual([
      ['linkdir/secret.txt', 'PermissionDenied'],
    ]);
    expect(outsideTree()).toEqual(before);
    expect(lstatSync(join(root, 'filelink')).isSymbolicLink()).toBe(true);
  });

  it('list never descends into linked directories nor lists linked files', async () => {
    expect((await store.list()).objects.map((o) => o.key)).toEqual(['real/file']);
    expect((await store.list({ prefix: 'linkdir/' })).objects).toEqual([]);
    expect((await store.list({ delimiter: '/' })).commonPrefixes).toEqual(['real/']);
  });

  it('a file opened through a link that was swapped away afterwards is still refused (checked on the open file)', async () => {
    const { createLinkGuard } = await import('./links.ts');
    const guard = createLinkGuard(root);
    const fd = openSync(join(root, 'linkdir/secret.txt'), 'r');
    try {
      expect(guard.openedThroughLink(fd, 'linkdir/secret.txt')).toBe('linkdir');
      // The attacker's race: the link is replaced by a real directory once the file is open.
      await rm(join(root, 'linkdir'));
      await mkdir(join(root, 'linkdir'));
      await writeFile(join(root, 'linkdir/secret.txt'), 'decoy');
      expect(guard.linkOnPath('linkdir/secret.txt')).toBeUndefined();
      expect(guard.openedThroughLink(fd, 'linkdir/secret.txt')).toBe('linkdir/secret.txt');
    } finally {
      closeSync(fd);
    }
  });

  it('a directory swapped for a link while a put streams is refused at commit, outside untouched', async () => {
    const before = outsideTree();
    let swap!: () => void;
    const swapped = new Promise<void>((resolve) => {
      swap = resolve;
    });
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        controller.enqueue(new Uint8Array(1024).fill(7));
        swap();
        await new Promise((r) => setTimeout(r, 50));
        controller.close();
      },
    });
    const putting = code(store.put('real/streamed', body));
    await swapped;
    await rename(join(root, 'real'), join(root, 'moved'));
    await symlink(outside, join(root, 'real'));
    expect(await putting).toBe('PermissionDenied');
    expect(outsideTree()).toEqual(before);
  });

  it('a root that is itself a link works normally', async () => {
    const realRoot = join(base, 'real-root');
    await mkdir(realRoot);
    await symlink(realRoot, join(base, 'root-link'));
    const linked = createFsObjectStore({ root: join(base, 'root-link') });
    await linked.put('a/b', 'through the root link');
    expect(await (await linked.get('a/b')).text()).toBe('through the root link');
    expect((await linked.head('a/b')).size).toBe(21);
    await linked.copy('a/b', 'a/c');
    expect((await linked.list()).objects.map((o) => o.key)).toEqual(['a/b', 'a/c']);
    await linked.delete('a/b');
    expect(readdirSync(join(realRoot, 'a'))).toEqual(['c']);
  });
});
