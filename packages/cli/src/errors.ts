import { CloudmuxError, ConfigError } from '@cloudmux/core';
import type { Logger } from 'pino';

/** Exit codes of every cloudmux command. */
export const EXIT = {
  ok: 0,
  /** The command ran and found problems, or failed. */
  problems: 1,
  /** The command line itself is wrong (unknown command or option, bad value). */
  usage: 2,
} as const;

/**
 * One line per failure: the code and the message, never a stack or an SDK class dump. A ConfigError
 * lists each of its issues (field, problem, fix) on its own line.
 */
export function reportFailure(logger: Logger, error: unknown): void {
  if (error instanceof ConfigError || (CloudmuxError.isInstance(error) && 'issues' in error)) {
    for (const issue of (error as ConfigError).issues) {
      logger.error(
        { code: 'InvalidArgument', field: issue.field, fix: issue.fix },
        `${issue.field}: ${issue.problem}. Fix: ${issue.fix}`,
      );
    }
    return;
  }
  if (CloudmuxError.isInstance(error)) {
    logger.error(
      { code: error.code, ...(error.provider ? { provider: error.provider } : {}) },
      `${error.code}: ${error.message}`,
    );
    return;
  }
  logger.error({ code: 'Internal' }, (error as Error)?.message ?? String(error));
}
