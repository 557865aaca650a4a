/**
 * What an object store provider implements: only what the service does (Go CDK `driver.Bucket`).
 * The portable ObjectStore (portable-object-store.ts) validates keys, ranges, options and limits
 * before a driver method runs, chunks `deleteMany`, paginates `listAll`, maps failed conditions to
 * one code, meters, retries, honours AbortSignals and writes every error message, so a driver:
 *
 * - never re-checks keys, ranges, page sizes or option combinations (it gets them valid);
 * - throws the native error unchanged (classified by `errorCode`), or a `DriverError` with a code
 *   it decided itself, and never builds a user-facing message;
 * - reports billable units with `reportUsage` (the meter collects them);
 * - passes `call.signal` to its SDK where the SDK takes one.
 */
import type { Readable } from 'node:stream';
import type { ObjectStoreCapabilities } from '../capabilities.ts';
import type { ErrorCode } from '../errors.ts';
// The per-call context every driver receives: the caller's `signal`, and `report` for the bytes and
// billable units only the driver knows (no AsyncLocalStorage context on the metered path).
import type { ReportingCall } from '../portable/operation.ts';
import type { ByteRange, ListPage, ObjectInfo, ObjectStoreLimits, PutResult } from './types.ts';

/** A put body after validation: text arrives as UTF-8 bytes, web streams as Node Readables. */
export type DriverBody = Uint8Array | Readable;

export interface DriverPutOptions {
  contentType?: string | undefined;
  metadata?: Record<string, string> | undefined;
  /** Create only (the caller's `ifNoneMatch: '*'`); never together with `ifMatch`. */
  createOnly?: boolean | undefined;
  ifMatch?: string | undefined;
}

export interface DriverCopyOptions {
  createOnly?: boolean | undefined;
}

/** A range after validation: whole bytes, `length` at least 1 when given. */
export type DriverRange = Required<Pick<ByteRange, 'offset'>> & Pick<ByteRange, 'length'>;

/** An object body as the driver reads it; the portable type makes it consumable once. */
export interface DriverBodySource {
  stream(): ReadableStream<Uint8Array>;
  bytes(): Promise<Uint8Array>;
}

/** What a driver's `get` answers: the metadata and size of the response plus its unread body. */
export interface DriverObject extends ObjectInfo {
  contentLength: number;
  body: DriverBodySource;
}

export interface DriverListOptions {
  /** '' when the caller gave none. */
  prefix: string;
  delimiter?: string | undefined;
  startAfter?: string | undefined;
  /** 1 to `limits.maxListPageSize`. */
  pageSize: number;
  pageToken?: string | undefined;
}

export interface DriverPresignOptions {
  method: 'GET' | 'PUT';
  /** Whole seconds, 1 to `limits.maxPresignSeconds`. */
  expiresInSeconds: number;
  contentType?: string | undefined;
}

export interface ObjectStoreDriver {
  readonly provider: string;
  readonly capabilities: ObjectStoreCapabilities;
  readonly limits: ObjectStoreLimits;
  readonly location: string;
  /**
   * Why this service cannot hold `key`, beyond the portable rules (non-empty, no control
   * characters, no `.`/`..` segments, `limits.maxKeyBytes`), or undefined.
   */
  keyProblem(key: string): string | undefined;
  /** The cloudmux code of a native error this driver let escape. */
  errorCode(error: unknown): ErrorCode;
  /** The SDK client (or root directory), created on demand (`ObjectStore.as` / `native`). */
  native(): unknown;

  put(key: string, body: DriverBody, options: DriverPutOptions, call: ReportingCall): Promise<PutResult>;
  /** A range starting beyond the end → InvalidArgument (native or DriverError). */
  get(key: string, range: DriverRange | undefined, call: ReportingCall): Promise<DriverObject>;
  head(key: string, call: ReportingCall): Promise<ObjectInfo>;
  list(options: DriverListOptions, call: ReportingCall): Promise<ListPage>;
  /** Succeeds for a missing key. */
  delete(key: string, call: ReportingCall): Promise<void>;
  /**
   * At most `limits.maxDeleteBatch` keys; one entry per key, in order: undefined when deleted (or
   * missing), else the native error or DriverError for that key.
   */
  deleteMany(keys: readonly string[], call: ReportingCall): Promise<unknown[]>;
  copy(
    sourceKey: string,
    targetKey: string,
    options: DriverCopyOptions,
    call: ReportingCall,
  ): Promise<PutResult>;
  presign(key: string, options: DriverPresignOptions, call: ReportingCall): Promise<string>;
  /** `key` is valid, or a valid key followed by `/` (a prefix). */
  uriOf(key: string): string;
  close(): Promise<void>;
}
