import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CloudmuxError, type SecretStore } from '@cloudmux/core';
import { LAYOUT } from '../layout.ts';
import { log, registerSecret } from '../log.ts';
import { type RetryBudget, retryBudgetSetting, withinRetryBudget } from '../retry-budget.ts';

/**
 * Reads the ingest API key, creating a random one on first use. The value is never logged. A secret
 * store that is unreachable for a few seconds is waited for (within the retry budget): the run
 * cannot start without the key.
 */
export async function ensureApiKey(
  secrets: SecretStore,
  budget: RetryBudget = retryBudgetSetting(),
): Promise<string> {
  try {
    const value = (await withinRetryBudget(() => secrets.get(LAYOUT.apiKeySecret), budget)).reveal();
    registerSecret(value);
    return value;
  } catch (error) {
    if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
  }
  const value = randomBytes(24).toString('base64url');
  registerSecret(value);
  // Sent again after a lost reply, the same value is stored as one more version: harmless.
  const { version } = await withinRetryBudget(() => secrets.put(LAYOUT.apiKeySecret, value), budget);
  log('info', 'api-key-seeded', { secret: LAYOUT.apiKeySecret, version });
  return value;
}

/** Constant-time comparison (of digests, so lengths do not leak either). */
export function apiKeyMatches(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
