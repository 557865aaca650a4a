import { describe, expect, it } from 'vitest';
import {
  CloudmuxError,
  ConfigError,
  ERROR_CODES,
  type ErrorCode,
  requireCapability,
  UnsupportedError,
} from './errors.ts';

describe('CloudmuxError', () => {
  it('isInstance recognises errors from a duplicate copy of the package (Symbol.for marker)', async () => {
    // A query string makes vite load a second, independent instance of the module: a duplicate copy.
    const specifier = './errors.ts?duplicate-copy';
    const copy = (await import(specifier)) as typeof import('./errors.ts');
    expect(copy.CloudmuxError).not.toBe(CloudmuxError);
    const foreign = new copy.CloudmuxError({ code: 'NotFound', message: 'missing' });
    expect(foreign instanceof CloudmuxError).toBe(false);
    expect(CloudmuxError.isInstance(foreign)).toBe(true);
    expect(CloudmuxError.hasCode(foreign, 'NotFound')).toBe(true);
    expect(
      copy.CloudmuxError.isInstance(
        new UnsupportedError({
          provider: 'p',
          resource: 'queue',
          operation: 'nack',
          capability: 'delayedNack',
        }),
      ),
    ).toBe(true);
  });

  it('isInstance rejects look-alikes', () => {
    expect(CloudmuxError.isInstance(new Error('plain'))).toBe(false);
    expect(CloudmuxError.isInstance({ code: 'NotFound', message: 'x' })).toBe(false);
    expect(CloudmuxError.isInstance(null)).toBe(false);
    expect(CloudmuxError.isInstance('NotFound')).toBe(false);
  });

  it('is retryable by default exactly for Throttled, Unavailable and Timeout', () => {
    const retryable = new Set<ErrorCode>(['Throttled', 'Unavailable', 'Timeout']);
    for (const code of ERROR_CODES) {
      expect(new CloudmuxError({ code, message: code }).retryable, code).toBe(retryable.has(code));
    }
    expect(new CloudmuxError({ code: 'Internal', message: 'x', retryable: true }).retryable).toBe(true);
    expect(new CloudmuxError({ code: 'Throttled', message: 'x', retryable: false }).retryable).toBe(false);
  });

  it('keeps its context and cause; toJSON leaves the cause out', () => {
    const cause = new Error('sdk said no');
    const error = new CloudmuxError({
      code: 'PermissionDenied',
      message: 'denied',
      provider: 'aws',
      resource: 'objectStore',
      operation: 'get',
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('CloudmuxError');
    expect(error.toJSON()).toEqual({
      name: 'CloudmuxError',
      code: 'PermissionDenied',
      message: 'denied',
      provider: 'aws',
      resource: 'objectStore',
      operation: 'get',
      retryable: false,
    });
  });

  it('UnsupportedError has code Unsupported, names the capability and is never retryable', () => {
    const error = new UnsupportedError({
      provider: 'azure',
      resource: 'secretStore',
      operation: 'put',
      capability: 'binaryValues',
      reason: 'Key Vault stores text',
    });
    expect(error.code).toBe('Unsupported');
    expect(error.capability).toBe('binaryValues');
    expect(error.retryable).toBe(false);
    expect(error.name).toBe('UnsupportedError');
    expect(CloudmuxError.isInstance(error)).toBe(true);
  });

  it('requireCapability throws UnsupportedError only when unsupported', () => {
    const context = {
      provider: 'p',
      resource: 'objectStore' as const,
      operation: 'presign',
      capability: 'presignPut',
    };
    expect(() => requireCapability(true, context)).not.toThrow();
    expect(() => requireCapability(false, context)).toThrow(UnsupportedError);
    expect(() => requireCapability(undefined, context)).toThrow(UnsupportedError);
  });
});

describe('ConfigError', () => {
  it('names the field and the fix, and is a non-retryable InvalidArgument', () => {
    const error = new ConfigError({
      field: 'providers.aws.region',
      problem: 'required',
      fix: "set 'providers.aws.region'",
    });
    expect(error.field).toBe('providers.aws.region');
    expect(error.fix).toBe("set 'providers.aws.region'");
    expect(error.code).toBe('InvalidArgument');
    // A config is not one of the four resources: the field names where the problem is.
    expect(error.resource).toBeUndefined();
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('providers.aws.region');
    expect(error.message).toContain(error.fix);
    expect(CloudmuxError.isInstance(error)).toBe(true);
  });
});
