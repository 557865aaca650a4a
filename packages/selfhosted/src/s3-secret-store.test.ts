/**
 * The encrypted secret store's own answers, on a real ObjectStore (the local provider's file store
 * stands in for the S3 bucket: the driver only uses the portable ObjectStore API). The S3 server
 * itself is covered by the secret-store contract on MinIO.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudmuxError, ConfigError } from '@cloudmux/core';
import { createFsObjectStore } from '@cloudmux/local';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createS3SecretStore } from './s3-secret-store.ts';

const KEY = Buffer.alloc(32, 7).toString('base64');
const OTHER_KEY = Buffer.alloc(32, 9).toString('hex');

describe('S3 secret store', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'cmx-s3-secrets-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });
  const store = (key: string | undefined) =>
    createS3SecretStore({ objects: createFsObjectStore({ root }), key, keySource: 'CLOUDMUX_SECRET_KEY' });

  it('stores ciphertext only, in the sealed format, one object per version', async () => {
    await store(KEY).put('db/password', 'hunter2');
    await store(KEY).put('db/password', 'hunter3');
    const first = await readFile(join(root, 'cloudmux-secrets/db_2fpassword/v000000000001.json'), 'utf8');
    const sealed = JSON.parse(first) as Record<string, unknown>;
    expect(sealed).toMatchObject({ format: 1, name: 'db/password', version: '1' });
    expect(first).not.toContain('hunter2');
    expect((await store(KEY).get('db/password')).reveal()).toBe('hunter3');
    expect((await store(KEY).get('db/password', { version: '1' })).reveal()).toBe('hunter2');
  });

  it('without a key: a ConfigError naming the variable, never a plaintext write', async () => {
    const error = await store(undefined)
      .put('api', 'value')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('CLOUDMUX_SECRET_KEY');
  });

  it('the wrong key is PermissionDenied; a tampered version Internal; neither names the value', async () => {
    await store(KEY).put('api', 'the-plaintext');
    const wrong = await store(OTHER_KEY)
      .get('api')
      .catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(wrong, 'PermissionDenied')).toBe(true);
    const file = join(root, 'cloudmux-secrets/api/v000000000001.json');
    const sealed = JSON.parse(await readFile(file, 'utf8')) as { ciphertext: string };
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    await writeFile(file, JSON.stringify({ ...sealed, ciphertext: bytes.toString('base64') }));
    const tampered = await store(KEY)
      .get('api')
      .catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(tampered, 'Internal')).toBe(true);
    expect(String((tampered as Error).message)).not.toContain('the-plaintext');
  });

  it('a version moved under another name does not decrypt there', async () => {
    await store(KEY).put('a', 'secret of a');
    await store(KEY).put('b', 'secret of b');
    const a = await readFile(join(root, 'cloudmux-secrets/a/v000000000001.json'));
    await writeFile(join(root, 'cloudmux-secrets/b/v000000000001.json'), a);
    const moved = await store(KEY)
      .get('b')
      .catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(moved, 'Internal')).toBe(true);
  });
});
