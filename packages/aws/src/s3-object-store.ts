/**
 * ObjectStore driver for Amazon S3 (official `@aws-sdk/client-s3`). The portable ObjectStore in
 * `@cloudmux/core` validates, chunks, paginates, meters and writes error messages; this file only
 * speaks S3.
 */
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  bufferedBody,
  type DriverCall,
  type DriverPutOptions,
  type Meter,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreCapabilities,
  type ObjectStoreDriver,
  type PutResult,
  portableObjectStore,
  reportUsage,
} from '@cloudmux/core';
import { codeOf, invalidArgument, PROVIDER, withCredentialsHint } from './errors.ts';

export interface S3ObjectStoreOptions {
  /** Bucket holding the objects (must exist). */
  bucket: string;
  /** Key prefix every key is stored under; `/` is appended when missing. */
  prefix?: string;
  /** A ready client; when given, `clientConfig` is ignored and `close()` leaves it open. */
  client?: S3Client;
  /** Settings for the client created lazily on first use (region, endpoint, credentials, …). */
  clientConfig?: S3ClientConfig;
  /** Streams upload in parts of this size (min 5 MiB). Default 8 MiB. */
  partSizeBytes?: number;
  /** Parts in flight per upload. Default 4. */
  partConcurrency?: number;
  /** Override declared capabilities (for endpoints that cannot honour one). */
  capabilities?: Partial<ObjectStoreCapabilities>;
  /**
   * Provider name the store reports (in errors, the meter and `provider`). Default `aws`; an
   * S3-compatible server's provider (e.g. `selfhosted` on MinIO) reuses this driver under its own name.
   */
  provider?: string;
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

/** S3 bills PUT, COPY, POST and LIST as class A, GET, HEAD and the rest as class B; DELETE is free. */
const CLASS_A = 's3.requests.class-a';
const CLASS_B = 's3.requests.class-b';
/** S3's own limits: 1024-byte keys, 1000 keys per ListObjectsV2 page and DeleteObjects, 7-day SigV4 URLs. */
const MAX_KEY_BYTES = 1024;
const MAX_BATCH = 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** The portable ObjectStore over S3. */
export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  return portableObjectStore(createS3ObjectStoreDriver(options), { meter: options.meter });
}

