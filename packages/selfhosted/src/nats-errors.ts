/**
 * NATS and JetStream errors → cloudmux codes. The official client throws classes named after the
 * condition (`ConsumerNotFoundError`, `TimeoutError`, `NoRespondersError` …) and `JetStreamApiError`
 * with the server's `api_error` (an HTTP-like `code` and a JetStream `err_code`), so classification
 * goes by class name and those numbers, never by message text.
 */
import type { ErrorCode } from '@cloudmux/core';

export const PROVIDER = 'selfhosted';

/** JetStream `err_code`s the driver decides on (nats-server `server/errors.json`). */
export const JS_STREAM_NOT_FOUND = 10059;
export const JS_CONSUMER_NOT_FOUND = 10014;
/** "stream name already in use with a different configuration". */
export const JS_STREAM_NAME_IN_USE = 10058;
/** "consumer already exists" (an existing durable with a different configuration). */
export const JS_CONSUMER_EXISTS = 10148;

interface ApiErrorShape {
  code?: number;
  err_code?: number;
}

/** The server's `api_error` of a JetStream API failure, when the error carries one. */
export function apiErrorOf(error: unknown): ApiErrorShape | undefined {
  const candidate = error as { apiError?: () => ApiErrorShape; api_error?: ApiErrorShape } | undefined;
  if (typeof candidate?.apiError === 'function') return candidate.apiError();
  return candidate?.api_error;
}

export function natsErrorCode(error: unknown): ErrorCode {
  const api = apiErrorOf(error);
  if (api?.code !== undefined) {
    if (api.code === 404) return 'NotFound';
    if (api.err_code === JS_STREAM_NAME_IN_USE || api.err_code === JS_CONSUMER_EXISTS) return 'AlreadyExists';
    if (api.code === 400) return 'InvalidArgument';
    if (api.code === 401 || api.code === 403) return 'PermissionDenied';
    if (api.code === 429) return 'Throttled';
    if (api.code === 503) return 'Unavailable';
    return 'Internal';
  }
  const name = (error as { name?: string; constructor?: { name?: string } } | undefined)?.name;
  const className = (error as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  switch (name ?? className) {
    case 'StreamNotFoundError':
    case 'ConsumerNotFoundError':
      return 'NotFound';
    case 'TimeoutError':
      return 'Timeout';
    case 'AuthorizationError':
    case 'PermissionViolationError':
      return 'PermissionDenied';
    case 'UserAuthenticationExpiredError':
      return 'Unauthenticated';
    case 'ClosedConnectionError':
    case 'DrainingConnectionError':
    case 'ConnectionError':
    case 'NoRespondersError':
    case 'JetStreamNotEnabled':
    case 'RequestError':
      return 'Unavailable';
    case 'InvalidArgumentError':
      return 'InvalidArgument';
    case 'AbortError':
      return 'Cancelled';
    default:
      break;
  }
  // Connection failures surface as Node socket errors before the client wraps them.
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)$/.test(code)
  ) {
    return 'Unavailable';
  }
  return 'Internal';
}
