/**
 * Trino's errors as cloudmux codes. A failed statement carries an `errorName` from Trino's
 * StandardErrorCode / HiveErrorCode and an `errorType` (USER_ERROR, INTERNAL_ERROR,
 * INSUFFICIENT_RESOURCES, EXTERNAL); transport failures are HTTP statuses or lost connections.
 */
import { DriverError, type ErrorCode } from '@cloudmux/core';
import { TrinoHttpError, TrinoQueryError } from './protocol.ts';

const BY_NAME: Readonly<Record<string, ErrorCode>> = {
  TABLE_NOT_FOUND: 'NotFound',
  SCHEMA_NOT_FOUND: 'NotFound',
  CATALOG_NOT_FOUND: 'NotFound',
  NOT_FOUND: 'NotFound',
  HIVE_FILE_NOT_FOUND: 'NotFound',
  TABLE_ALREADY_EXISTS: 'AlreadyExists',
  SCHEMA_ALREADY_EXISTS: 'AlreadyExists',
  ALREADY_EXISTS: 'AlreadyExists',
  PERMISSION_DENIED: 'PermissionDenied',
  NOT_SUPPORTED: 'Unsupported',
  // Bad data in a lake file is bad input, as a malformed CSV is on every other engine.
  HIVE_BAD_DATA: 'InvalidArgument',
  HIVE_CURSOR_ERROR: 'InvalidArgument',
  HIVE_INVALID_METADATA: 'InvalidArgument',
  HIVE_UNSUPPORTED_FORMAT: 'InvalidArgument',
  EXCEEDED_TIME_LIMIT: 'Timeout',
  EXCEEDED_CPU_LIMIT: 'Throttled',
  EXCEEDED_GLOBAL_MEMORY_LIMIT: 'Throttled',
  EXCEEDED_LOCAL_MEMORY_LIMIT: 'Throttled',
  QUERY_QUEUE_FULL: 'Throttled',
  QUERY_REJECTED: 'Throttled',
  SERVER_STARTING_UP: 'Unavailable',
  SERVER_SHUTTING_DOWN: 'Unavailable',
  NO_NODES_AVAILABLE: 'Unavailable',
  REMOTE_TASK_ERROR: 'Unavailable',
  REMOTE_HOST_GONE: 'Unavailable',
  TOO_MANY_REQUESTS_FAILED: 'Unavailable',
  HIVE_METASTORE_ERROR: 'Unavailable',
  HIVE_FILESYSTEM_ERROR: 'Unavailable',
  USER_CANCELED: 'Cancelled',
  ADMINISTRATIVELY_KILLED: 'Cancelled',
};

const BY_TYPE: Readonly<Record<string, ErrorCode>> = {
  USER_ERROR: 'InvalidArgument',
  INSUFFICIENT_RESOURCES: 'Throttled',
  EXTERNAL: 'Unavailable',
  INTERNAL_ERROR: 'Internal',
};

/** The cloudmux code of an error the Trino driver let escape. */
export function trinoErrorCode(error: unknown): ErrorCode {
  if (DriverError.isInstance(error)) return error.code;
  if (error instanceof TrinoQueryError) {
    return BY_NAME[error.errorName] ?? BY_TYPE[error.errorType] ?? 'Internal';
  }
  if (error instanceof TrinoHttpError) {
    if (error.status === 401) return 'Unauthenticated';
    if (error.status === 403) return 'PermissionDenied';
    if (error.status === 429) return 'Throttled';
    if (error.status === 502 || error.status === 503 || error.status === 504) return 'Unavailable';
    if (error.status >= 500) return 'Internal';
    return 'InvalidArgument';
  }
  const name = (error as { name?: string } | null)?.name;
  if (name === 'AbortError') return 'Cancelled';
  if (name === 'TimeoutError') return 'Timeout';
  // fetch rejects with a TypeError when the connection is refused, reset or closed mid-reply.
  if (error instanceof TypeError) return 'Unavailable';
  if (error instanceof SyntaxError) return 'Unavailable'; // a reply cut short: unparseable JSON
  return 'Internal';
}
