/**
 * How a driver reports a failure, and how the portable type turns it into the CloudmuxError a
 * caller sees (Go CDK: a driver's `ErrorCode(err)` plus `gcerrors`; the portable type writes the
 * message). A driver throws one of three things:
 *
 * - the native SDK error, unchanged: the portable type asks the driver's `errorCode(error)`;
 * - a `DriverError`: a code the driver decided itself (a stale receipt, a missing queue URL), with
 *   the native error as `cause` when there is one and an optional detail for the message;
 * - a `CloudmuxError`: passed through as is (drivers that still build their own messages).
 *
 * Whatever the route, `CloudmuxError.cause` is the native error, so `as`-style inspection works.
 */
import { CloudmuxError, type ErrorCode } from '../errors.ts';
import type { ResourceName } from '../providers/types.ts';

const DRIVER_ERROR = Symbol.for('cloudmux.driver-error');

export class DriverError extends Error {
  readonly [DRIVER_ERROR] = true;
  readonly code: ErrorCode;
  /** Words for the message, naming no payload (never a body or a secret value). */
  readonly detail: string | undefined;
  readonly retryable: boolean | undefined;

  constructor(code: ErrorCode, options: { detail?: string; cause?: unknown; retryable?: boolean } = {}) {
    super(options.detail ?? code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DriverError';
    this.code = code;
    this.detail = options.detail;
    this.retryable = options.retryable;
  }

  static isInstance(error: unknown): error is DriverError {
    return (
      typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[DRIVER_ERROR] === true
    );
  }
}

/** Where a failure happened: what the message names. */
export interface FailureContext {
  provider: string;
  resource: ResourceName;
  operation: string;
  /** The queue, key or secret name the call was about; never a value. */
  subject?: string | undefined;
}

/** First line of a native error's message, bounded: SDK messages carry request ids and XML. */
function nativeSummary(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error).slice(0, 200);
  const { name, code, message } = error as { name?: unknown; code?: unknown; message?: unknown };
  const label =
    typeof code === 'string' && code !== name ? `${String(name)} ${code}` : String(name ?? 'Error');
  const first = typeof message === 'string' ? (message.split('\n')[0] ?? '').slice(0, 300) : '';
  return first && first !== label ? `${label}: ${first}` : label;
}

function where(context: FailureContext): string {
  return `${context.provider} ${context.resource} ${context.operation}${context.subject === undefined ? '' : ` '${context.subject}'`}`;
}

/**
 * The one place a queue, store, warehouse or secret store failure gets its message. CloudmuxErrors
 * pass through; DriverErrors keep their code; anything else is classified by the driver.
 */
export function portableError(
  raw: unknown,
  context: FailureContext,
  errorCode: (error: unknown) => ErrorCode,
): CloudmuxError {
  if (CloudmuxError.isInstance(raw)) return raw;
  if (DriverError.isInstance(raw)) {
    return new CloudmuxError({
      code: raw.code,
      message: `${where(context)} failed: ${raw.code}${raw.detail ? ` (${raw.detail})` : ''}`,
      provider: context.provider,
      resource: context.resource,
      operation: context.operation,
      ...(raw.retryable === undefined ? {} : { retryable: raw.retryable }),
      cause: raw.cause,
    });
  }
  let code: ErrorCode;
  try {
    code = errorCode(raw);
  } catch {
    code = 'Internal';
  }
  return new CloudmuxError({
    code,
    message: `${where(context)} failed: ${code} (${nativeSummary(raw)})`,
    provider: context.provider,
    resource: context.resource,
    operation: context.operation,
    cause: raw,
  });
}

/** InvalidArgument for a bad argument, named by the portable type before any driver runs. */
export function invalidArgument(context: FailureContext, problem: string): CloudmuxError {
  return new CloudmuxError({
    code: 'InvalidArgument',
    message: `${where(context)}: ${problem}`,
    provider: context.provider,
    resource: context.resource,
    operation: context.operation,
    retryable: false,
  });
}

/** The Cancelled error for a call its caller aborted; the abort reason is the cause. */
export function cancelledError(context: FailureContext, reason: unknown): CloudmuxError {
  return new CloudmuxError({
    code: 'Cancelled',
    message: `${where(context)} was cancelled by its AbortSignal`,
    provider: context.provider,
    resource: context.resource,
    operation: context.operation,
    retryable: false,
    cause: reason,
  });
}
