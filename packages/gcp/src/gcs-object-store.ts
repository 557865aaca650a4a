/**
 * ObjectStore on Cloud Storage with the official `@google-cloud/storage` client.
 *
 * - The etag the core exposes is the object's **generation** (a decimal int64 string): GCS
 *   preconditions work on generations, so `ifMatch` becomes `ifGenerationMatch: <etag>` and
 *   `ifNoneMatch: '*'` becomes `ifGenerationMatch: 0` (the documented create-only precondition).
 * - Bodies of `resumableThresholdBytes` or more, and every stream, go through a resumable upload,
 *   so a large stream is never buffered whole.
 * - Presigned URLs are V4 signed locally with the service account key ADC found; with user
 *   credentials (no private key) the client falls back to IAM signBlob, which needs
 *   `iam.serviceAccounts.signBlob`.
 */
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CloudmuxError,
  type DeleteManyResult,
  listAllObjects,
  type ObjectBody,
  type ObjectData,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreCapabilities,
  type PutResult,
  reportUsage,
  requireCapability,
} from '@cloudmux/core';
import { type File, Storage, type StorageOptions } from '@google-cloud/storage';
import { type CallContext, gcpCall, invalidArgument, PROVIDER, toCloudmuxError } from './errors.ts';

export interface GcsObjectStoreOptions {
  /** Existing bucket; the adapter never creates or deletes buckets. */
  bucket: string;
  /** Key prefix inside the bucket (e.g. `lake/`); keys the adapter returns are relative to it. */
  prefix?: string;
  projectId?: string;
  /** Emulator or private endpoint, e.g. `http://127.0.0.1:4443`; requests then go unauthenticated. */
  apiEndpoint?: string;
  /** Service account key file for ADC. */
  keyFilename?: string;
  /**
   * Explicit service-account credentials, used for V4 signing. Tests against fake-gcs-server pass a
   * throwaway RSA key here: the emulator does not verify signatures, but the client will only sign
   * with a real private key.
   */
  credentials?: { client_email: string; private_key: string };
  /** Bodies at least this large (and all streams) use resumable uploads. Default 8 MiB. */
  resumableThresholdBytes?: number;
  /** A ready client instead of the options above. */
  storage?: Storage;
}

const CAPABILITIES: ObjectStoreCapabilities = {
  createOnly: true,
  compareAndSwap: true,
  rangeGet: true,
  userMetadata: true,
  listDelimiter: true,
  listStartAfter: true,
  copy: true,
  copyCreateOnly: true,
  presignGet: true,
  presignPut: true,
  multipartUpload: true,
};

const DELETE_CONCURRENCY = 16;

type Headers = Record<string, string | string[] | undefined>;

/**
 * Starts a download and resolves once the service answered, with the response headers, so a
 * missing object surfaces as NotFound from `get` itself rather than later from the body.
 */
function openDownload(
  file: File,
  options: object,
  context: CallContext,
): Promise<{ body: Readable; headers: Headers }> {
  const source = file.createReadStream(options);
  const out = new PassThrough();
  return new Promise((resolve, reject) => {
    let answered = false;
    source.once('response', (response: { statusCode?: number; headers?: Headers }) => {
      if ((response.statusCode ?? 200) < 300) {
        answered = true;
        resolve({ body: out, headers: response.headers ?? {} });
      }
    });
    source.on('error', (error) => {
      const translated = toCloudmuxError(error, context);
      if (answered) out.destroy(translated);
      else reject(translated);
    });
    source.pipe(out);
  });
}

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Object metadata from a media download's headers (x-goog-generation, x-goog-meta-*, …). */
function infoFromHeaders(key: string, headers: Headers): ObjectInfo {
  const total = /\/(\d+)$/.exec(header(headers, 'content-range') ?? '')?.[1];
  const size = Number(
    header(headers, 'x-goog-stored-content-length') ?? total ?? header(headers, 'content-length') ?? 0,
  );
  const info: ObjectInfo = {
    key,
    size,
    etag: header(headers, 'x-goog-generation') ?? '',
    lastModified: new Date(header(headers, 'last-modified') ?? 0),
  };
  const contentType = header(headers, 'content-type');
  if (contentType) info.contentType = contentType;
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-goog-meta-') && value !== undefined) {
      metadata[name.slice('x-goog-meta-'.length)] = Array.isArray(value) ? (value[0] ?? '') : value;
    }
  }
  info.metadata = metadata;
  return info;
}

