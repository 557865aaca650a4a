import { CloudmuxError, type ErrorCode } from '@cloudmux/core';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { log } from '../log.ts';
import { BadParameter } from './params.ts';

/**
 * HTTP status per error code. A provider's fault is the server's, not the caller's: a table that is
 * gone is a 500 (not 404), credentials the provider refuses a 502, throttling and outages 503.
 */
const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  InvalidArgument: 400,
  PermissionDenied: 502,
  Unauthenticated: 502,
  Throttled: 503,
  Unavailable: 503,
  Timeout: 504,
};

/**
 * The API's one error shape, `{ error: message, code, field?, provider?, resource?, operation? }`
 * (the ingest endpoint answers the same), so a client such as the dashboard can say what happened —
 * "Unavailable from the aws objectStore" — instead of a bare 500.
 */
export function answerError(error: Error, c: Context): Response {
  if (!CloudmuxError.isInstance(error)) {
    log('error', 'serve-failed', { path: c.req.path, message: error.message });
    return c.json({ error: error.message, code: 'Internal' }, 500);
  }
  const bad = error instanceof BadParameter;
  if (!bad)
    log('warn', 'serve-provider-error', {
      path: c.req.path,
      code: error.code,
      provider: error.provider,
      resource: error.resource,
    });
  return c.json(
    {
      error: error.message,
      code: error.code,
      ...(bad ? { field: error.field } : {}),
      ...(!bad && error.provider ? { provider: error.provider } : {}),
      ...(!bad && error.resource ? { resource: error.resource } : {}),
      ...(!bad && error.operation ? { operation: error.operation } : {}),
    },
    bad ? 400 : (STATUS[error.code] ?? 500),
  );
}
