import type { Readable } from 'node:stream';
import type { ObjectStoreCapabilities } from './capabilities.ts';

/** Anything `put` accepts as a body. Streams are uploaded in parts when the adapter supports it. */
export type ObjectBody = Uint8Array | string | ReadableStream<Uint8Array> | Readable;

export interface PutOptions {
  contentType?: string;
  /** User metadata: lower-case ASCII keys, string values. */
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
  /** First byte, zero-based. */
  offset: number;
  /** Number of bytes; omitted means to the end. */
  length?: number;
}

export interface GetOptions {
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

export interface ListOptions {
  prefix?: string;
  /** Group keys by this delimiter after the prefix into `commonPrefixes`. */
  delimiter?: string;
  /** Exclusive: only keys strictly after this one. */
  startAfter?: string;
  pageSize?: number;
  pageToken?: string;
}

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

export interface CopyOptions {
  ifNoneMatch?: '*';
}

export interface PresignOptions {
  method: 'GET' | 'PUT';
  expiresInSeconds: number;
  /** For PUT: the content type the uploader must send. */
  contentType?: string;
}

export interface ObjectStore {
  readonly provider: string;
  readonly capabilities: ObjectStoreCapabilities;
  /** Where the objects live, e.g. `s3://bucket/prefix/`, `gs://…`, `file:///…`. */
  readonly location: string;
  put(key: string, body: ObjectBody, options?: PutOptions): Promise<PutResult>;
  get(key: string, options?: GetOptions): Promise<ObjectData>;
  head(key: string): Promise<ObjectInfo>;
  list(options?: ListOptions): Promise<ListPage>;
  /** Every object under the prefix, page after page. */
  listAll(options?: Omit<ListOptions, 'pageToken' | 'delimiter'>): AsyncIterable<ObjectInfo>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  deleteMany(keys: readonly string[]): Promise<DeleteManyResult>;
  copy(sourceKey: string, targetKey: string, options?: CopyOptions): Promise<PutResult>;
  presign(key: string, options: PresignOptions): Promise<string>;
  /** The engine-native URI of a key (`s3://…`, `gs://…`, `https://…blob…`, `file://…`), for warehouse loads. */
  uriOf(key: string): string;
  close(): Promise<void>;
}

/** Paginates `list` into a flat async iterator; used by adapters and by the meter wrapper. */
export async function* listAllObjects(
  store: Pick<ObjectStore, 'list'>,
  options: Omit<ListOptions, 'pageToken' | 'delimiter'> = {},
): AsyncIterable<ObjectInfo> {
  let pageToken: string | undefined;
  do {
    const page = await store.list({ ...options, ...(pageToken ? { pageToken } : {}) });
    yield* page.objects;
    pageToken = page.nextPageToken;
  } while (pageToken);
}
