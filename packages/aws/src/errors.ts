import { CloudmuxError, DriverError, type ErrorCode, type ResourceName } from '@cloudmux/core';

export const PROVIDER = 'aws';

/**
 * AWS error names (the `name` of an SDK ServiceException, which is the service's error code) and
 * the cloudmux code each one means. Names are unique enough across S3, SQS, Secrets Manager and the
 * Redshift Data API that one table serves all four services.
 */
const BY_NAME: Record<string, ErrorCode> = {
  // not found
  NoSuchKey: 'NotFound',
  NotFound: 'NotFound',
  NoSuchBucket: 'NotFound',
  NoSuchUpload: 'NotFound',
  NoSuchVersion: 'NotFound',
  ResourceNotFoundException: 'NotFound',
  QueueDoesNotExist: 'NotFound',
  'AWS.SimpleQueueService.NonExistentQueue': 'NotFound',
  // already exists / conditions
  ResourceExistsException: 'AlreadyExists',
  QueueAlreadyExists: 'AlreadyExists',
  QueueNameExists: 'AlreadyExists',
  BucketAlreadyExists: 'AlreadyExists',
  BucketAlreadyOwnedByYou: 'AlreadyExists',
  PreconditionFailed: 'PreconditionFailed',
  // S3 answers 409 when two conditional writes race on one key; the loser retries from a fresh read.
  ConditionalRequestConflict: 'PreconditionFailed',
  MessageNotInflight: 'PreconditionFailed',
  'AWS.SimpleQueueService.MessageNotInflight': 'PreconditionFailed',
  // permissions and credentials
  AccessDenied: 'PermissionDenied',
  AccessDeniedException: 'PermissionDenied',
  AllAccessDisabled: 'PermissionDenied',
  AuthorizationError: 'PermissionDenied',
  KMSAccessDeniedException: 'PermissionDenied',
  InvalidAccessKeyId: 'Unauthenticated',
  SignatureDoesNotMatch: 'Unauthenticated',
  ExpiredToken: 'Unauthenticated',
  ExpiredTokenException: 'Unauthenticated',
  InvalidClientTokenId: 'Unauthenticated',
  UnrecognizedClientException: 'Unauthenticated',
  InvalidSecurity: 'Unauthenticated',
  MissingAuthenticationToken: 'Unauthenticated',
  CredentialsProviderError: 'Unauthenticated',
  // throttling
  SlowDown: 'Throttled',
  Throttling: 'Throttled',
  ThrottlingException: 'Throttled',
  ThrottledException: 'Throttled',
  RequestThrottled: 'Throttled',
  RequestThrottledException: 'Throttled',
  TooManyRequestsException: 'Throttled',
  RequestLimitExceeded: 'Throttled',
  ActiveStatementsExceededException: 'Throttled',
  ActiveSessionsExceededException: 'Throttled',
  KMSThrottlingException: 'Throttled',
  // server side
  ServiceUnavailable: 'Unavailable',
  ServiceUnavailableException: 'Unavailable',
  InternalError: 'Unavailable',
  InternalFailure: 'Unavailable',
  InternalServiceError: 'Unavailable',
  InternalServerException: 'Unavailable',
  DatabaseConnectionException: 'Unavailable',
  RequestTimeout: 'Timeout',
  RequestTimeoutException: 'Timeout',
  QueryTimeoutException: 'Timeout',
  TimeoutError: 'Timeout',
  // bad requests
  ValidationException: 'InvalidArgument',
  InvalidParameterValue: 'InvalidArgument',
  InvalidParameterValueException: 'InvalidArgument',
  InvalidParameterException: 'InvalidArgument',
  InvalidParameterCombination: 'InvalidArgument',
  InvalidArgument: 'InvalidArgument',
  InvalidRange: 'InvalidArgument',
  InvalidRequest: 'InvalidArgument',
  MalformedXML: 'InvalidArgument',
  EntityTooLarge: 'InvalidArgument',
  EntityTooSmall: 'InvalidArgument',
  KeyTooLongError: 'InvalidArgument',
  InvalidMessageContents: 'InvalidArgument',
  InvalidAttributeName: 'InvalidArgument',
  InvalidAttributeValue: 'InvalidArgument',
  BatchRequestTooLong: 'InvalidArgument',
  TooManyEntriesInBatchRequest: 'InvalidArgument',
  EmptyBatchRequest: 'InvalidArgument',
  BatchEntryIdsNotDistinct: 'InvalidArgument',
  InvalidBatchEntryId: 'InvalidArgument',
  ReceiptHandleIsInvalid: 'InvalidArgument',
  UnsupportedOperation: 'Unsupported',
  ExecuteStatementException: 'InvalidArgument',
  BatchExecuteStatementException: 'InvalidArgument',
  MalformedPolicyDocumentException: 'InvalidArgument',
  DecryptionFailure: 'PermissionDenied',
  EncryptionFailure: 'Internal',
  LimitExceededException: 'Throttled',
  OverLimit: 'Throttled',
};

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'InvalidArgument',
  401: 'Unauthenticated',
  403: 'PermissionDenied',
  404: 'NotFound',
  409: 'AlreadyExists',
  412: 'PreconditionFailed',
  416: 'InvalidArgument',
  429: 'Throttled',
  500: 'Unavailable',
  502: 'Unavailable',
  503: 'Unavailable',
  504: 'Timeout',
};

