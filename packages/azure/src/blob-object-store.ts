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
  DriverError,
  type Meter,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreCapabilities,
  type ObjectStoreDriver,
  portableObjectStore,
  type ReportingCall,
  readableBody,
} from '@cloudmux/core';
import type { StorageCredential } from './credentials.ts';
import { classify, PROVIDER } from './errors.ts';

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
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
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

/** Blob names are at most 1024 characters (counted here as UTF-8 bytes, the stricter reading). */
const MAX_NAME_BYTES = 1024;
const MAX_LIST_PAGE = 5000;
/** Deletes run one request per key (no Blob Batch), this many at a time. */
const DELETE_CONCURRENCY = 16;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** Lifetime asked for a user-delegation key; SAS URLs expiring within it reuse the key. */
const DELEGATION_KEY_MS = 6 * 3600 * 1000;

/** The portable ObjectStore over Azure Blob Storage. */
export function createBlobObjectStore(options: BlobObjectStoreOptions): ObjectStore {
  return portableObjectStore(createBlobObjectStoreDriver(options), { meter: options.meter });
}

/** Azure Blob Storage as an object store driver (block blobs in one container, under an optional prefix). */
export function createBlobObjectStoreDriver(options: BlobObjectStoreOptions): ObjectStoreDriver {
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
  // Container creation once per driver; a failure is not cached so the next call retries.
  const ensure = (call: ReportingCall): Promise<ContainerClient> => {
    if (options.createContainer === false) return Promise.resolve(client());
    ready ??= (async () => {
      const c = client();
      await c.createIfNotExists();
      call.report({ units: { 'blob.operations.other': 1 } });
      return c;
    })().catch((error) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  const blob = async (key: string, call: ReportingCall): Promise<BlockBlobClient> =>
    (await ensure(call)).getBlockBlobClient(prefix + key);
  const sdk = (signal: AbortSignal | undefined) => (signal ? { abortSignal: signal } : {});

  async function deleteOne(key: string, call: ReportingCall): Promise<void> {
    // Deletes are free on Azure Blob Storage: no billable unit.
    await (await blob(key, call)).deleteIfExists(sdk(call.signal));
  }

  return {
    provider: PROVIDER,
    capabilities: BLOB_CAPABILITIES,
    limits: {
      maxKeyBytes: MAX_NAME_BYTES - Buffer.byteLength(prefix),
      maxListPageSize: MAX_LIST_PAGE,
      maxDeleteBatch: DELETE_CONCURRENCY,
      maxPresignSeconds: MAX_PRESIGN_SECONDS,
    },
    get location() {
      return `${client().url}/${prefix}`;
    },
    keyProblem: () => undefined,
    errorCode: (error) => classify(error).code,
    native: client,

    async put(key, body, put, call) {
      const target = await blob(key, call);
      const common: BlockBlobParallelUploadOptions = {
        conditions: {
          ...(put.createOnly ? { ifNoneMatch: '*' } : {}),
          ...(put.ifMatch ? { ifMatch: put.ifMatch } : {}),
        },
        ...(put.contentType ? { blobHTTPHeaders: { blobContentType: put.contentType } } : {}),
        ...(put.metadata ? { metadata: encodeMetadata(put.metadata) } : {}),
        ...sdk(call.signal),
      };
      if (body instanceof Uint8Array) {
        const data = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
        const response = await target.uploadData(data, {
          ...common,
          blockSize,
          concurrency,
          maxSingleShotSize: blockSize,
        });
        call.report({
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
      body.on('error', (error) => counter.destroy(error));
      const response = await target.uploadStream(body.pipe(counter), blockSize, concurrency, common);
      call.report({ bytesIn: size, units: { 'blob.operations.write': writeOps(size, blockSize, false) } });
      return { key, etag: quoteEtag(response.etag), size };
    },

    async get(key, range, call) {
      const target = await blob(key, call);
      const response = await target.download(range?.offset ?? 0, range?.length, sdk(call.signal));
      const contentLength = response.contentLength ?? 0;
      call.report({ bytesOut: contentLength, units: { 'blob.operations.read': 1 } });
      const size = totalSize(response.contentRange) ?? contentLength;
      // Azure answers 416 here; Azurite returns the whole blob instead, so the driver checks too.
      if (range && range.offset > 0 && range.offset >= size) {
        response.readableStreamBody?.resume();
        throw new DriverError('InvalidArgument', {
          detail: `range offset ${range.offset} is beyond the object's ${size} bytes`,
        });
      }
      const nodeStream = response.readableStreamBody;
      return {
        key,
        size,
        etag: quoteEtag(response.etag),
        lastModified: response.lastModified ?? new Date(0),
        ...(response.contentType ? { contentType: response.contentType } : {}),
        metadata: decodeMetadata(response.metadata),
        contentLength,
        body: readableBody(
          nodeStream ? Readable.from(nodeStream as AsyncIterable<Buffer>) : Readable.from([]),
        ),
      };
    },

    async head(key, call) {
      const properties = await (await blob(key, call)).getProperties(sdk(call.signal));
      call.report({ units: { 'blob.operations.read': 1 } });
      return {
        key,
        size: properties.contentLength ?? 0,
        etag: quoteEtag(properties.etag),
        lastModified: properties.lastModified ?? new Date(0),
        ...(properties.contentType ? { contentType: properties.contentType } : {}),
        metadata: decodeMetadata(properties.metadata),
      } satisfies ObjectInfo;
    },

    async list(list, call) {
      const c = await ensure(call);
      const fullPrefix = prefix + list.prefix;
      let token = list.pageToken;
      // Blob listing has no start-after parameter: keys are skipped here, and pages the filter
      // emptied are skipped too, so a page with a token is never empty.
      for (;;) {
        const page = await listOnce(c, fullPrefix, list.delimiter, token, list.pageSize, call.signal);
        call.report({ units: { 'blob.operations.list': 1 } });
        const after = list.startAfter;
        const objects = page.objects
          .map((o) => ({ ...o, key: o.key.slice(prefix.length) }))
          .filter((o) => after === undefined || o.key > after);
        const commonPrefixes = page.prefixes
          .map((p) => p.slice(prefix.length))
          .filter((p) => after === undefined || p > after || after.startsWith(p));
        token = page.continuationToken;
        if (objects.length > 0 || commonPrefixes.length > 0 || !token) {
          return { objects, commonPrefixes, ...(token ? { nextPageToken: token } : {}) };
        }
      }
    },

    delete: (key, call) => deleteOne(key, call),

    async deleteMany(keys, call) {
      const settled = await Promise.allSettled(keys.map((key) => deleteOne(key, call)));
      return settled.map((outcome) =>
        outcome.status === 'rejected' ? (outcome.reason as unknown) : undefined,
      );
    },

    async copy(sourceKey, targetKey, copy, call) {
      const source = await blob(sourceKey, call);
      const target = await blob(targetKey, call);
      // Same-account Copy Blob is authorised by the destination request; no source SAS needed.
      const poller = await target.beginCopyFromURL(source.url, {
        ...(copy.createOnly ? { conditions: { ifNoneMatch: '*' } } : {}),
        ...sdk(call.signal),
      });
      await poller.pollUntilDone();
      const properties = await target.getProperties(sdk(call.signal));
      call.report({ units: { 'blob.operations.write': 1, 'blob.operations.read': 1 } });
      return { key: targetKey, etag: quoteEtag(properties.etag), size: properties.contentLength ?? 0 };
    },

    async presign(key, presign, call) {
      const target = await blob(key, call);
      const startsOn = new Date(Date.now() - 5 * 60_000);
      const expiresOn = new Date(Date.now() + presign.expiresInSeconds * 1000);
      const permissions = BlobSASPermissions.parse(presign.method === 'GET' ? 'r' : 'cw');
      if (target.credential instanceof StorageSharedKeyCredential) {
        return target.generateSasUrl({ permissions, startsOn, expiresOn });
      }
      // Entra ID credentials: a user-delegation SAS, signed with a key the service issues.
      const service = serviceClient(options);
      // One delegation key serves every SAS that expires before it does (keys live up to 7 days).
      if (!delegation || delegation.expiresOn < expiresOn) {
        const keyExpiry = new Date(Math.max(expiresOn.getTime(), Date.now() + DELEGATION_KEY_MS));
        delegation = { key: await service.getUserDelegationKey(startsOn, keyExpiry), expiresOn: keyExpiry };
        call.report({ units: { 'blob.operations.other': 1 } });
      }
      const sas = generateBlobSASQueryParameters(
        { containerName: options.container, blobName: prefix + key, permissions, startsOn, expiresOn },
        delegation.key,
        service.accountName,
      ).toString();
      return `${target.url}?${sas}`;
    },

    uriOf: (key) => client().getBlockBlobClient(prefix + key).url,

    async close() {
      // The SDK keeps no sockets open beyond Node's shared agent; nothing to release.
    },
  };
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
  abortSignal: AbortSignal | undefined,
): Promise<RawPage> {
  const settings = {
    ...(continuationToken ? { continuationToken } : {}),
    ...(maxPageSize ? { maxPageSize } : {}),
  };
  const listOptions = {
    ...(prefix ? { prefix } : {}),
    includeMetadata: true,
    ...(abortSignal ? { abortSignal } : {}),
  };
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

/** Blob properties quote the ETag, List Blobs does not: one form everywhere, usable with ifMatch. */
function quoteEtag(etag: string | undefined): string {
  if (!etag) return '';
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function totalSize(contentRange: string | undefined): number | undefined {
  const match = contentRange?.match(/\/(\d+)$/);
  return match ? Number(match[1]) : undefined;
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
