/**
 * One operation of one portable resource (`queue.send` on aws, …), resolved once when the resource
 * is built: the portable type calls `run` inline for every call, with the call's idempotency said
 * explicitly by the method that knows it. A Meter supplies metered runners (latency, bytes, units,
 * retries, timeouts); without one, `plainOperation` only translates errors and honours the signal.
 */
import type { CloudmuxError, ErrorCode } from '../errors.ts';
import type { ResourceName } from '../providers/types.ts';
import { reportUsage, type UsageReport } from '../usage.ts';
import { cancelledError, portableError } from './errors.ts';

/** What a driver method receives with every call. */
export interface DriverCall {
  /** The caller's signal: hand it to the SDK where it takes one. */
  readonly signal?: AbortSignal | undefined;
}

/** The DriverCall every runner hands its call: it also takes the call's usage. */
export interface ReportingCall extends DriverCall {
  /** Adds bytes and billable units to this call's meter record; does nothing when unmetered. */
  report(usage: UsageReport): void;
}

export interface OperationSpec {
  provider: string;
  resource: ResourceName;
  operation: string;
  /** The driver's classification of a native error it threw. */
  errorCode: (error: unknown) => ErrorCode;
  /**
   * The driver reports usage only through `ReportingCall.report`, so the metered runner skips the
   * AsyncLocalStorage context that `reportUsage` needs (about 0.4 µs a call). Default false: drivers
   * and adapters that call `reportUsage` are metered too.
   */
  explicitUsage?: boolean;
}

/** How one call runs: what only the method making it knows. */
export interface RunOptions<R> {
  /** May the call be repeated after a retryable failure without doubling its effect? */
  idempotent: boolean;
  /** The queue, key or secret name the call is about, for error messages. */
  subject?: string | undefined;
  /** Aborts the call with `Cancelled`. */
  signal?: AbortSignal | undefined;
  /** Messages or objects a successful call handled (default 1), or how to count them in its result. */
  items?: number | ((result: NoInfer<R>) => number) | undefined;
}

export interface OperationRunner {
  /** Runs `call` once (or again, for a retryable failure of an idempotent call when metered). */
  run<R>(call: (driverCall: ReportingCall) => Promise<R>, how: RunOptions<R>): Promise<R>;
  /** The positional form of the first framework commit: `(call, idempotent, subject, signal)`. */
  run<R>(
    call: (driverCall: ReportingCall) => Promise<R>,
    idempotent: boolean,
    subject?: string | undefined,
    signal?: AbortSignal | undefined,
  ): Promise<R>;
}

/** Both forms of `run`'s arguments as one RunOptions. */
export function runOptions<R>(
  how: RunOptions<R> | boolean,
  subject: string | undefined,
  signal: AbortSignal | undefined,
): RunOptions<R> {
  return typeof how === 'boolean' ? { idempotent: how, subject, signal } : how;
}

export function itemCount<R>(items: RunOptions<R>['items'], result: R): number {
  return items === undefined ? 1 : typeof items === 'number' ? items : items(result);
}

/** What builds runners: a Meter, or `PLAIN_OPERATIONS` for an unmetered resource. */
export interface OperationSource {
  operation(spec: OperationSpec): OperationRunner;
}

/** The CloudmuxError for whatever a call threw; an aborted call is Cancelled whatever the driver threw. */
export function failureOf(
  raw: unknown,
  spec: OperationSpec,
  subject: string | undefined,
  signal: AbortSignal | undefined,
): CloudmuxError {
  const context = { provider: spec.provider, resource: spec.resource, operation: spec.operation, subject };
  if (signal?.aborted) return cancelledError(context, signal.reason);
  return portableError(raw, context, spec.errorCode);
}

/**
 * Settles with `pending`, or rejects as soon as `signal` aborts (the driver may not be able to stop
 * its request; its late result is dropped, which the caller arranges to be harmless).
 */
export function raceAbort<R>(pending: Promise<R>, signal: AbortSignal): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    pending.then(
      (result) => {
        signal.removeEventListener('abort', abort);
        resolve(result);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(error);
      },
    );
  });
}

/** Starts a call; a synchronous throw becomes a rejection so every failure takes one path. */
export function start<R>(
  call: (driverCall: ReportingCall) => Promise<R>,
  driverCall: ReportingCall,
): Promise<R> {
  try {
    return call(driverCall);
  } catch (error) {
    return Promise.reject(error);
  }
}

// An unmetered call's usage goes to the metered call it runs inside, if any (an unmetered lake
// store read by a metered warehouse load counts there), through the ambient `reportUsage`.
const UNMETERED: ReportingCall = { report: reportUsage };

export function plainOperation(spec: OperationSpec): OperationRunner {
  return {
    run<R>(
      call: (driverCall: ReportingCall) => Promise<R>,
      how: RunOptions<R> | boolean,
      positionalSubject?: string,
      positionalSignal?: AbortSignal,
    ) {
      const { subject, signal } = runOptions(how, positionalSubject, positionalSignal);
      if (signal?.aborted) return Promise.reject(failureOf(undefined, spec, subject, signal));
      const pending = signal
        ? raceAbort(start(call, { signal, report: reportUsage }), signal)
        : start(call, UNMETERED);
      return pending.catch((raw: unknown) => {
        throw failureOf(raw, spec, subject, signal);
      });
    },
  };
}

export const PLAIN_OPERATIONS: OperationSource = { operation: plainOperation };