// Node's network errors: the endpoint is unreachable right now, which is worth retrying.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);

interface SdkErrorLike {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
  $fault?: 'client' | 'server';
}

/** The AWS error name of an SDK error (`NoSuchKey`, `ThrottlingException`, …), if it has one. */
export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as SdkErrorLike;
  return e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? e.code;
}

export function awsStatus(error: unknown): number | undefined {
  return (error as SdkErrorLike | null)?.$metadata?.httpStatusCode;
}

/** The cloudmux code an SDK error maps to. */
export function codeOf(error: unknown): ErrorCode {
  const name = awsErrorName(error);
  if (name && BY_NAME[name]) return BY_NAME[name];
  const networkCode = (error as { code?: string; cause?: { code?: string } } | null)?.code;
  if (networkCode && NETWORK_CODES.has(networkCode)) return 'Unavailable';
  const causeCode = (error as { cause?: { code?: string } } | null)?.cause?.code;
  if (causeCode && NETWORK_CODES.has(causeCode)) return 'Unavailable';
  if (name === 'AbortError') return 'Timeout';
  const status = awsStatus(error);
  if (status && BY_STATUS[status]) return BY_STATUS[status];
  if (status && status >= 500) return 'Unavailable';
  const e = error as SdkErrorLike | null;
  if (e?.$retryable?.throttling) return 'Throttled';
  if (e?.$fault === 'server') return 'Unavailable';
  if (e?.$fault === 'client') return 'InvalidArgument';
  return 'Internal';
}

/** The AWS service behind each resource, so a failure says which service refused. */
const SERVICE: Partial<Record<ResourceName, string>> = {
  objectStore: 'S3',
  queue: 'SQS',
  warehouse: 'Redshift Data API',
  secretStore: 'Secrets Manager',
};

/**
 * The SDK's own text ("Could not load credentials from any providers") names neither what it tried
 * nor what to do; this names both.
 */
const NO_CREDENTIALS =
  'no AWS credentials found (the SDK tried the environment, the shared config/SSO profile, credential_process, web identity and container/instance metadata). ' +
  'Fix: run `aws sso login --profile <name>` and set AWS_PROFILE, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or attach a role; `cloudmux doctor --provider aws` shows each source';

export function invalidArgument(resource: ResourceName, operation: string, message: string): CloudmuxError {
  return new CloudmuxError({ code: 'InvalidArgument', message, provider: PROVIDER, resource, operation });
}

/** The part of an SDK v3 middleware stack this needs (typed loosely: each client's stack is generic). */
interface MiddlewareAdder {
  add(
    middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
    options: { step: 'initialize'; name: string },
  ): void;
}

/**
 * Makes a client's "no credentials" failure say which service and what to do. The SDK resolves
 * credentials while signing, inside the request pipeline, so one outermost middleware sees every
 * CredentialsProviderError; it becomes a DriverError whose detail the portable layer puts in the
 * message (the native error stays its cause).
 */
export function withCredentialsHint<C extends { middlewareStack: object }>(
  client: C,
  resource: ResourceName,
): C {
  (client.middlewareStack as MiddlewareAdder).add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if (awsErrorName(error) !== 'CredentialsProviderError') throw error;
        throw new DriverError('Unauthenticated', {
          detail: `${SERVICE[resource] ?? 'AWS'}: ${NO_CREDENTIALS}`,
          cause: error,
          retryable: false,
        });
      }
    },
    { step: 'initialize', name: 'cloudmuxCredentialsHint' },
  );
  return client;
}
