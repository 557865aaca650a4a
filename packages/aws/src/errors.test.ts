import { NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import {
  ListSecretsCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { QueueDoesNotExist } from '@aws-sdk/client-sqs';
import { DriverError } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import { codeOf, withCredentialsHint } from './errors.ts';

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

  it('classifies throttling and outages as the codes the portable layer retries', () => {
    expect(codeOf(s3Error('SlowDown', 503, 'server'))).toBe('Throttled');
    const throttled = Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' });
    expect(codeOf(throttled)).toBe('Throttled');
    expect(codeOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      'Unavailable',
    );
    expect(codeOf(s3Error('AccessDenied', 403))).toBe('PermissionDenied');
  });

  it('a missing credential chain names the service and the fix, not only the SDK class', async () => {
    // A real client whose credential chain fails: the SDK throws while signing, before any request.
    const client = withCredentialsHint(
      new SecretsManagerClient({
        region: 'eu-west-1',
        credentials: async () => {
          throw Object.assign(new Error('Could not load credentials from any providers'), {
            name: 'CredentialsProviderError',
          });
        },
      }),
      'secretStore',
    );
    const error = await client.send(new ListSecretsCommand({})).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(DriverError.isInstance(error)).toBe(true);
    const driverError = error as DriverError;
    expect(driverError.code).toBe('Unauthenticated');
    expect((driverError.cause as Error).name).toBe('CredentialsProviderError');
    // The detail is the feature: which service refused and what to do.
    expect(driverError.detail).toMatch(/^Secrets Manager: no AWS credentials found/);
    expect(driverError.detail).toContain('AWS_PROFILE');
    client.destroy();
  });
});
