import { describe, expect, it } from 'vitest';
import { CloudmuxError } from './errors.ts';
import { backoffDelay, retry, withTimeout } from './retry.ts';

const policy = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 4 };

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt up to maxDelayMs, with full jitter below it', () => {
    const p = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 5_000 };
    const top = () => 0.9999;
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(p, a, top))).toEqual([
      99, 199, 399, 799, 1599, 3199, 4999,
    ]);
    expect(backoffDelay(p, 3, () => 0)).toBe(0);
    for (let i = 0; i < 100; i++) expect(backoffDelay(p, 4)).toBeLessThan(800);
  });
});

describe('retry', () => {
  it('retries retryable CloudmuxErrors until success', async () => {
    let calls = 0;
    const result = await retry(async (attempt) => {
      calls++;
      if (attempt < 3) throw new CloudmuxError({ code: 'Throttled', message: 'slow down' });
      return 'done';
    }, policy);
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('stops at maxAttempts and rethrows the last error', async () => {
    let calls = 0;
    const error = await retry(async () => {
      calls++;
      throw new CloudmuxError({ code: 'Unavailable', message: `attempt ${calls}` });
    }, policy).catch((e: unknown) => e as CloudmuxError);
    expect(calls).toBe(4);
    expect(error.message).toBe('attempt 4');
  });

  it('does not retry non-retryable or foreign errors', async () => {
    for (const thrown of [new CloudmuxError({ code: 'NotFound', message: 'x' }), new Error('raw')]) {
      let calls = 0;
      await retry(async () => {
        calls++;
        throw thrown;
      }, policy).catch(() => {});
      expect(calls).toBe(1);
    }
  });
});

describe('withTimeout', () => {
  const context = { provider: 'p', resource: 'queue' as const, operation: 'receive' };

  it('rejects with a retryable Timeout carrying the context', async () => {
    const error = await withTimeout(new Promise(() => {}), 10, context).catch(
      (e: unknown) => e as CloudmuxError,
    );
    expect(CloudmuxError.hasCode(error, 'Timeout')).toBe(true);
    expect(error).toMatchObject({ provider: 'p', resource: 'queue', operation: 'receive', retryable: true });
  });

  it('passes results and errors through, and a non-positive limit means none', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, context)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('boom')), 1_000, context)).rejects.toThrow('boom');
    const slow = new Promise((resolve) => setTimeout(() => resolve('late'), 30));
    await expect(withTimeout(slow, 0, context)).resolves.toBe('late');
  });
});
