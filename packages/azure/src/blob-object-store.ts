import { Readable, Transform } from 'node:stream';
import {
  BlobSASPermissions,
  BlobServiceClient,
  type BlockBlobClient,
  type BlockBlobParallelUploadOptions,
  type ContainerClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
  type UserDelegationKey,
} from '@azure/storage-blob';
import {
  CloudmuxError,
  type CopyOptions,
  type DeleteManyResult,
  type GetOptions,
  type ListOptions,
  type ListPage,
  listAllObjects,
  type ObjectBody,
  type ObjectData,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreCapabilities,
  type PresignOptions,
  type PutResult,
  reportUsage,
} from '@cloudmux/core';
import type { StorageCredential } from './credentials.ts';
import { guarded, PROVIDER, translateError } from './errors.ts';

export interface BlobObjectStoreOptions {
  /** A ready container client; wins over the connection options. */
  containerClient?: ContainerClient;
  /** Connection string (account key or SAS inside). */
  connectionString?: string;
  /** `https://<account>.blob.core.windows.net`, used with `credential`. */
  accountUrl?: string;
  /** Shared key (account-key SAS) or Entra ID token credential (user-delegation SAS). */
  credential?: StorageCredential;
  container: string;
  /** Key prefix inside the container; keys are relative to it. */
  prefix?: string;
  /** Block size for parallel uploads. Default 8 MiB. */
  blockSizeBytes?: number;
  uploadConcurrency?: number;
  /** Create the container on first use when missing. Default true. */
  createContainer?: boolean;
}

export const BLOB_CAPABILITIES: ObjectStoreCapabilities = {
  createOnly: true,
  compareAndSwap: true,
  rangeGet: true,
  userMetadata: true,
  listDelimiter: true,
  // Blob listing has no start-after parameter; the adapter skips keys client-side within the prefix.
  listStartAfter: true,
  copy: true,
  copyCreateOnly: true,
  presignGet: true,
  presignPut: true,
  multipartUpload: true,
};

const DELETE_CONCURRENCY = 16;
/** Lifetime asked for a user-delegation key; SAS URLs expiring within it reuse the key. */
const DELEGATION_KEY_MS = 6 * 3600 * 1000;