interface GcsMetadata {
  name?: string;
  size?: string | number;
  generation?: string | number;
  updated?: string;
  timeCreated?: string;
  contentType?: string;
  metadata?: Record<string, string | number | boolean | null>;
}

function classA(count = 1) {
  reportUsage({ units: { 'gcs.operations.class-a': count } });
}
function classB(count = 1) {
  reportUsage({ units: { 'gcs.operations.class-b': count } });
}

function toBuffer(body: Uint8Array | string): Buffer {
  return typeof body === 'string'
    ? Buffer.from(body, 'utf8')
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** GCS object naming rules (https://cloud.google.com/storage/docs/objects#naming). */
function checkKey(fullName: string, key: string, context: CallContext): void {
  if (!key) throw invalidArgument(context, 'object key must not be empty');
  if (/[\r\n]/.test(fullName)) throw invalidArgument(context, 'object keys cannot contain CR or LF');
  if (Buffer.byteLength(fullName) > 1024)
    throw invalidArgument(context, 'object names are limited to 1024 bytes');
  if (fullName === '.' || fullName === '..' || fullName.startsWith('.well-known/acme-challenge/')) {
    throw invalidArgument(context, 'this object name is reserved by Cloud Storage');
  }
}

function parseGeneration(etag: string, context: CallContext): string {
  // Not a generation, so it cannot match the current object: the precondition fails.
  if (!/^\d+$/.test(etag)) {
    throw new CloudmuxError({
      code: 'PreconditionFailed',
      message: 'the etag is not a generation of this object',
      provider: PROVIDER,
      resource: context.resource,
      operation: context.operation,
    });
  }
  return etag;
}

export function createGcsObjectStore(options: GcsObjectStoreOptions): ObjectStore {
  const prefix = options.prefix ?? '';
  const threshold = options.resumableThresholdBytes ?? 8 * 1024 * 1024;
  let client: Storage | undefined = options.storage;
  const storage = (): Storage => {
    if (!client) {
      const config: StorageOptions = {};
      if (options.projectId) config.projectId = options.projectId;
      if (options.apiEndpoint) config.apiEndpoint = options.apiEndpoint;
      if (options.keyFilename) config.keyFilename = options.keyFilename;
      if (options.credentials) config.credentials = options.credentials;
      client = new Storage(config);
    }
    return client;
  };
  const bucket = () => storage().bucket(options.bucket);
  const ctx = (operation: string): CallContext => ({ resource: 'objectStore', operation });
  const fullKey = (key: string, operation = 'key') => {
    checkKey(prefix + key, key, ctx(operation));
    return prefix + key;
  };

  function infoOf(meta: GcsMetadata): ObjectInfo {
    const name = meta.name ?? '';
    const info: ObjectInfo = {
      key: name.startsWith(prefix) ? name.slice(prefix.length) : name,
      size: Number(meta.size ?? 0),
      etag: String(meta.generation ?? ''),
      lastModified: new Date(meta.updated ?? meta.timeCreated ?? 0),
    };
    if (meta.contentType) info.contentType = meta.contentType;
    if (meta.metadata) {
      const user: Record<string, string> = {};
      for (const [k, v] of Object.entries(meta.metadata))
        if (v !== null && v !== undefined) user[k] = String(v);
      info.metadata = user;
    }
    return info;
  }

  function preconditions(
    put: { ifNoneMatch?: '*'; ifMatch?: string },
    context: CallContext,
  ): { ifGenerationMatch: number | string } | undefined {
    if (put.ifNoneMatch === '*' && put.ifMatch !== undefined) {
      throw invalidArgument(context, 'ifNoneMatch and ifMatch are mutually exclusive');
    }
    if (put.ifNoneMatch === '*') return { ifGenerationMatch: 0 };
    if (put.ifMatch !== undefined) return { ifGenerationMatch: parseGeneration(put.ifMatch, context) };
    return undefined;
  }

  /** Precondition failures on a create-only write mean the object exists. */
  function conditionalError(error: unknown, context: CallContext, createOnly: boolean) {
    const translated = toCloudmuxError(error, context);
    if (createOnly && translated.code === 'PreconditionFailed')
      return toCloudmuxError(error, context, 'AlreadyExists');
    return translated;
  }

  async function uploadStream(file: File, source: Readable, writeOptions: object): Promise<number> {
    let bytes = 0;
    source.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    await pipeline(source, file.createWriteStream({ ...writeOptions, resumable: true }));
    return bytes;
  }

  function toReadable(body: ReadableStream<Uint8Array> | Readable): Readable {
    return body instanceof Readable
      ? body
      : Readable.fromWeb(body as import('node:stream/web').ReadableStream);
  }

  const store: ObjectStore = {
    provider: PROVIDER,
    capabilities: CAPABILITIES,
    location: `gs://${options.bucket}/${prefix}`,

    async put(key: string, body: ObjectBody, putOptions = {}): Promise<PutResult> {
      const context = ctx('put');
      const conditions = preconditions(putOptions, context);
      const file = bucket().file(fullKey(key, 'put'));
      const writeOptions = {
        ...(putOptions.contentType ? { contentType: putOptions.contentType } : {}),
        metadata: {
          ...(putOptions.contentType ? { contentType: putOptions.contentType } : {}),
          ...(putOptions.metadata ? { metadata: putOptions.metadata } : {}),
        },
        ...(conditions ? { preconditionOpts: conditions } : {}),
        validation: 'crc32c' as const,
      };
      try {
        let size: number;
        if (typeof body === 'string' || body instanceof Uint8Array) {
          const buffer = toBuffer(body);
          size = buffer.length;
          const resumable = size >= threshold;
          await file.save(buffer, { ...writeOptions, resumable });
          // A resumable upload is an initiation plus the upload request: two Class A operations.
          classA(resumable ? 2 : 1);
        } else {
          size = await uploadStream(file, toReadable(body), writeOptions);
          classA(2);
        }
        reportUsage({ bytesIn: size });
        const meta = file.metadata as GcsMetadata;
        return { key, etag: String(meta.generation ?? ''), size: Number(meta.size ?? size) };
      } catch (error) {
        throw conditionalError(error, context, putOptions.ifNoneMatch === '*');
      }
    },

    async get(key, getOptions = {}): Promise<ObjectData> {
      const context = ctx('get');
      const range = getOptions.range;
      if (range && (range.offset < 0 || (range.length !== undefined && range.length < 0))) {
        throw invalidArgument(context, 'range offset and length must be non-negative');
      }
      const name = fullKey(key, 'get');
      let body: Readable;
      let info: ObjectInfo;
      let contentLength: number;
      if (range?.length === 0) {
        info = await store.head(key);
        if (range.offset >= info.size && info.size > 0)
          throw invalidArgument(context, 'range starts beyond the end');
        body = Readable.from([]);
        contentLength = 0;
      } else {
        // One request: the body and the metadata come from the same response, so a concurrent
        // overwrite can never pair one generation's metadata with another's bytes.
        const opened = await openDownload(
          bucket().file(name),
          range
            ? {
                start: range.offset,
                ...(range.length !== undefined ? { end: range.offset + range.length - 1 } : {}),
                validation: false,
              }
            : {},
          context,
        );
        classB();
        body = opened.body;
        info = infoFromHeaders(key, opened.headers);
        contentLength = Number(opened.headers['content-length'] ?? info.size);
        reportUsage({ bytesOut: contentLength });
      }
      let consumed = false;
      const take = (): Readable => {
        if (consumed) throw invalidArgument(context, 'object body can be consumed once');
        consumed = true;
        return body;
      };
      const bytes = async (): Promise<Uint8Array> => {
        const chunks: Buffer[] = [];
        for await (const chunk of take()) chunks.push(chunk as Buffer);
        return new Uint8Array(Buffer.concat(chunks));
      };
      return {
        ...info,
        contentLength,
        stream: () => Readable.toWeb(take()) as ReadableStream<Uint8Array>,
        bytes,
        text: async () => new TextDecoder().decode(await bytes()),
      };
    },

    async head(key) {
      const name = fullKey(key, 'head');
      return gcpCall(ctx('head'), async () => {
        classB();
        const [meta] = await bucket().file(name).getMetadata();
        return infoOf(meta as GcsMetadata);
      });
    },

    async list(listOptions = {}) {
      const context = ctx('list');
      if (listOptions.pageSize !== undefined && listOptions.pageSize < 1) {
        throw invalidArgument(context, 'pageSize must be at least 1');
      }
      return gcpCall(context, async () => {
        classA();
        const listPrefix = prefix + (listOptions.prefix ?? '');
        const startAfter = listOptions.startAfter === undefined ? undefined : prefix + listOptions.startAfter;
        const [files, nextQuery, response] = await bucket().getFiles({
          autoPaginate: false,
          prefix: listPrefix,
          ...(listOptions.delimiter ? { delimiter: listOptions.delimiter } : {}),
          // startOffset is inclusive; the core's startAfter is exclusive, so the equal key is dropped below.
          ...(startAfter !== undefined ? { startOffset: startAfter } : {}),
          ...(listOptions.pageSize ? { maxResults: listOptions.pageSize } : {}),
          ...(listOptions.pageToken ? { pageToken: listOptions.pageToken } : {}),
        });
        const objects = files
          .map((file) => infoOf(file.metadata as GcsMetadata))
          .filter((info) => startAfter === undefined || prefix + info.key > startAfter);
        const prefixes = ((response as { prefixes?: string[] } | undefined)?.prefixes ?? [])
          .filter((p) => startAfter === undefined || p > startAfter)
          .map((p) => p.slice(prefix.length));
        const token = (nextQuery as { pageToken?: string } | null | undefined)?.pageToken;
        return { objects, commonPrefixes: prefixes, ...(token ? { nextPageToken: token } : {}) };
      });
    },

    listAll(listOptions = {}) {
      return listAllObjects(store, listOptions);
    },

    async delete(key) {
      // Deletes are free operations in GCS pricing; nothing to meter but the call itself.
      const name = fullKey(key, 'delete');
      await gcpCall(ctx('delete'), () => bucket().file(name).delete({ ignoreNotFound: true }));
    },

    async deleteMany(keys): Promise<DeleteManyResult> {
      const result: DeleteManyResult = { deleted: [], errors: [] };
      for (let i = 0; i < keys.length; i += DELETE_CONCURRENCY) {
        const chunk = keys.slice(i, i + DELETE_CONCURRENCY);
        const settled = await Promise.allSettled(chunk.map((key) => store.delete(key)));
        settled.forEach((outcome, index) => {
          const key = chunk[index] as string;
          if (outcome.status === 'fulfilled') result.deleted.push(key);
          else result.errors.push({ key, error: outcome.reason as Error });
        });
      }
      return result;
    },

    async copy(sourceKey, targetKey, copyOptions = {}) {
      const context = ctx('copy');
      try {
        classA();
        const target = bucket().file(fullKey(targetKey));
        const [copied] = await bucket()
          .file(fullKey(sourceKey))
          .copy(
            target,
            copyOptions.ifNoneMatch === '*' ? { preconditionOpts: { ifGenerationMatch: 0 } } : {},
          );
        let meta = copied.metadata as GcsMetadata;
        if (meta.generation === undefined) {
          const [fresh] = await copied.getMetadata();
          meta = fresh as GcsMetadata;
        }
        return { key: targetKey, etag: String(meta.generation), size: Number(meta.size ?? 0) };
      } catch (error) {
        throw conditionalError(error, context, copyOptions.ifNoneMatch === '*');
      }
    },

    async presign(key, presignOptions) {
      const context = ctx('presign');
      requireCapability(presignOptions.method === 'GET' ? CAPABILITIES.presignGet : CAPABILITIES.presignPut, {
        provider: PROVIDER,
        resource: 'objectStore',
        operation: 'presign',
        capability: presignOptions.method === 'GET' ? 'presignGet' : 'presignPut',
      });
      // V4 signatures are valid for at most seven days.
      if (presignOptions.expiresInSeconds <= 0 || presignOptions.expiresInSeconds > 604_800) {
        throw invalidArgument(context, 'expiresInSeconds must be between 1 and 604800 (7 days)');
      }
      return gcpCall(context, async () => {
        const [url] = await bucket()
          .file(fullKey(key))
          .getSignedUrl({
            version: 'v4',
            action: presignOptions.method === 'GET' ? 'read' : 'write',
            expires: Date.now() + presignOptions.expiresInSeconds * 1000,
            ...(presignOptions.contentType ? { contentType: presignOptions.contentType } : {}),
          });
        return url;
      });
    },

    uriOf(key) {
      return `gs://${options.bucket}/${fullKey(key)}`;
    },

    async close() {
      client = options.storage;
    },
  };
  return store;
}
