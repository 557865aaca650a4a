/**
 * Focused tests of the Azure Blob adapter against Azurite: what the generic object-store suite does
 * not pin down for Azure (block uploads, SAS URLs, metadata name encoding, metering units), with
 * the raw SDK as the oracle.
 */
import { Readable } from 'node:stream';
import { ContainerClient } from '@azure/storage-blob';
import { createBlobObjectStore } from '@cloudmux/azure';
import { expectCode, uniqueName } from '@cloudmux/conformance';
import { type CallUsage, type ObjectStore, runWithUsage } from '@cloudmux/core';
import { type AzuriteInstance, azuriteEntry, startAzurite } from '@cloudmux/emulators/azure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const missing = azuriteEntry()
  ? undefined
  : 'azurite is not installed (a dependency of @cloudmux/emulators: run pnpm install)';

describe.skipIf(missing)(`azure blob adapter on Azurite${missing ? ` — skipped: ${missing}` : ''}`, () => {
  let azurite: AzuriteInstance;
  let store: ObjectStore;
  let container: string;

  beforeAll(async () => {
    azurite = await startAzurite();
    container = uniqueName('blob');
    store = createBlobObjectStore({
      connectionString: azurite.connectionString,
      container,
      prefix: 'p/',
      blockSizeBytes: 64 * 1024,
    });
  });
  afterAll(async () => {
    await store?.close();
    await azurite?.stop();
  });

  const raw = () => new ContainerClient(azurite.connectionString, container);

  it('uploads a large stream in blocks, metered per block, and reads it back whole', async () => {
    const chunk = Buffer.alloc(50 * 1024, 7);
    const chunks = Array.from({ length: 6 }, (_, i) => Buffer.from(chunk.map((b) => (b + i) & 0xff)));
    const usage: CallUsage = { bytesIn: 0, bytesOut: 0, units: {} };
    const result = await runWithUsage(usage, () => store.put('big/stream.bin', Readable.from(chunks)));
    expect(result.size).toBe(300 * 1024);
    expect(usage.bytesIn).toBe(300 * 1024);
    // 300 KiB in 64 KiB blocks: 5 Put Block + 1 Put Block List.
    expect(usage.units['blob.operations.write']).toBe(6);
    const blocks = await raw().getBlockBlobClient('p/big/stream.bin').getBlockList('committed');
    expect(blocks.committedBlocks?.length).toBe(5);
    const back = await store.get('big/stream.bin');
    expect(Buffer.from(await back.bytes()).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('create-only and compare-and-swap map to AlreadyExists and PreconditionFailed, also for streams', async () => {
    const first = await store.put('cas.txt', 'one', { ifNoneMatch: '*' });
    await expectCode(store.put('cas.txt', 'two', { ifNoneMatch: '*' }), 'AlreadyExists');
    await expectCode(
      store.put('cas.txt', Readable.from([Buffer.from('two')]), { ifNoneMatch: '*' }),
      'AlreadyExists',
    );
    const second = await store.put('cas.txt', 'two', { ifMatch: first.etag });
    await expectCode(store.put('cas.txt', 'three', { ifMatch: first.etag }), 'PreconditionFailed');
    await expectCode(store.put('nope.txt', 'x', { ifMatch: second.etag }), 'PreconditionFailed');
    expect(await (await store.get('cas.txt')).text()).toBe('two');
  });

  it('missing keys are NotFound for get and head (HEAD 404 carries no error code)', async () => {
    await expectCode(store.get('missing'), 'NotFound');
    await expectCode(store.head('missing'), 'NotFound');
    await store.delete('missing');
  });

  it('account-key SAS URLs read and write with plain HTTP', async () => {
    await store.put('sas/read.txt', 'via sas');
    const getUrl = await store.presign('sas/read.txt', { method: 'GET', expiresInSeconds: 300 });
    expect(await (await fetch(getUrl)).text()).toBe('via sas');
    const putUrl = await store.presign('sas/write.txt', { method: 'PUT', expiresInSeconds: 300 });
    const response = await fetch(putUrl, {
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
      body: 'uploaded',
    });
    expect(response.status).toBe(201);
    expect(await (await store.get('sas/write.txt')).text()).toBe('uploaded');
    // A GET-only SAS must not allow writes.
    const denied = await fetch(getUrl, {
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob' },
      body: 'x',
    });
    expect(denied.status).toBe(403);
  });

  it('metadata names outside the C# identifier alphabet round-trip through the cmx_ encoding', async () => {
    await store.put('meta.txt', 'm', { metadata: { 'content-owner': 'team-a', plain: 'yes' } });
    expect((await store.head('meta.txt')).metadata).toEqual({ 'content-owner': 'team-a', plain: 'yes' });
    const props = await raw().getBlockBlobClient('p/meta.txt').getProperties();
    expect(props.metadata).toHaveProperty(`cmx_${Buffer.from('content-owner').toString('hex')}`, 'team-a');
  });

  it('lists flat with page tokens and hierarchically with common prefixes, relative to the prefix', async () => {
    for (const key of ['l/a/1', 'l/a/2', 'l/b/1', 'l/c', 'l/d']) await store.put(key, key);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.list({ prefix: 'l/', pageSize: 2, ...(token ? { pageToken: token } : {}) });
      seen.push(...page.objects.map((o) => o.key));
      token = page.nextPageToken;
      pages++;
    } while (token);
    expect(seen).toEqual(['l/a/1', 'l/a/2', 'l/b/1', 'l/c', 'l/d']);
    expect(pages).toBe(3);
    const tree = await store.list({ prefix: 'l/', delimiter: '/' });
    expect(tree.commonPrefixes).toEqual(['l/a/', 'l/b/']);
    expect(tree.objects.map((o) => o.key)).toEqual(['l/c', 'l/d']);
    const after = await store.list({ prefix: 'l/', startAfter: 'l/b/1' });
    expect(after.objects.map((o) => o.key)).toEqual(['l/c', 'l/d']);
  });

  it('copies within the container, create-only when asked', async () => {
    await store.put('copy/src', 'source');
    const copied = await store.copy('copy/src', 'copy/dst');
    expect(copied.size).toBe(6);
    await expectCode(store.copy('copy/src', 'copy/dst', { ifNoneMatch: '*' }), 'AlreadyExists');
    await expectCode(store.copy('copy/none', 'copy/x'), 'NotFound');
    expect(store.uriOf('copy/dst')).toBe(`${azurite.blobEndpoint}/${container}/p/copy/dst`);
  });
});