/** Azure Blob Storage as an ObjectStore (block blobs in one container, under an optional prefix). */
export function createBlobObjectStore(options: BlobObjectStoreOptions): ObjectStore {
  const prefix = options.prefix ?? '';
  const blockSize = options.blockSizeBytes ?? 8 * 1024 * 1024;
  const concurrency = options.uploadConcurrency ?? 4;
  let container: ContainerClient | undefined = options.containerClient;
  let ready: Promise<ContainerClient> | undefined;
  let delegation: { key: UserDelegationKey; expiresOn: Date } | undefined;

  const client = (): ContainerClient => {
    container ??= serviceClient(options).getContainerClient(options.container);
    return container;
  };
  // Container creation once per adapter; a failure is not cached so the next call retries.
  const ensure = (): Promise<ContainerClient> => {
    if (options.createContainer === false) return Promise.resolve(client());
    ready ??= (async () => {
      const c = client();
      await c.createIfNotExists();
      reportUsage({ units: { 'blob.operations.other': 1 } });
      return c;
    })().catch((error) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  const blob = async (key: string, operation: string): Promise<BlockBlobClient> => {
    assertKey(key, operation);
    return (await ensure()).getBlockBlobClient(prefix + key);
  };

  const store: ObjectStore = {
    provider: PROVIDER,
    capabilities: BLOB_CAPABILITIES,
    get location() {
      return `${client().url}/${prefix}`;
    },

    put: (key, body, putOptions = {}) =>
      guarded({ resource: 'objectStore', operation: 'put', subject: key }, async () => {
        const target = await blob(key, 'put');
        const common: BlockBlobParallelUploadOptions = {
          conditions: {
            ...(putOptions.ifNoneMatch ? { ifNoneMatch: '*' } : {}),
            ...(putOptions.ifMatch ? { ifMatch: putOptions.ifMatch } : {}),
          },
          ...(putOptions.contentType ? { blobHTTPHeaders: { blobContentType: putOptions.contentType } } : {}),
          ...(putOptions.metadata ? { metadata: encodeMetadata(putOptions.metadata) } : {}),
        };
        try {
          if (typeof body === 'string' || body instanceof Uint8Array) {
            const data =
              typeof body === 'string'
                ? Buffer.from(body)
                : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
            const response = await target.uploadData(data, {
              ...common,
              blockSize,
              concurrency,
              maxSingleShotSize: blockSize,
            });
            reportUsage({
              bytesIn: data.byteLength,
              units: {
                'blob.operations.write': writeOps(data.byteLength, blockSize, data.byteLength <= blockSize),
              },
            });
            return { key, etag: quoteEtag(response.etag), size: data.byteLength };
          }
          let size = 0;
          const counter = new Transform({
            transform(chunk: Buffer, _encoding, done) {
              size += chunk.byteLength;
              done(null, chunk);
            },
          });
          const source = isWebStream(body)
            ? Readable.fromWeb(body as import('node:stream/web').ReadableStream)
            : body;
          source.on('error', (error) => counter.destroy(error));
          const response = await target.uploadStream(source.pipe(counter), blockSize, concurrency, common);
          reportUsage({
            bytesIn: size,
            units: { 'blob.operations.write': writeOps(size, blockSize, false) },
          });
          return { key, etag: quoteEtag(response.etag), size };
        } catch (error) {
          throw conditionalWriteError(error, putOptions, key);
        }
      }),

    get: (key, getOptions: GetOptions = {}) =>
      guarded({ resource: 'objectStore', operation: 'get', subject: key }, async () => {
        const target = await blob(key, 'get');
        const range = getOptions.range;
        if (range && (range.offset < 0 || (range.length !== undefined && range.length <= 0))) {
          throw invalid('get', 'range offset must be >= 0 and length > 0');
        }
        const response = await target.download(range?.offset ?? 0, range?.length);
        const contentLength = response.contentLength ?? 0;
        reportUsage({ bytesOut: contentLength, units: { 'blob.operations.read': 1 } });
        const size = totalSize(response.contentRange) ?? contentLength;
        // Azure answers 416 here; Azurite returns the whole blob instead, so the adapter checks too.
        if (range && range.offset > 0 && range.offset >= size) {
          response.readableStreamBody?.resume();
          throw invalid('get', `range offset ${range.offset} is beyond the object's ${size} bytes`);
        }
        const nodeStream = response.readableStreamBody;
        let consumed = false;
        const take = (): Readable => {
          if (consumed) throw invalid('get', 'the object body was already consumed');
          consumed = true;
          return nodeStream ? Readable.from(nodeStream as AsyncIterable<Buffer>) : Readable.from([]);
        };
        const bytes = async (): Promise<Uint8Array> => {
          const chunks: Buffer[] = [];
          try {
            for await (const chunk of take()) chunks.push(chunk as Buffer);
          } catch (error) {
            throw translateError(error, { resource: 'objectStore', operation: 'get', subject: key });
          }
          return new Uint8Array(Buffer.concat(chunks));
        };
        const data: ObjectData = {
          key,
          size,
          etag: quoteEtag(response.etag),
          lastModified: response.lastModified ?? new Date(0),
          ...(response.contentType ? { contentType: response.contentType } : {}),
          metadata: decodeMetadata(response.metadata),
          contentLength,
          stream: () => Readable.toWeb(take()) as ReadableStream<Uint8Array>,
          bytes,
          text: async () => new TextDecoder().decode(await bytes()),
        };
        return data;
      }),

    head: (key) =>
      guarded({ resource: 'objectStore', operation: 'head', subject: key }, async () => {
        const properties = await (await blob(key, 'head')).getProperties();
        reportUsage({ units: { 'blob.operations.read': 1 } });
        return {
          key,
          size: properties.contentLength ?? 0,
          etag: quoteEtag(properties.etag),
          lastModified: properties.lastModified ?? new Date(0),
          ...(properties.contentType ? { contentType: properties.contentType } : {}),
          metadata: decodeMetadata(properties.metadata),
        } satisfies ObjectInfo;
      }),

    list: (listOptions: ListOptions = {}) =>
      guarded({ resource: 'objectStore', operation: 'list' }, async () => {
        const c = await ensure();
        const fullPrefix = prefix + (listOptions.prefix ?? '');
        const pageSize = listOptions.pageSize;
        if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 5000)) {
          throw invalid('list', 'pageSize must be an integer between 1 and 5000');
        }
        let token = listOptions.pageToken;
        // Pages emptied by the client-side startAfter filter are skipped, so a page with a token is never empty.
        for (;;) {
          const page = await listOnce(c, fullPrefix, listOptions.delimiter, token, pageSize);
          reportUsage({ units: { 'blob.operations.list': 1 } });
          const after = listOptions.startAfter;
          const objects = page.objects
            .map((o) => ({ ...o, key: o.key.slice(prefix.length) }))
            .filter((o) => after === undefined || o.key > after);
          const commonPrefixes = page.prefixes
            .map((p) => p.slice(prefix.length))
            .filter((p) => after === undefined || p > after || after.startsWith(p));
          token = page.continuationToken;
          if (objects.length > 0 || commonPrefixes.length > 0 || !token) {
            return { objects, commonPrefixes, ...(token ? { nextPageToken: token } : {}) } satisfies ListPage;
          }
        }
      }),

    listAll: (listOptions = {}) => listAllObjects(store, listOptions),

    delete: (key) =>
      guarded({ resource: 'objectStore', operation: 'delete', subject: key }, async () => {
        // Deletes are free on Azure Blob Storage: no billable unit.
        await (await blob(key, 'delete')).deleteIfExists();
      }),

    async deleteMany(keys) {
      const result: DeleteManyResult = { deleted: [], errors: [] };
      const queue = [...keys];
      const worker = async () => {
        for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
          try {
            await store.delete(key);
            result.deleted.push(key);
          } catch (error) {
            result.errors.push({ key, error: error as Error });
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(DELETE_CONCURRENCY, keys.length) }, worker));
      return result;
    },

    copy: (sourceKey, targetKey, copyOptions: CopyOptions = {}) =>
      guarded(
        { resource: 'objectStore', operation: 'copy', subject: `${sourceKey} → ${targetKey}` },
        async () => {
          const source = await blob(sourceKey, 'copy');
          const target = await blob(targetKey, 'copy');
          try {
            // Same-account Copy Blob is authorised by the destination request; no source SAS needed.
            const poller = await target.beginCopyFromURL(source.url, {
              ...(copyOptions.ifNoneMatch ? { conditions: { ifNoneMatch: '*' } } : {}),
            });
            await poller.pollUntilDone();
          } catch (error) {
            throw conditionalWriteError(error, copyOptions, targetKey);
          }
          const properties = await target.getProperties();
          reportUsage({ units: { 'blob.operations.write': 1, 'blob.operations.read': 1 } });
          return {
            key: targetKey,
            etag: quoteEtag(properties.etag),
            size: properties.contentLength ?? 0,
          } satisfies PutResult;
        },
      ),

    presign: (key, presignOptions: PresignOptions) =>
      guarded({ resource: 'objectStore', operation: 'presign', subject: key }, async () => {
        if (!(presignOptions.expiresInSeconds > 0) || presignOptions.expiresInSeconds > 7 * 24 * 3600) {
          throw invalid('presign', 'expiresInSeconds must be between 1 and 604800 (7 days)');
        }
        const target = await blob(key, 'presign');
        const startsOn = new Date(Date.now() - 5 * 60_000);
        const expiresOn = new Date(Date.now() + presignOptions.expiresInSeconds * 1000);
        const permissions = BlobSASPermissions.parse(presignOptions.method === 'GET' ? 'r' : 'cw');
        if (target.credential instanceof StorageSharedKeyCredential) {
          return target.generateSasUrl({ permissions, startsOn, expiresOn });
        }
        // Entra ID credentials: a user-delegation SAS, signed with a key the service issues.
        const service = serviceClient(options);
        // One delegation key serves every SAS that expires before it does (keys live up to 7 days).
        if (!delegation || delegation.expiresOn < expiresOn) {
          const keyExpiry = new Date(Math.max(expiresOn.getTime(), Date.now() + DELEGATION_KEY_MS));
          delegation = { key: await service.getUserDelegationKey(startsOn, keyExpiry), expiresOn: keyExpiry };
          reportUsage({ units: { 'blob.operations.other': 1 } });
        }
        const delegationKey = delegation.key;
        const sas = generateBlobSASQueryParameters(
          { containerName: options.container, blobName: prefix + key, permissions, startsOn, expiresOn },
          delegationKey,
          service.accountName,
        ).toString();
        return `${target.url}?${sas}`;
      }),

    uriOf: (key) => {
      assertKey(key, 'uriOf');
      return client().getBlockBlobClient(prefix + key).url;
    },

    async close() {
      // The SDK keeps no sockets open beyond Node's shared agent; nothing to release.
    },
  };
  return store;
}

