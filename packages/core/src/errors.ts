/**
 * One error model for every provider. Adapters translate SDK errors at the boundary, so callers
 * branch on `code`, never on a provider's message text or error class.
 */
import type { ResourceName } from './providers/types.ts';

export const ERROR_CODES = [
  'NotFound',
  'AlreadyExists',
  'PreconditionFailed',
  'InvalidArgument',
  'PermissionDenied',
  'Unauthenticated',
  'Throttled',
  'Unavailable',
  'Timeout',
  'Unsupported',
  /** The caller aborted the call through its AbortSignal (the web platform's AbortError). */
  'Cancelled',
  'Internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const RETRYABLE_BY_DEFAULT: ReadonlySet<ErrorCode> = new Set(['Throttled', 'Unavailable', 'Timeout']);

// Symbol.for keeps `isInstance` true across duplicate copies of this package in one process.
const MARKER = Symbol.for('cloudmux.error');

export interface CloudmuxErrorOptions {
  code: ErrorCode;
  message: string;
  provider?: string;
  resource?: ResourceName;
  operation?: string;
  /** Defaults by code: Throttled, Unavailable and Timeout are retryable. */
  retryable?: boolean;
  cause?: unknown;
}

export class CloudmuxError extends Error {
  readonly [MARKER] = true;
  readonly code: ErrorCode;
  readonly provider: string | undefined;
  readonly resource: ResourceName | undefined;
  readonly operation: string | undefined;
  readonly retryable: boolean;

  constructor(options: CloudmuxErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CloudmuxError';
    this.code = options.code;
    this.provider = options.provider;
    this.resource = options.resource;
    this.operation = options.operation;
    this.retryable = options.retryable ?? RETRYABLE_BY_DEFAULT.has(options.code);
  }

  static isInstance(error: unknown): error is CloudmuxError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }

  /** True when `error` is a CloudmuxError with the given code. */
  static hasCode(error: unknown, code: ErrorCode): error is CloudmuxError {
    return CloudmuxError.isInstance(error) && error.code === code;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      provider: this.provider,
      resource: this.resource,
      operation: this.operation,
      retryable: this.retryable,
    };
  }
}

export class UnsupportedError extends CloudmuxError {
  readonly capability: string;
  constructor(options: {
    provider: string;
    resource: ResourceName;
    operation: string;
    capability: string;
    reason?: string;
  }) {
    super({
      code: 'Unsupported',
      message: `${options.provider} ${options.resource} does not support ${options.operation} (capability '${options.capability}')${options.reason ? `: ${options.reason}` : ''}`,
      provider: options.provider,
      resource: options.resource,
      operation: options.operation,
      retryable: false,
    });
    this.name = 'UnsupportedError';
    this.capability = options.capability;
  }
}

/** One problem in a config: the field, what is wrong with it, and how to fix it. */
export interface ConfigIssue {
  field: string;
  problem: string;
  fix: string;
}

/**
 * Invalid configuration: names the field and says how to fix it. `issues` holds every problem found
 * at once (the first is also `field`/`fix`), so a user fixes them in one pass, not one per run.
 */
export class ConfigError extends CloudmuxError {
  readonly field: string;
  readonly fix: string;
  readonly issues: readonly ConfigIssue[];
  constructor(options: ConfigIssue & { cause?: unknown; more?: readonly ConfigIssue[] }) {
    const issues = [
      { field: options.field, problem: options.problem, fix: options.fix },
      ...(options.more ?? []),
    ];
    super({
      code: 'InvalidArgument',
      message: issues.map((i) => `invalid config at '${i.field}': ${i.problem}. Fix: ${i.fix}`).join('\n'),
      operation: 'loadConfig',
      retryable: false,
      cause: options.cause,
    });
    this.name = 'ConfigError';
    this.field = options.field;
    this.fix = options.fix;
    this.issues = issues;
  }
}

/** Throws UnsupportedError unless `supported` is true. */
export function requireCapability(
  supported: boolean | undefined,
  context: {
    provider: string;
    resource: ResourceName;
    operation: string;
    capability: string;
    reason?: string;
  },
): void {
  if (!supported) throw new UnsupportedError(context);
}
