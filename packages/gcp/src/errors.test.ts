import { describe, expect, it } from 'vitest';
import { errorCodeOf } from './errors.ts';

/** The shapes the Google clients throw, as they arrive (fields only, no client needed). */
const http = (code: number, reason?: string) =>
  Object.assign(new Error('http'), { code, errors: reason ? [{ reason, message: 'x' }] : [] });
const grpc = (code: number) => Object.assign(new Error('grpc'), { code, details: 'x', metadata: {} });

describe('gcp error translation', () => {
  it('maps HTTP statuses of the JSON APIs', () => {
    expect(errorCodeOf(http(404))).toBe('NotFound');
    expect(errorCodeOf(http(403))).toBe('PermissionDenied');
    expect(errorCodeOf(http(401))).toBe('Unauthenticated');
    expect(errorCodeOf(http(409))).toBe('AlreadyExists');
    expect(errorCodeOf(http(412))).toBe('PreconditionFailed');
    expect(errorCodeOf(http(429))).toBe('Throttled');
    expect(errorCodeOf(http(503))).toBe('Unavailable');
    expect(errorCodeOf(http(416))).toBe('InvalidArgument');
    expect(errorCodeOf(http(500))).toBe('Internal');
  });

  it('prefers the BigQuery reason over the status', () => {
    expect(errorCodeOf(http(400, 'invalidQuery'))).toBe('InvalidArgument');
    expect(errorCodeOf(http(404, 'notFound'))).toBe('NotFound');
    expect(errorCodeOf(http(403, 'quotaExceeded'))).toBe('Throttled');
    expect(errorCodeOf(http(403, 'rateLimitExceeded'))).toBe('Throttled');
    expect(errorCodeOf(http(409, 'duplicate'))).toBe('AlreadyExists');
    expect(errorCodeOf({ reason: 'backendError', message: 'job failed' })).toBe('Unavailable');
  });

  it('maps gRPC status codes', () => {
    expect(errorCodeOf(grpc(5))).toBe('NotFound');
    expect(errorCodeOf(grpc(6))).toBe('AlreadyExists');
    expect(errorCodeOf(grpc(9))).toBe('PreconditionFailed');
    expect(errorCodeOf(grpc(8))).toBe('Throttled');
    expect(errorCodeOf(grpc(14))).toBe('Unavailable');
    expect(errorCodeOf(grpc(4))).toBe('Timeout');
    expect(errorCodeOf(grpc(3))).toBe('InvalidArgument');
    expect(errorCodeOf(grpc(7))).toBe('PermissionDenied');
    expect(errorCodeOf(grpc(16))).toBe('Unauthenticated');
    expect(errorCodeOf(grpc(12))).toBe('Unsupported');
  });

  it('maps network failures and the transient codes to what the portable layer retries', () => {
    expect(errorCodeOf(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('Unavailable');
    expect(errorCodeOf(grpc(8))).toBe('Throttled');
    expect(errorCodeOf(http(404))).toBe('NotFound');
    expect(errorCodeOf(Object.assign(new Error('t'), { code: 'ETIMEDOUT' }))).toBe('Timeout');
  });
});
