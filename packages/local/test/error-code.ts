import { CloudmuxError } from '@cloudmux/core';
import { expect } from 'vitest';

/** The CloudmuxError code a call rejects with, or undefined when it succeeds (tests assert codes, never messages). */
export async function code(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    expect(CloudmuxError.isInstance(error)).toBe(true);
    return (error as CloudmuxError).code;
  }
}
