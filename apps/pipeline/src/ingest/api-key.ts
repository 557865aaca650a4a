import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { CloudmuxError, type SecretStore } from '@cloudmux/core';
import { LAYOUT } from '../layout.ts';
import { log, registerSecret } from '../log.ts';

/** Reads the ingest API key, creating a random one on first use. The value is never logged. */
export async function ensureApiKey(secrets: SecretStore): Promise<string> {
  try {
    const value = (await secrets.get(LAYOUT.apiKeySecret)).reveal();
    registerSecret(value);
    return value;
  } catch (error) {
    if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
  }
  const value = randomBytes(24).toString('base64url');
  registerSecret(value);
  const { version } = await secrets.put(LAYOUT.apiKeySecret, value);
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
