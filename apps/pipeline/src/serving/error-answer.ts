import { CloudmuxError, type ErrorCode } from '@cloudmux/core';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { log } from '../log.ts';

/** A request the endpoint cannot answer: names the parameter and what it must be. */
export class BadQuery extends CloudmuxError {
  readonly field: string;
  constructor(field: string, message: string) {
    super({ code: 'InvalidArgument', message, resource: 'pipeline', operation: 'serve' });
    this.field = field;
  }
}

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  InvalidArgument: 400,
  NotFound: 404,
  PermissionDenied: 502,
  Unauthenticated: 502,
  Throttled: 503,
  Unavailable: 503,
  Timeout: 504,
};

/**
 * The API's answer to a failure: its code, and for a provider's failure which provider and resource,
 * so a client (the dashboard) can say what happened — "Unavailable from the aws objectStore" — instead
 * of a bare 500. A provider refusing our credentials is a 502: the fault is upstream, not the caller's.
 */
export function answerError(error: Error, c: Context): Response {
  if (!CloudmuxError.isInstance(error)) {
    log('error', 'serve-failed', { path: c.req.path, message: error.message });
    return c.json({ error: { code: 'Internal', message: error.message } }, 500);
  }
  if (!(error instanceof BadQuery))
    log('warn', 'serve-provider-error', {
      path: c.req.path,
      code: error.code,
      provider: error.provider,
      resource: error.resource,
    });
  return c.json(
    {
      error: {
        code: error.code,
        message: error.message,
        ...(error instanceof BadQuery ? { field: error.field } : {}),
        ...(error.provider ? { provider: error.provider } : {}),
        ...(error.resource ? { resource: error.resource } : {}),
        ...(error.operation ? { operation: error.operation } : {}),
      },
    },
    STATUS[error.code] ?? 500,
  );
}