export function createS3ObjectStoreDriver(options: S3ObjectStoreOptions): ObjectStoreDriver {
  const { bucket } = options;
  if (!bucket) throw invalidArgument('objectStore', 'create', 'an S3 object store needs a bucket');
  const prefix = options.prefix ? (options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`) : '';
  const partSize = options.partSizeBytes ?? 8 * 1024 * 1024;
  const partConcurrency = options.partConcurrency ?? 4;
  const ownsClient = !options.client;
  let client: S3Client | undefined = options.client;
  const s3 = () => {
    client ??= withCredentialsHint(new S3Client(options.clientConfig ?? {}), 'objectStore');
    return client;
  };
  const sdk = (call: DriverCall) => (call.signal ? { abortSignal: call.signal } : {});
  const stripPrefix = (key: string) => (key.startsWith(prefix) ? key.slice(prefix.length) : key);

  function info(
    key: string,
    head: HeadObjectCommandOutput | GetObjectCommandOutput,
    size: number,
  ): ObjectInfo {
    return {
      key,
      size,
      etag: head.ETag ?? '',
      lastModified: head.LastModified ?? new Date(0),
      ...(head.ContentType ? { contentType: head.ContentType } : {}),
      metadata: { ...head.Metadata },
    };
  }

  async function putStream(
    key: string,
    body: Readable,
    params: object,
    call: DriverCall,
  ): Promise<PutResult> {
    let size = 0;
    const counted = body.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    const upload = new Upload({
      client: s3(),
      queueSize: partConcurrency,
      partSize,
      leavePartsOnError: false,
      params: { Bucket: bucket, Key: prefix + key, Body: counted, ...params },
    });
    const abort = () => void upload.abort().catch(() => {});
    call.signal?.addEventListener('abort', abort, { once: true });
    try {
      const result = await upload.done();
      const parts = Math.max(1, Math.ceil(size / partSize));
      // One PutObject, or CreateMultipartUpload + each UploadPart + CompleteMultipartUpload.
      reportUsage({ bytesIn: size, units: { [CLASS_A]: parts === 1 ? 1 : parts + 2 } });
      return { key, etag: result.ETag ?? '', size };
    } finally {
      call.signal?.removeEventListener('abort', abort);
    }
  }

  async function head(key: string, call: DriverCall): Promise<ObjectInfo> {
    reportUsage({ units: { [CLASS_B]: 1 } });
    const response = await s3().send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + key }), sdk(call));
    return info(key, response, response.ContentLength ?? 0);
  }

  return {
    provider: options.provider ?? PROVIDER,
    capabilities: { ...CAPABILITIES, ...options.capabilities },
    limits: {
      maxKeyBytes: MAX_KEY_BYTES - Buffer.byteLength(prefix),
      maxListPageSize: MAX_BATCH,
      maxDeleteBatch: MAX_BATCH,
      maxPresignSeconds: MAX_PRESIGN_SECONDS,
    },
    location: `s3://${bucket}/${prefix}`,
    // S3 takes any UTF-8 key within its length limit.
    keyProblem: () => undefined,
    errorCode: codeOf,
    native: s3,

    async put(key, body, put, call) {
      const params = putParams(put);
      if (!(body instanceof Uint8Array)) return putStream(key, body, params, call);
      reportUsage({ bytesIn: body.byteLength, units: { [CLASS_A]: 1 } });
      const result = await s3().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: prefix + key,
          Body: body,
          ContentLength: body.byteLength,
          ...params,
        }),
        sdk(call),
      );
      return { key, etag: result.ETag ?? '', size: body.byteLength };
    },

    async get(key, range, call) {
      reportUsage({ units: { [CLASS_B]: 1 } });
      const response = await s3().send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: prefix + key,
          ...(range
            ? {
                Range: `bytes=${range.offset}-${range.length !== undefined ? range.offset + range.length - 1 : ''}`,
              }
            : {}),
        }),
        sdk(call),
      );
      const contentLength = response.ContentLength ?? 0;
      const total = response.ContentRange ? Number(response.ContentRange.split('/')[1]) : contentLength;
      reportUsage({ bytesOut: contentLength });
      const body = response.Body;
      return {
        ...info(key, response, total),
        contentLength,
        body: body
          ? {
              stream: () => body.transformToWebStream() as ReadableStream<Uint8Array>,
              bytes: () => body.transformToByteArray(),
            }
          : bufferedBody(new Uint8Array(0)),
      };
    },

    head,

    async list(list, call) {
      reportUsage({ units: { [CLASS_A]: 1 } });
      const response = await s3().send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix + list.prefix,
          MaxKeys: list.pageSize,
          ...(list.delimiter ? { Delimiter: list.delimiter } : {}),
          // S3 ignores StartAfter once a continuation token is given; the token already encodes it.
          ...(list.startAfter !== undefined ? { StartAfter: prefix + list.startAfter } : {}),
          ...(list.pageToken ? { ContinuationToken: list.pageToken } : {}),
        }),
        sdk(call),
      );
      return {
        objects: (response.Contents ?? []).map((entry) => ({
          key: stripPrefix(entry.Key ?? ''),
          size: entry.Size ?? 0,
          etag: entry.ETag ?? '',
          lastModified: entry.LastModified ?? new Date(0),
        })),
        commonPrefixes: (response.CommonPrefixes ?? []).map((p) => stripPrefix(p.Prefix ?? '')),
        ...(response.IsTruncated && response.NextContinuationToken
          ? { nextPageToken: response.NextContinuationToken }
          : {}),
      };
    },

    async delete(key, call) {
      // S3 DeleteObject succeeds for a missing key, which is the idempotence the interface wants.
      await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: prefix + key }), sdk(call));
    },

    async deleteMany(keys, call) {
      reportUsage({ units: { [CLASS_A]: 1 } });
      const response = await s3().send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: keys.map((key) => ({ Key: prefix + key })), Quiet: false },
        }),
        sdk(call),
      );
      const failed = new Map<string, Error>();
      for (const entry of response.Errors ?? []) {
        const error = Object.assign(new Error(entry.Message ?? entry.Code ?? 'delete failed'), {
          name: entry.Code ?? 'Error',
          Code: entry.Code,
        });
        failed.set(stripPrefix(entry.Key ?? ''), error);
      }
      return keys.map((key) => failed.get(key));
    },

    async copy(sourceKey, targetKey, copy, call) {
      reportUsage({ units: { [CLASS_A]: 1 } });
      const source = `${bucket}/${prefix}${sourceKey}`;
      const response = await s3().send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key: prefix + targetKey,
          CopySource: encodeURIComponent(source).replace(/%2F/g, '/'),
          ...(copy.createOnly ? { IfNoneMatch: '*' } : {}),
        }),
        sdk(call),
      );
      const copied = await head(targetKey, call);
      return { key: targetKey, etag: response.CopyObjectResult?.ETag ?? copied.etag, size: copied.size };
    },

    async presign(key, presign) {
      const command =
        presign.method === 'PUT'
          ? new PutObjectCommand({
              Bucket: bucket,
              Key: prefix + key,
              ...(presign.contentType ? { ContentType: presign.contentType } : {}),
            })
          : new GetObjectCommand({ Bucket: bucket, Key: prefix + key });
      return getSignedUrl(s3(), command, { expiresIn: presign.expiresInSeconds });
    },

    uriOf: (key) => `s3://${bucket}/${prefix}${key}`,

    async close() {
      if (ownsClient) client?.destroy();
      client = undefined;
    },
  };
}

function putParams(options: DriverPutOptions) {
  return {
    ...(options.contentType ? { ContentType: options.contentType } : {}),
    ...(options.metadata ? { Metadata: options.metadata } : {}),
    ...(options.createOnly ? { IfNoneMatch: '*' } : {}),
    ...(options.ifMatch ? { IfMatch: options.ifMatch } : {}),
  };
}
