/**
 * One classification of every error the Google Cloud clients throw into an ErrorCode (the driver's
 * `errorCode`; the portable layer writes the message). Three shapes reach us: HTTP (`ApiError` from the Storage/BigQuery clients, `code` = HTTP status, `errors[].reason`),
 * gRPC (google-gax / grpc-js, `code` = gRPC status 0–16), and Node network errors (`code` = 'ECONNREFUSED').
 * BigQuery job failures carry a `reason` string only, so reasons are mapped too.
 */
import type { ErrorCode } from '@cloudmux/core';

export const PROVIDER = 'gcp';

/** gRPC status numbers (google.rpc.Code). */
const GRPC: Record<number, ErrorCode> = {
  1: 'Unavailable', // CANCELLED: the call was torn down, safe to retry
  2: 'Internal', // UNKNOWN
  3: 'InvalidArgument',
  4: 'Timeout', // DEADLINE_EXCEEDED
  5: 'NotFound',
  6: 'AlreadyExists',
  7: 'PermissionDenied',
  8: 'Throttled', // RESOURCE_EXHAUSTED
  9: 'PreconditionFailed', // FAILED_PRECONDITION
  10: 'Unavailable', // ABORTED: a concurrency conflict, retryable per Google's guidance
  11: 'InvalidArgument', // OUT_OF_RANGE
  12: 'Unsupported', // UNIMPLEMENTED
  13: 'Internal',
  14: 'Unavailable',
  15: 'Internal', // DATA_LOSS
  16: 'Unauthenticated',
};

/** BigQuery / JSON API `errors[].reason` values, which are more precise than the status. */
const REASONS: Record<string, ErrorCode> = {
  notFound: 'NotFound',
  duplicate: 'AlreadyExists',
  conflict: 'AlreadyExists',
  invalid: 'InvalidArgument',
  invalidQuery: 'InvalidArgument',
  badRequest: 'InvalidArgument',
  required: 'InvalidArgument',
  resourceInUse: 'PreconditionFailed',
  conditionNotMet: 'PreconditionFailed',
  accessDenied: 'PermissionDenied',
  forbidden: 'PermissionDenied',
  unauthorized: 'Unauthenticated',
  authError: 'Unauthenticated',
  quotaExceeded: 'Throttled',
  rateLimitExceeded: 'Throttled',
  responseTooLarge: 'InvalidArgument',
  backendError: 'Unavailable',
  internalError: 'Internal',
  stopped: 'Unavailable',
  timeout: 'Timeout',
};

const NETWORK: Record<string, ErrorCode> = {
  ECONNREFUSED: 'Unavailable',
  ECONNRESET: 'Unavailable',
  EPIPE: 'Unavailable',
  ENOTFOUND: 'Unavailable',
  EAI_AGAIN: 'Unavailable',
  ETIMEDOUT: 'Timeout',
  ESOCKETTIMEDOUT: 'Timeout',
  UND_ERR_SOCKET: 'Unavailable',
  UND_ERR_CONNECT_TIMEOUT: 'Timeout',
};

function fromHttpStatus(status: number): ErrorCode {
  if (status === 400 || status === 411 || status === 413 || status === 416) return 'InvalidArgument';
  if (status === 401) return 'Unauthenticated';
  if (status === 403) return 'PermissionDenied';
  if (status === 404 || status === 410) return 'NotFound';
  if (status === 409) return 'AlreadyExists';
  if (status === 412 || status === 304) return 'PreconditionFailed';
  if (status === 429) return 'Throttled';
  if (status === 408 || status === 504) return 'Timeout';
  if (status === 501) return 'Unsupported';
  if (status === 502 || status === 503) return 'Unavailable';
  return 'Internal';
}

interface ErrorShape {
  code?: unknown;
  status?: unknown;
  reason?: unknown;
  errors?: Array<{ reason?: unknown }>;
  response?: { status?: unknown };
  cause?: unknown;
  name?: unknown;
}

/** The CloudmuxError code for any error a Google client throws. */
export function errorCodeOf(error: unknown): ErrorCode {
  const e = (error ?? {}) as ErrorShape;
  const reason =
    typeof e.reason === 'string' ? e.reason : e.errors?.find((x) => typeof x.reason === 'string')?.reason;
  if (typeof reason === 'string' && REASONS[reason]) return REASONS[reason];
  if (typeof e.code === 'string' && NETWORK[e.code]) return NETWORK[e.code] as ErrorCode;
  if (typeof e.code === 'number') {
    if (e.code >= 100) return fromHttpStatus(e.code);
    return GRPC[e.code] ?? 'Internal';
  }
  if (typeof e.status === 'number' && e.status >= 100) return fromHttpStatus(e.status);
  if (typeof e.response?.status === 'number') return fromHttpStatus(e.response.status);
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return 'Timeout';
  if (e.cause && e.cause !== error) return errorCodeOf(e.cause);
  return 'Internal';
}
