import { CloudmuxError } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import { translateError } from './errors.ts';

const ctx = { resource: 'objectStore', operation: 'test' } as const;
const code = (error: unknown) => translateError(error, ctx).code;

describe('translateError', () => {
  it('uses the service error code first and the status code when there is none (HEAD 404)', () => {
    expect(code({ statusCode: 404 })).toBe('NotFound');
    expect(code({ statusCode: 409, code: 'BlobAlreadyExists' })).toBe('AlreadyExists');
    expect(code({ statusCode: 412, code: 'ConditionNotMet' })).toBe('PreconditionFailed');
    expect(code({ statusCode: 400, details: { errorCode: 'ConditionNotMet' } })).toBe('PreconditionFailed');
    expect(code({ statusCode: 403, code: 'AuthorizationPermissionMismatch' })).toBe('PermissionDenied');
    expect(code({ statusCode: 409, code: 'Conflict' })).toBe('AlreadyExists');
  });

  it('marks throttling and outages retryable', () => {
    for (const error of [{ statusCode: 429 }, { statusCode: 503, code: 'ServerBusy' }, { statusCode: 503 }]) {
      const translated = translateError(error, ctx);
      expect(['Throttled', 'Unavailable']).toContain(translated.code);
      expect(translated.retryable).toBe(true);
    }
    expect(translateError({ statusCode: 404 }, ctx).retryable).toBe(false);
  });

  it('maps SQL error numbers; the documented transient ones are retryable Unavailable', () => {
    for (const number of [40613, 40501, 49918, 10928, 4060, 1205]) {
      const translated = translateError({ name: 'RequestError', number }, ctx);
      expect(translated.code).toBe('Unavailable');
      expect(translated.retryable).toBe(true);
    }
    expect(code({ name: 'RequestError', number: 208 })).toBe('NotFound');
    expect(code({ name: 'RequestError', number: 2714 })).toBe('AlreadyExists');
    expect(code({ name: 'RequestError', number: 102 })).toBe('InvalidArgument');
    expect(code({ name: 'ConnectionError', code: 'ESOCKET' })).toBe('Unavailable');
    expect(code({ name: 'ConnectionError', code: 'ELOGIN' })).toBe('Unauthenticated');
    expect(code({ name: 'RequestError', originalError: { number: 40197 } })).toBe('Unavailable');
  });

  it('passes CloudmuxErrors through and keeps the cause', () => {
    const original = new CloudmuxError({ code: 'Timeout', message: 't' });
    expect(translateError(original, ctx)).toBe(original);
    const raw = { statusCode: 500 };
    expect(translateError(raw, ctx).cause).toBe(raw);
  });
});
