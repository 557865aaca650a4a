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
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
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
import { type File, Storage, type StorageOptions } from '@google-cloud/storage';
import { errorCodeOf, PROVIDER } from './errors.ts';

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
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
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

/** Object names are at most 1024 bytes; a list page at most 1000 entries; V4 URLs live 7 days. */
const MAX_NAME_BYTES = 1024;
const MAX_LIST_PAGE = 1000;
const MAX_PRESIGN_SECONDS = 604_800;
/** The client has no batch delete: deletes of one chunk run concurrently, this many at a time. */
const DELETE_CONCURRENCY = 16;
/** https://cloud.google.com/storage/docs/objects#naming */
const RESERVED_PREFIX = '.well-known/acme-challenge/';

type Headers = Record<string, string | string[] | undefined>;

/**
 * Starts a download and resolves once the service answered, with the response headers, so a
 * missing object surfaces as NotFound from `get` itself rather than later from the body.
 */
function openDownload(
  file: File,
  options: object,
  signal: AbortSignal | undefined,
): Promise<{ body: Readable; headers: Headers }> {
  const source = file.createReadStream(options);
  const out = new PassThrough();
  if (signal) {
    const abort = () => source.destroy(signal.reason as Error);
    signal.addEventListener('abort', abort, { once: true });
    // A long-lived signal must not keep every finished download's listener.
    out.once('close', () => signal.removeEventListener('abort', abort));
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    source.once('response', (response: { statusCode?: number; headers?: Headers }) => {
      if ((response.statusCode ?? 200) < 300) {
        answered = true;
        resolve({ body: out, headers: response.headers ?? {} });
      }
    });
    source.on('error', (error) => {
      if (answered) out.destroy(error);
      else reject(error);
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

function classA(call: ReportingCall, count = 1) {
  call.report({ units: { 'gcs.operations.class-a': count } });
}
function classB(call: ReportingCall, count = 1) {
  call.report({ units: { 'gcs.operations.class-b': count } });
}

/** The etag is the generation; anything else cannot match the current object. */
function generationOf(etag: string): string {
  if (!/^\d+$/.test(etag)) {
    throw new DriverError('PreconditionFailed', { detail: 'the etag is not a generation of this object' });
  }
  return etag;
}

/** The portable ObjectStore over Cloud Storage. */
export function createGcsObjectStore(options: GcsObjectStoreOptions): ObjectStore {
  return portableObjectStore(createGcsObjectStoreDriver(options), { meter: options.meter });
}

export function createGcsObjectStoreDriver(options: GcsObjectStoreOptions): ObjectStoreDriver {
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
  const file = (key: string) => bucket().file(prefix + key);

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

  async function deleteOne(key: string): Promise<void> {
    // Deletes are free operations in GCS pricing; nothing to meter but the call itself.
    await file(key).delete({ ignoreNotFound: true });
  }

  return {
    provider: PROVIDER,
    capabilities: CAPABILITIES,
    limits: {
      maxKeyBytes: MAX_NAME_BYTES - Buffer.byteLength(prefix),
      maxListPageSize: MAX_LIST_PAGE,
      maxDeleteBatch: DELETE_CONCURRENCY,
      maxPresignSeconds: MAX_PRESIGN_SECONDS,
    },
    location: `gs://${options.bucket}/${prefix}`,
    keyProblem: (key) =>
      (prefix + key).startsWith(RESERVED_PREFIX)
        ? `names under ${RESERVED_PREFIX} are reserved by Cloud Storage`
        : undefined,
    errorCode: errorCodeOf,
    native: storage,

    async put(key, body, put, call) {
      // ifGenerationMatch 0 is the documented create-only precondition.
      const conditions = put.createOnly
        ? { ifGenerationMatch: 0 }
        : put.ifMatch !== undefined
          ? { ifGenerationMatch: generationOf(put.ifMatch) }
          : undefined;
      const target = file(key);
      const writeOptions = {
        ...(put.contentType ? { contentType: put.contentType } : {}),
        metadata: {
          ...(put.contentType ? { contentType: put.contentType } : {}),
          ...(put.metadata ? { metadata: put.metadata } : {}),
        },
        ...(conditions ? { preconditionOpts: conditions } : {}),
        validation: 'crc32c' as const,
      };
      let size: number;
      if (body instanceof Uint8Array) {
        const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
        size = buffer.length;
        const resumable = size >= threshold;
        await target.save(buffer, { ...writeOptions, resumable });
        // A resumable upload is an initiation plus the upload request: two Class A operations.
        classA(call, resumable ? 2 : 1);
      } else {
        size = 0;
        body.on('data', (chunk: Buffer) => {
          size += chunk.length;
        });
        await pipeline(
          body,
          target.createWriteStream({ ...writeOptions, resumable: true }),
          call.signal ? { signal: call.signal } : {},
        );
        classA(call, 2);
      }
      call.report({ bytesIn: size });
      const meta = target.metadata as GcsMetadata;
      return { key, etag: String(meta.generation ?? ''), size: Number(meta.size ?? size) };
    },

    async get(key, range, call) {
      // One request: the body and the metadata come from the same response, so a concurrent
      // overwrite can never pair one generation's metadata with another's bytes.
      const opened = await openDownload(
        file(key),
        range
          ? {
              start: range.offset,
              ...(range.length !== undefined ? { end: range.offset + range.length - 1 } : {}),
              validation: false,
            }
          : {},
        call.signal,
      );
      classB(call);
      const info = infoFromHeaders(key, opened.headers);
      const contentLength = Number(opened.headers['content-length'] ?? info.size);
      call.report({ bytesOut: contentLength });
      return { ...info, contentLength, body: readableBody(opened.body) };
    },

    async head(key, call) {
      classB(call);
      const [meta] = await file(key).getMetadata();
      return infoOf(meta as GcsMetadata);
    },

    async list(list, call) {
      classA(call);
      const listPrefix = prefix + list.prefix;
      const startAfter = list.startAfter === undefined ? undefined : prefix + list.startAfter;
      const [files, nextQuery, response] = await bucket().getFiles({
        autoPaginate: false,
        prefix: listPrefix,
        ...(list.delimiter ? { delimiter: list.delimiter } : {}),
        // startOffset is inclusive; the core's startAfter is exclusive, so the equal key is dropped below.
        ...(startAfter !== undefined ? { startOffset: startAfter } : {}),
        maxResults: list.pageSize,
        ...(list.pageToken ? { pageToken: list.pageToken } : {}),
      });
      const objects = files
        .map((f) => infoOf(f.metadata as GcsMetadata))
        .filter((info) => startAfter === undefined || prefix + info.key > startAfter);
      const prefixes = ((response as { prefixes?: string[] } | undefined)?.prefixes ?? [])
        .filter((p) => startAfter === undefined || p > startAfter)
        .map((p) => p.slice(prefix.length));
      const token = (nextQuery as { pageToken?: string } | null | undefined)?.pageToken;
      return { objects, commonPrefixes: prefixes, ...(token ? { nextPageToken: token } : {}) };
    },

    delete: (key) => deleteOne(key),

    async deleteMany(keys) {
      const settled = await Promise.allSettled(keys.map(deleteOne));
      return settled.map((outcome) =>
        outcome.status === 'rejected' ? (outcome.reason as unknown) : undefined,
      );
    },

    async copy(sourceKey, targetKey, copy, call) {
      classA(call);
      const [copied] = await file(sourceKey).copy(
        file(targetKey),
        copy.createOnly ? { preconditionOpts: { ifGenerationMatch: 0 } } : {},
      );
      let meta = copied.metadata as GcsMetadata;
      if (meta.generation === undefined) {
        const [fresh] = await copied.getMetadata();
        meta = fresh as GcsMetadata;
      }
      return { key: targetKey, etag: String(meta.generation), size: Number(meta.size ?? 0) };
    },

    async presign(key, presign) {
      const [url] = await file(key).getSignedUrl({
        version: 'v4',
        action: presign.method === 'GET' ? 'read' : 'write',
        expires: Date.now() + presign.expiresInSeconds * 1000,
        ...(presign.contentType ? { contentType: presign.contentType } : {}),
      });
      return url;
    },

    uriOf: (key) => `gs://${options.bucket}/${prefix}${key}`,

    async close() {
      client = options.storage;
    },
  };
}
