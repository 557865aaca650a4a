/**
 * Riding out a short outage: retryable failures are retried with exponential backoff and full
 * jitter for up to a time budget, not a count. The meter's own retries (a few attempts within about
 * a second) cover a dropped request; this covers a service that is gone for a few seconds. One
 * helper for every caller in the pipeline: the speed consumers, the batch DAG's steps, the run's
 * reset and its startup calls.
 */
import { backoffDelay, CloudmuxError, sleep } from '@cloudmux/core';

export interface RetryBudget {
  /** How long failures in a row are retried before the last one is surfaced, in ms. */
  budgetMs: number;
  /** First backoff ceiling in ms; it doubles with each failure in a row. */
  baseDelayMs: number;
  /** Backoff ceiling in ms. */
  maxDelayMs: number;
}

/** Default of PIPELINE_RETRY_SECONDS: several times the few-second outages the chaos runs inject. */
export const DEFAULT_RETRY_SECONDS = 30;

/**
 * For work a client is waiting on (POST /events): a blip of a second or two is ridden out; a longer
 * outage is answered with 503 + Retry-After, and the client sends again.
 */
export const REQUEST_RETRY_BUDGET: RetryBudget = { budgetMs: 2_000, baseDelayMs: 50, maxDelayMs: 500 };

/** PIPELINE_RETRY_SECONDS (0 to 3600; 0 turns the budget off), else the default; a bad value names the variable. */
export function retryBudgetSetting(env: NodeJS.ProcessEnv = process.env): RetryBudget {
  const text = env.PIPELINE_RETRY_SECONDS;
  const seconds = text === undefined || text === '' ? DEFAULT_RETRY_SECONDS : Number(text);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 3_600)
    throw new CloudmuxError({
      code: 'InvalidArgument',
      operation: 'retryBudget',
      message: `PIPELINE_RETRY_SECONDS=${JSON.stringify(text)} must be a number of seconds from 0 to 3600`,
    });
  return { budgetMs: seconds * 1_000, baseDelayMs: 200, maxDelayMs: 5_000 };
}

export const isRetryable = (error: unknown): boolean => CloudmuxError.isInstance(error) && error.retryable;

/**
 * Failures in a row of one caller. `delayFor(error)` gives the wait before trying again, or
 * undefined when the error is not retryable or the budget since the first failure of the streak is
 * spent; `next(error)` is the same but throws the error then. `succeeded()` ends the streak.
 */
export function failureStreak(budget: RetryBudget) {
  let since: number | undefined;
  let failures = 0;
  const delayFor = (error: unknown): number | undefined => {
    if (!isRetryable(error)) return undefined;
    const now = performance.now();
    since ??= now;
    failures++;
    const left = budget.budgetMs - (now - since);
    if (left <= 0) return undefined;
    return Math.min(left, backoffDelay({ ...budget, maxAttempts: Number.POSITIVE_INFINITY }, failures));
  };
  return {
    delayFor,
    next(error: unknown): number {
      const delayMs = delayFor(error);
      if (delayMs === undefined) throw error;
      return delayMs;
    },
    succeeded() {
      since = undefined;
      failures = 0;
    },
    get failures() {
      return failures;
    },
  };
}

/** Runs `fn` until it succeeds, retrying retryable failures within the budget. Only for idempotent work. */
export async function withinRetryBudget<T>(
  fn: () => Promise<T>,
  budget: RetryBudget = retryBudgetSetting(),
): Promise<T> {
  const streak = failureStreak(budget);
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      await sleep(streak.next(error));
    }
  }
}
