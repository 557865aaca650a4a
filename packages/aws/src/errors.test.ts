import { NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { ResourceNotFoundException } from '@aws-sdk/client-secrets-manager';
import { QueueDoesNotExist } from '@aws-sdk/client-sqs';
import { CloudmuxError } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import { codeOf, translateAwsError } from './errors.ts';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

/** An SDK exception for an error code the client has no modelled class for. */
function s3Error(name: string, status: number, fault: 'client' | 'server' = 'client') {
  return new S3ServiceException({ name, $fault: fault, message: name, ...meta(status) });
}

describe('AWS SDK error translation', () => {
  it('maps modelled exceptions by name', () => {
    expect(codeOf(new NoSuchKey({ message: 'gone', ...meta(404) }))).toBe('NotFound');
    expect(codeOf(new QueueDoesNotExist({ message: 'no queue', ...meta(400) }))).toBe('NotFound');
    expect(codeOf(new ResourceNotFoundException({ message: 'no secret', ...meta(400) }))).toBe('NotFound');
  });

  it('maps S3 error codes and bare HTTP statuses', () => {
    expect(codeOf(s3Error('NotFound', 404))).toBe('NotFound');
    expect(codeOf(s3Error('PreconditionFailed', 412))).toBe('PreconditionFailed');
    expect(codeOf(s3Error('AccessDenied', 403))).toBe('PermissionDenied');
    expect(codeOf(s3Error('InvalidAccessKeyId', 403))).toBe('Unauthenticated');
    expect(codeOf(s3Error('SlowDown', 503, 'server'))).toBe('Throttled');
    expect(codeOf(s3Error('ServiceUnavailable', 503, 'server'))).toBe('Unavailable');
    expect(codeOf(s3Error('Unknown', 412))).toBe('PreconditionFailed');
    expect(codeOf(s3Error('Unknown', 502, 'server'))).toBe('Unavailable');
    expect(codeOf(s3Error('Unknown', 418))).toBe('InvalidArgument');
  });

  it('treats throttling and outages as retryable and keeps the cause', () => {
    const slow = translateAwsError(s3Error('SlowDown', 503, 'server'), {
      resource: 'objectStore',
      operation: 'put',
    });
    expect(slow.code).toBe('Throttled');
    expect(slow.retryable).toBe(true);
    expect(slow.provider).toBe('aws');
    expect(slow.cause).toBeInstanceOf(S3ServiceException);
    const throttled = new Error('rate exceeded');
    throttled.name = 'ThrottlingException';
    expect(translateAwsError(throttled, { resource: 'queue', operation: 'send' }).retryable).toBe(true);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const unreachable = translateAwsError(refused, { resource: 'queue', operation: 'send' });
    expect([unreachable.code, unreachable.retryable]).toEqual(['Unavailable', true]);
    const denied = translateAwsError(s3Error('AccessDenied', 403), {
      resource: 'objectStore',
      operation: 'get',
    });
    expect(denied.retryable).toBe(false);
  });

  it('a missing credential chain names the service and the fix, not only the SDK class', () => {
    const sdk = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
    });
    const error = translateAwsError(sdk, { resource: 'secretStore', operation: 'list' });
    expect(error.code).toBe('Unauthenticated');
    expect(error.cause).toBe(sdk);
    // The message is the feature: which service refused and what to do.
    expect(error.message).toMatch(/^Secrets Manager list failed: no AWS credentials found/);
    expect(error.message).toContain('AWS_PROFILE');
  });

  it('passes a CloudmuxError through unchanged', () => {
    const original = new CloudmuxError({ code: 'InvalidArgument', message: 'bad' });
    expect(translateAwsError(original, { resource: 'queue', operation: 'send' })).toBe(original);
  });
});
