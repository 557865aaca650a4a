import { CloudmuxError } from './errors.ts';

export interface RetryPolicy {
  /** Total attempts including the first. Default 4. */
  maxAttempts: number;
  /** First backoff ceiling in ms. Default 100. */
  baseDelayMs: number;
  /** Backoff ceiling in ms. Default 5000. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 5_000 };

/** Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and Jitter"). */
export function backoffDelay(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Retries `fn` while it throws a retryable CloudmuxError, up to `policy.maxAttempts`.
 * Callers must only use it for idempotent work.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= policy.maxAttempts || !CloudmuxError.isInstance(error) || !error.retryable) throw error;
      await sleep(backoffDelay(policy, attempt));
    }
  }
}

/** Rejects with a Timeout CloudmuxError when `promise` takes longer than `ms`. The work itself is not cancelled. */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  context: { provider: string; resource: CloudmuxError['resource']; operation: string },
): Promise<T> {
  if (!Number.isFinite(ms) || ms <= 0) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new CloudmuxError({
            code: 'Timeout',
            message: `${context.operation} did not finish within ${ms} ms`,
            ...context,
          }),
        ),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
