import type { ErrorCode } from '@cloudmux/core';

export const PROVIDER = 'azure';

/**
 * Azure Storage error codes (x-ms-error-code) and Key Vault error codes that decide the mapping on
 * their own. The status code is the fallback: a HEAD 404 carries no body, and some services leave
 * `code` empty, so both are consulted.
 */
const CODE_MAP: Record<string, ErrorCode> = {
  BlobNotFound: 'NotFound',
  ContainerNotFound: 'NotFound',
  QueueNotFound: 'NotFound',
  MessageNotFound: 'NotFound',
  SecretNotFound: 'NotFound',
  ResourceNotFound: 'NotFound',
  BlobAlreadyExists: 'AlreadyExists',
  ContainerAlreadyExists: 'AlreadyExists',
  QueueAlreadyExists: 'AlreadyExists',
  ConditionNotMet: 'PreconditionFailed',
  TargetConditionNotMet: 'PreconditionFailed',
  SourceConditionNotMet: 'PreconditionFailed',
  InvalidRange: 'InvalidArgument',
  InvalidInput: 'InvalidArgument',
  InvalidHeaderValue: 'InvalidArgument',
  InvalidQueryParameterValue: 'InvalidArgument',
  InvalidXmlDocument: 'InvalidArgument',
  RequestBodyTooLarge: 'InvalidArgument',
  MessageTooLarge: 'InvalidArgument',
  BadParameter: 'InvalidArgument',
  AuthenticationFailed: 'Unauthenticated',
  AuthorizationFailure: 'PermissionDenied',
  AuthorizationPermissionMismatch: 'PermissionDenied',
  Forbidden: 'PermissionDenied',
  ServerBusy: 'Throttled',
  Throttled: 'Throttled',
  OperationTimedOut: 'Timeout',
  InternalError: 'Unavailable',
};

/**
 * SQL Server / Azure SQL / Synapse error numbers the documentation lists as transient
 * ("Troubleshoot transient connection errors", Azure SQL docs) plus deadlock victim 1205.
 */
export const TRANSIENT_SQL_ERRORS: ReadonlySet<number> = new Set([
  20, 64, 233, 1205, 4060, 4221, 10053, 10054, 10060, 10928, 10929, 40143, 40197, 40501, 40540, 40613, 42108,
  42109, 49918, 49919, 49920,
]);

const SQL_NUMBER_MAP: Record<number, ErrorCode> = {
  208: 'NotFound', // invalid object name
  3701: 'NotFound', // cannot drop, does not exist
  2714: 'AlreadyExists', // object already exists
  2627: 'AlreadyExists', // unique constraint
  2601: 'AlreadyExists', // unique index
  102: 'InvalidArgument', // syntax
  156: 'InvalidArgument',
  207: 'InvalidArgument', // invalid column
  213: 'InvalidArgument', // column count mismatch
  245: 'InvalidArgument', // conversion
  515: 'InvalidArgument', // NULL into NOT NULL
  8114: 'InvalidArgument',
  8115: 'InvalidArgument', // overflow
  8152: 'InvalidArgument', // truncation
  2628: 'InvalidArgument',
  229: 'PermissionDenied',
  230: 'PermissionDenied',
  262: 'PermissionDenied',
  300: 'PermissionDenied',
  18456: 'Unauthenticated',
};

/** Network-level tedious/mssql connection codes: all retryable. */
const SQL_CONNECTION_CODES = new Set(['ESOCKET', 'ECONNRESET', 'ECONNCLOSED', 'ETIMEOUT', 'EINSTLOOKUP']);

interface ErrorShape {
  name?: string;
  statusCode?: number;
  code?: string | number;
  number?: number;
  details?: { errorCode?: string };
  originalError?: unknown;
  precedingErrors?: unknown[];
}

export function classify(error: unknown): { code: ErrorCode; retryable?: boolean } {
  const shape = (error ?? {}) as ErrorShape;
  const sqlNumber = sqlErrorNumber(shape);
  if (sqlNumber !== undefined) {
    if (TRANSIENT_SQL_ERRORS.has(sqlNumber)) return { code: 'Unavailable', retryable: true };
    const mapped = SQL_NUMBER_MAP[sqlNumber];
    if (mapped) return { code: mapped };
    if (sqlNumber >= 50000) return { code: 'Internal' };
    return { code: 'InvalidArgument', retryable: false };
  }
  if (typeof shape.code === 'string' && SQL_CONNECTION_CODES.has(shape.code)) {
    return { code: shape.code === 'ETIMEOUT' ? 'Timeout' : 'Unavailable', retryable: true };
  }
  if (typeof shape.code === 'string' && shape.code === 'ELOGIN') return { code: 'Unauthenticated' };
  const serviceCode = shape.details?.errorCode ?? (typeof shape.code === 'string' ? shape.code : undefined);
  if (serviceCode) {
    const mapped = CODE_MAP[serviceCode];
    if (mapped) return { code: mapped };
  }
  switch (shape.statusCode) {
    case 400:
    case 413:
    case 416:
      return { code: 'InvalidArgument' };
    case 401:
      return { code: 'Unauthenticated' };
    case 403:
      return { code: 'PermissionDenied' };
    case 404:
      return { code: 'NotFound' };
    case 409:
      return { code: 'AlreadyExists' };
    case 304:
    case 412:
      return { code: 'PreconditionFailed' };
    case 408:
      return { code: 'Timeout' };
    case 429:
      return { code: 'Throttled', retryable: true };
    case 500:
    case 502:
    case 503:
    case 504:
      return { code: 'Unavailable', retryable: true };
  }
  if (shape.name === 'AbortError') return { code: 'Timeout' };
  if (shape.name === 'CredentialUnavailableError' || shape.name === 'AuthenticationError') {
    return { code: 'Unauthenticated' };
  }
  if (
    typeof shape.code === 'string' &&
    ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EPIPE'].includes(shape.code)
  ) {
    return { code: 'Unavailable', retryable: true };
  }
  return { code: 'Internal' };
}

function sqlErrorNumber(shape: ErrorShape): number | undefined {
  if (typeof shape.number === 'number') return shape.number;
  const original = shape.originalError as ErrorShape | undefined;
  if (original && typeof original.number === 'number') return original.number;
  return undefined;
}