function serviceClient(options: BlobObjectStoreOptions): BlobServiceClient {
  if (options.containerClient) {
    throw new CloudmuxError({
      code: 'Unsupported',
      message:
        'user-delegation SAS needs a service client: pass connection options instead of containerClient',
      provider: PROVIDER,
      resource: 'objectStore',
      operation: 'presign',
    });
  }
  if (options.connectionString) return BlobServiceClient.fromConnectionString(options.connectionString);
  if (options.accountUrl) return new BlobServiceClient(options.accountUrl, options.credential);
  throw new CloudmuxError({
    code: 'InvalidArgument',
    message: 'createBlobObjectStore needs containerClient, connectionString or accountUrl',
    provider: PROVIDER,
    resource: 'objectStore',
    operation: 'create',
  });
}

interface RawPage {
  objects: ObjectInfo[];
  prefixes: string[];
  continuationToken?: string;
}

async function listOnce(
  c: ContainerClient,
  prefix: string,
  delimiter: string | undefined,
  continuationToken: string | undefined,
  maxPageSize: number | undefined,
): Promise<RawPage> {
  const settings = {
    ...(continuationToken ? { continuationToken } : {}),
    ...(maxPageSize ? { maxPageSize } : {}),
  };
  const listOptions = { ...(prefix ? { prefix } : {}), includeMetadata: true };
  const iterator = delimiter
    ? c.listBlobsByHierarchy(delimiter, listOptions).byPage(settings)
    : c.listBlobsFlat(listOptions).byPage(settings);
  const { value, done } = await iterator.next();
  if (done || !value) return { objects: [], prefixes: [] };
  const segment = value.segment as {
    blobItems: Array<{
      name: string;
      properties: { contentLength?: number; etag?: string; lastModified: Date; contentType?: string };
      metadata?: Record<string, string>;
    }>;
    blobPrefixes?: Array<{ name: string }>;
  };
  return {
    objects: segment.blobItems.map((item) => ({
      key: item.name,
      size: item.properties.contentLength ?? 0,
      etag: quoteEtag(item.properties.etag),
      lastModified: item.properties.lastModified,
      ...(item.properties.contentType ? { contentType: item.properties.contentType } : {}),
      metadata: decodeMetadata(item.metadata),
    })),
    prefixes: (segment.blobPrefixes ?? []).map((p) => p.name),
    ...(value.continuationToken ? { continuationToken: value.continuationToken } : {}),
  };
}

