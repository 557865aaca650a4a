/** The public ObjectStore API: what apps call. Drivers implement `ObjectStoreDriver` (driver.ts) instead. */
import type { Readable } from 'node:stream';
import type { ObjectStoreCapabilities } from '../capabilities.ts';
// One CallOptions for every portable type (`{ signal }`; aborting rejects the call with `Cancelled`).
import type { CallOptions } from '../queue/types.ts';

/** Anything `put` accepts as a body. Streams are uploaded in parts when the driver supports it. */
export type ObjectBody = Uint8Array | string | ReadableStream<Uint8Array> | Readable;

/**
 * What a store accepts, declared by its driver and enforced by the portable type before a call
 * reaches the service (a larger list page is cut to `maxListPageSize`, never refused).
 */
export interface ObjectStoreLimits {
  /** UTF-8 bytes of a key as the caller writes it (the store's own prefix already subtracted). */
  maxKeyBytes: number;
  /** Entries (objects plus common prefixes) one `list` page may hold. */
  maxListPageSize: number;
  /** Keys one driver `deleteMany` call takes; `deleteMany` chunks any number by it. */
  maxDeleteBatch: number;
  /** Longest lifetime of a presigned URL. */
  maxPresignSeconds: number;
}

export interface PutOptions extends CallOptions {
  contentType?: string;
  /** User metadata: lower-case ASCII names (`[a-z0-9][a-z0-9._-]*`), string values. */
  metadata?: Record<string, string>;
  /** `'*'`: create only; fails with AlreadyExists when the key exists. */
  ifNoneMatch?: '*';
  /** Compare-and-swap: fails with PreconditionFailed unless the current etag equals this one. */
  ifMatch?: string;
}

export interface PutResult {
  key: string;
  etag: string;
  size: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  /** Opaque version tag usable with `ifMatch`. */
  etag: string;
  lastModified: Date;
  contentType?: string;
  metadata?: Record<string, string>;
}

export interface ByteRange {
  /** First byte, zero-based; must lie inside the object. */
  offset: number;
  /** Number of bytes, at least 1; omitted means to the end. A length past the end is cut at the end. */
  length?: number;
}

export interface GetOptions extends CallOptions {
  range?: ByteRange;
}

/** A fetched object. The body can be consumed once, as a stream, bytes or text. */
export interface ObjectData extends ObjectInfo {
  /** Bytes in this response (equals `size` unless a range was asked for). */
  contentLength: number;
  stream(): ReadableStream<Uint8Array>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
}

export interface ListOptions extends CallOptions {
  prefix?: string;
  /** Group keys by this delimiter after the prefix into `commonPrefixes`. */
  delimiter?: string;
  /** Exclusive: only keys strictly after this one. */
  startAfter?: string;
  /** At least 1; cut to `limits.maxListPageSize`. Default: the smaller of 1000 and that limit. */
  pageSize?: number;
  pageToken?: string;
}

export type ListAllOptions = Omit<ListOptions, 'pageToken' | 'delimiter'>;

export interface ListPage {
  objects: ObjectInfo[];
  commonPrefixes: string[];
  /** Absent on the last page. */
  nextPageToken?: string;
}

export interface DeleteManyResult {
  deleted: string[];
  errors: Array<{ key: string; error: Error }>;
}

export interface CopyOptions extends CallOptions {
  ifNoneMatch?: '*';
}

export interface PresignOptions extends CallOptions {
  method: 'GET' | 'PUT';
  /** Whole seconds, 1 to `limits.maxPresignSeconds`. */
  expiresInSeconds: number;
  /** For PUT: the content type the uploader must send. */
  contentType?: string;
}

export interface ObjectStore extends AsyncDisposable {
  readonly provider: string;
  readonly capabilities: ObjectStoreCapabilities;
  readonly limits: ObjectStoreLimits;
  /** Where the objects live, e.g. `s3://bucket/prefix/`, `gs://…`, `file:///…`. */
  readonly location: string;
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult>;
  get(key: string, options?: GetOptions): Promise<ObjectData>;
  head(key: string, options?: CallOptions): Promise<ObjectInfo>;
  list(options?: ListOptions): Promise<ListPage>;
  /** Every object under the prefix, page after page. */
  listAll(options?: ListAllOptions): AsyncIterable<ObjectInfo>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string, options?: CallOptions): Promise<void>;
  /**
   * Any number of keys, sent in requests of `limits.maxDeleteBatch`. Per-key results: an invalid or
   * failed key never fails the others; a missing key counts as deleted.
   */
  deleteMany(keys: readonly string[], options?: CallOptions): Promise<DeleteManyResult>;
  copy(sourceKey: string, targetKey: string, options?: CopyOptions): Promise<PutResult>;
  presign(key: string, options: PresignOptions): Promise<string>;
  /**
   * The engine-native URI of a key (`s3://…`, `gs://…`, `https://…blob…`, `file://…`), for warehouse
   * loads. A key ending in `/` names a prefix.
   */
  uriOf(key: string): string;
  /**
   * Escape hatch (Go CDK `As`): the driver's native client when it is an instance of `type`, else
   * undefined. Errors carry the native error as `cause`.
   */
  as<T>(type: abstract new (...args: never[]) => T): T | undefined;
  /** The driver's native client (SDK client, container client, or the root directory), untyped. */
  native(): unknown;
  close(): Promise<void>;
}
