import { Readable } from 'node:stream';
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
  CloudmuxError,
  type CopyOptions,
  type DeleteManyResult,
  type GetOptions,
  type ListOptions,
  type ListPage,
  listAllObjects,
  type ObjectData,
  type ObjectInfo,
  type ObjectStore,
  type ObjectStoreCapabilities,
  type PresignOptions,
  type PutOptions,
  type PutResult,
  reportUsage,
} from '@cloudmux/core';
import { awsCall, awsErrorName, invalidArgument, PROVIDER, translateAwsError } from './errors.ts';

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
const DELETE_CHUNK = 1000;
const MAX_LIST_PAGE = 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const { bucket } = options;
  if (!bucket) throw invalidArgument('objectStore', 'create', 'an S3 object store needs a bucket');
  const prefix = options.prefix ? (options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`) : '';
  const partSize = options.partSizeBytes ?? 8 * 1024 * 1024;
  const partConcurrency = options.partConcurrency ?? 4;
  const capabilities = { ...CAPABILITIES, ...options.capabilities };
  const ownsClient = !options.client;
  let client: S3Client | undefined = options.client;
  const s3 = () => {
    client ??= new S3Client(options.clientConfig ?? {});
    return client;
  };

  const fullKey = (key: string, operation: string) => {
    if (typeof key !== 'string' || key.length === 0) {
      throw invalidArgument('objectStore', operation, 'object key must be a non-empty string');
    }
    return prefix + key;
  };
  const ctx = (operation: string, key?: string) => ({
    resource: 'objectStore' as const,
    operation,
    ...(key !== undefined ? { subject: `s3://${bucket}/${prefix}${key}` } : {}),
  });
  const stripPrefix = (key: string) => (key.startsWith(prefix) ? key.slice(prefix.length) : key);

  async function putSmall(key: string, body: Uint8Array, putOptions: PutOptions): Promise<PutResult> {
    reportUsage({ bytesIn: body.byteLength, units: { [CLASS_A]: 1 } });
    const result = await conditional('put', key, putOptions, () =>
      s3().send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: fullKey(key, 'put'),
          Body: body,
          ContentLength: body.byteLength,
          ...putParams(putOptions),
        }),
      ),
    );
    return { key, etag: result.ETag ?? '', size: body.byteLength };
  }

  async function putStream(key: string, body: Readable, putOptions: PutOptions): Promise<PutResult> {
    let size = 0;
    const counted = body.on('data', (chunk: Buffer) => {
      size += chunk.length;
    });
    const upload = new Upload({
      client: s3(),
      queueSize: partConcurrency,
      partSize,
      leavePartsOnError: false,
      params: { Bucket: bucket, Key: fullKey(key, 'put'), Body: counted, ...putParams(putOptions) },
    });
    const result = await conditional('put', key, putOptions, () => upload.done());
    const parts = Math.max(1, Math.ceil(size / partSize));
    // One PutObject, or CreateMultipartUpload + each UploadPart + CompleteMultipartUpload.
    reportUsage({ bytesIn: size, units: { [CLASS_A]: parts === 1 ? 1 : parts + 2 } });
    return { key, etag: result.ETag ?? '', size };
  }

  /** Maps a failed precondition to AlreadyExists for create-only writes, PreconditionFailed for CAS. */
  async function conditional<T>(
    operation: string,
    key: string,
    conditions: { ifNoneMatch?: '*'; ifMatch?: string },
    call: () => Promise<T>,
  ): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const name = awsErrorName(error);
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      const failedCondition = name === 'PreconditionFailed' || status === 412;
      if (failedCondition && conditions.ifNoneMatch === '*' && !conditions.ifMatch) {
        throw translateAwsError(error, ctx(operation, key), 'AlreadyExists');
      }
      // A 404 under If-Match means there is no current version to match: the precondition failed.
      if (conditions.ifMatch && (failedCondition || name === 'NoSuchKey' || status === 404)) {
        throw translateAwsError(error, ctx(operation, key), 'PreconditionFailed');
      }
      throw translateAwsError(error, ctx(operation, key));
    }
  }

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

  const store: ObjectStore = {
    provider: PROVIDER,
    capabilities,
    location: `s3://${bucket}/${prefix}`,

    async put(key, body, putOptions = {}) {
      fullKey(key, 'put');
      if (putOptions.ifMatch !== undefined && putOptions.ifNoneMatch !== undefined) {
        throw invalidArgument('objectStore', 'put', 'ifMatch and ifNoneMatch cannot be combined');
      }
      if (typeof body === 'string') return putSmall(key, new TextEncoder().encode(body), putOptions);
      if (body instanceof Uint8Array) return putSmall(key, body, putOptions);
      const readable = body instanceof Readable ? body : Readable.fromWeb(body as never);
      return putStream(key, readable, putOptions);
    },

    async get(key, getOptions: GetOptions = {}) {
      const range = getOptions.range;
      if (range) validateRange(range);
      // HTTP ranges cannot express zero bytes; an empty range is answered from HEAD.
      if (range && range.length === 0) {
        const head = await store.head(key);
        return objectData(head, new Uint8Array(0));
      }
      reportUsage({ units: { [CLASS_B]: 1 } });
      const response = await awsCall(ctx('get', key), () =>
        s3().send(
          new GetObjectCommand({
            Bucket: bucket,
            Key: fullKey(key, 'get'),
            ...(range
              ? {
                  Range: `bytes=${range.offset}-${range.length !== undefined ? range.offset + range.length - 1 : ''}`,
                }
              : {}),
          }),
        ),
      );
      const contentLength = response.ContentLength ?? 0;
      const total = response.ContentRange ? Number(response.ContentRange.split('/')[1]) : contentLength;
      reportUsage({ bytesOut: contentLength });
      const body = response.Body;
      if (!body) return objectData(info(key, response, total), new Uint8Array(0));
      let consumed = false;
      const once = () => {
        if (consumed) throw invalidArgument('objectStore', 'get', 'the object body was already consumed');
        consumed = true;
      };
      return {
        ...info(key, response, total),
        contentLength,
        stream() {
          once();
          return body.transformToWebStream() as ReadableStream<Uint8Array>;
        },
        async bytes() {
          once();
          return awsCall(ctx('get', key), () => body.transformToByteArray());
        },
        async text() {
          once();
          return awsCall(ctx('get', key), () => body.transformToString('utf-8'));
        },
      } satisfies ObjectData;
    },

    async head(key) {
      reportUsage({ units: { [CLASS_B]: 1 } });
      const head = await awsCall(ctx('head', key), () =>
        s3().send(new HeadObjectCommand({ Bucket: bucket, Key: fullKey(key, 'head') })),
      );
      return info(key, head, head.ContentLength ?? 0);
    },

    async list(listOptions: ListOptions = {}): Promise<ListPage> {
      const pageSize = listOptions.pageSize ?? MAX_LIST_PAGE;
      if (!Number.isInteger(pageSize) || pageSize < 1) {
        throw invalidArgument('objectStore', 'list', 'pageSize must be a positive integer');
      }
      reportUsage({ units: { [CLASS_A]: 1 } });
      const response = await awsCall(ctx('list'), () =>
        s3().send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix + (listOptions.prefix ?? ''),
            MaxKeys: Math.min(pageSize, MAX_LIST_PAGE),
            ...(listOptions.delimiter ? { Delimiter: listOptions.delimiter } : {}),
            // S3 ignores StartAfter once a continuation token is given; the token already encodes it.
            ...(listOptions.startAfter !== undefined ? { StartAfter: prefix + listOptions.startAfter } : {}),
            ...(listOptions.pageToken ? { ContinuationToken: listOptions.pageToken } : {}),
          }),
        ),
      );
      const objects: ObjectInfo[] = (response.Contents ?? []).map((entry) => ({
        key: stripPrefix(entry.Key ?? ''),
        size: entry.Size ?? 0,
        etag: entry.ETag ?? '',
        lastModified: entry.LastModified ?? new Date(0),
      }));
      const commonPrefixes = (response.CommonPrefixes ?? []).map((p) => stripPrefix(p.Prefix ?? ''));
      return {
        objects,
        commonPrefixes,
        ...(response.IsTruncated && response.NextContinuationToken
          ? { nextPageToken: response.NextContinuationToken }
          : {}),
      };
    },

    listAll(listOptions = {}) {
      return listAllObjects(store, listOptions);
    },

    async delete(key) {
      // S3 DeleteObject succeeds for a missing key, which is the idempotence the interface wants.
      await awsCall(ctx('delete', key), () =>
        s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: fullKey(key, 'delete') })),
      );
    },

    async deleteMany(keys): Promise<DeleteManyResult> {
      const result: DeleteManyResult = { deleted: [], errors: [] };
      for (let start = 0; start < keys.length; start += DELETE_CHUNK) {
        const chunk = keys.slice(start, start + DELETE_CHUNK);
        reportUsage({ units: { [CLASS_A]: 1 } });
        const response = await awsCall(ctx('deleteMany'), () =>
          s3().send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: chunk.map((key) => ({ Key: fullKey(key, 'deleteMany') })), Quiet: false },
            }),
          ),
        );
        const failed = new Set<string>();
        for (const entry of response.Errors ?? []) {
          const key = stripPrefix(entry.Key ?? '');
          failed.add(key);
          result.errors.push({
            key,
            error: translateAwsError(
              Object.assign(new Error(entry.Message ?? entry.Code ?? 'delete failed'), { Code: entry.Code }),
              ctx('deleteMany', key),
            ),
          });
        }
        for (const key of chunk) if (!failed.has(key)) result.deleted.push(key);
      }
      return result;
    },

    async copy(sourceKey, targetKey, copyOptions: CopyOptions = {}) {
      reportUsage({ units: { [CLASS_A]: 1 } });
      const source = `${bucket}/${fullKey(sourceKey, 'copy')}`;
      const response = await conditional('copy', targetKey, copyOptions, () =>
        s3().send(
          new CopyObjectCommand({
            Bucket: bucket,
            Key: fullKey(targetKey, 'copy'),
            CopySource: encodeURIComponent(source).replace(/%2F/g, '/'),
            ...(copyOptions.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          }),
        ),
      );
      const head = await store.head(targetKey);
      return { key: targetKey, etag: response.CopyObjectResult?.ETag ?? head.etag, size: head.size };
    },

    async presign(key, presignOptions: PresignOptions) {
      const expiresIn = presignOptions.expiresInSeconds;
      if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
        throw invalidArgument('objectStore', 'presign', 'expiresInSeconds must be between 1 and 604800');
      }
      const command =
        presignOptions.method === 'PUT'
          ? new PutObjectCommand({
              Bucket: bucket,
              Key: fullKey(key, 'presign'),
              ...(presignOptions.contentType ? { ContentType: presignOptions.contentType } : {}),
            })
          : new GetObjectCommand({ Bucket: bucket, Key: fullKey(key, 'presign') });
      return awsCall(ctx('presign', key), () => getSignedUrl(s3(), command, { expiresIn }));
    },

    uriOf(key) {
      return `s3://${bucket}/${fullKey(key, 'uriOf')}`;
    },

    async close() {
      if (ownsClient) client?.destroy();
      client = undefined;
    },
  };
  return store;
}

function putParams(options: PutOptions) {
  return {
    ...(options.contentType ? { ContentType: options.contentType } : {}),
    ...(options.metadata ? { Metadata: options.metadata } : {}),
    ...(options.ifNoneMatch ? { IfNoneMatch: options.ifNoneMatch } : {}),
    ...(options.ifMatch ? { IfMatch: options.ifMatch } : {}),
  };
}

function validateRange(range: { offset: number; length?: number }) {
  const badOffset = !Number.isInteger(range.offset) || range.offset < 0;
  const badLength = range.length !== undefined && (!Number.isInteger(range.length) || range.length < 0);
  if (badOffset || badLength) {
    throw new CloudmuxError({
      code: 'InvalidArgument',
      message: 'range offset and length must be non-negative integers',
      provider: PROVIDER,
      resource: 'objectStore',
      operation: 'get',
    });
  }
}

function objectData(head: ObjectInfo, bytes: Uint8Array): ObjectData {
  return {
    ...head,
    contentLength: bytes.byteLength,
    stream: () =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      }),
    bytes: async () => bytes,
    text: async () => new TextDecoder().decode(bytes),
  };
}