/** Put Blob is one write; a staged upload is one Put Block per block plus Put Block List. */
function writeOps(size: number, blockSize: number, singleShot: boolean): number {
  return singleShot ? 1 : Math.max(1, Math.ceil(size / blockSize)) + 1;
}

function conditionalWriteError(
  error: unknown,
  conditions: { ifNoneMatch?: '*'; ifMatch?: string },
  key: string,
) {
  const translated = translateError(error, { resource: 'objectStore', operation: 'put', subject: key });
  // Create-only is a 409 BlobAlreadyExists on Put Blob but a 412 on Put Block List and Copy Blob.
  if (conditions.ifNoneMatch && translated.code === 'PreconditionFailed') {
    return recode(translated, 'AlreadyExists');
  }
  // ifMatch against a missing blob is a 404 on some paths; the precondition is what failed.
  if (conditions.ifMatch && translated.code === 'NotFound') {
    return recode(translated, 'PreconditionFailed');
  }
  return translated;
}

function recode(error: CloudmuxError, code: 'AlreadyExists' | 'PreconditionFailed'): CloudmuxError {
  return new CloudmuxError({
    code,
    message: error.message,
    provider: PROVIDER,
    resource: 'objectStore',
    ...(error.operation ? { operation: error.operation } : {}),
    cause: error.cause,
  });
}

/** Blob properties quote the ETag, List Blobs does not: one form everywhere, usable with ifMatch. */
function quoteEtag(etag: string | undefined): string {
  if (!etag) return '';
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function totalSize(contentRange: string | undefined): number | undefined {
  const match = contentRange?.match(/\/(\d+)$/);
  return match ? Number(match[1]) : undefined;
}

function isWebStream(body: ObjectBody): body is ReadableStream<Uint8Array> {
  return typeof (body as ReadableStream).getReader === 'function';
}

function invalid(operation: string, message: string): CloudmuxError {
  return new CloudmuxError({
    code: 'InvalidArgument',
    message,
    provider: PROVIDER,
    resource: 'objectStore',
    operation,
  });
}

function assertKey(key: string, operation: string): void {
  if (!key || key.length > 1024) throw invalid(operation, 'key must be 1–1024 characters');
}

/**
 * Blob metadata names must be C# identifiers. Names that already are (lower-case letters, digits,
 * underscore, not starting with a digit, not starting with `cmx_`) are stored as they are; any other
 * name is stored as `cmx_<hex of its UTF-8 bytes>`, which decodes back exactly.
 */
const PLAIN_METADATA_NAME = /^(?!cmx_)[a-z_][a-z0-9_]*$/;

export function encodeMetadata(metadata: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    out[PLAIN_METADATA_NAME.test(name) ? name : `cmx_${Buffer.from(name).toString('hex')}`] = value;
  }
  return out;
}

export function decodeMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata ?? {})) {
    const lower = name.toLowerCase();
    out[lower.startsWith('cmx_') ? Buffer.from(lower.slice(4), 'hex').toString() : lower] = value;
  }
  return out;
}
