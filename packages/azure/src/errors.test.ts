import { describe, expect, it } from 'vitest';
import { classify } from './errors.ts';

const code = (error: unknown) => classify(error).code;

describe("classify (the drivers' errorCode)", () => {
  it('uses the service error code first and the status code when there is none (HEAD 404)', () => {
    expect(code({ statusCode: 404 })).toBe('NotFound');
    expect(code({ statusCode: 409, code: 'BlobAlreadyExists' })).toBe('AlreadyExists');
    expect(code({ statusCode: 412, code: 'ConditionNotMet' })).toBe('PreconditionFailed');
    expect(code({ statusCode: 400, details: { errorCode: 'ConditionNotMet' } })).toBe('PreconditionFailed');
    expect(code({ statusCode: 403, code: 'AuthorizationPermissionMismatch' })).toBe('PermissionDenied');
    expect(code({ statusCode: 409, code: 'Conflict' })).toBe('AlreadyExists');
  });

  it('classifies throttling and outages as the codes the portable layer retries', () => {
    for (const error of [{ statusCode: 429 }, { statusCode: 503, code: 'ServerBusy' }, { statusCode: 503 }]) {
      expect(['Throttled', 'Unavailable']).toContain(code(error));
    }
    expect(code({ statusCode: 404 })).toBe('NotFound');
  });

  it('maps SQL error numbers; the documented transient ones are retryable Unavailable', () => {
    for (const number of [40613, 40501, 49918, 10928, 4060, 1205]) {
      expect(classify({ name: 'RequestError', number })).toEqual({ code: 'Unavailable', retryable: true });
    }
    expect(code({ name: 'RequestError', number: 208 })).toBe('NotFound');
    expect(code({ name: 'RequestError', number: 2714 })).toBe('AlreadyExists');
    expect(code({ name: 'RequestError', number: 102 })).toBe('InvalidArgument');
    expect(code({ name: 'ConnectionError', code: 'ESOCKET' })).toBe('Unavailable');
    expect(code({ name: 'ConnectionError', code: 'ELOGIN' })).toBe('Unauthenticated');
    expect(code({ name: 'RequestError', originalError: { number: 40197 } })).toBe('Unavailable');
  });
});
