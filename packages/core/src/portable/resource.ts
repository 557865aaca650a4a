/**
 * What every portable type (Queue, ObjectStore, Warehouse, SecretStore) does the same way around its
 * driver: one runner per operation resolved at construction, the driver kept under a symbol so the
 * registry can re-wrap a built resource with its meter, and the `DriverCall` each call hands down.
 */
import { type ErrorCode, requireCapability } from '../errors.ts';
import type { ResourceName } from '../providers/types.ts';
import type { FailureContext } from './errors.ts';
import {
  type DriverCall,
  type OperationRunner,
  type OperationSource,
  type OperationSpec,
  PLAIN_OPERATIONS,
} from './operation.ts';

/** Every call takes an AbortSignal; aborting it rejects the call with code `Cancelled`. */
export interface CallOptions {
  signal?: AbortSignal;
}

export interface PortableOptions {
  /** Where calls are metered (a `Meter`); unmetered when omitted. */
  meter?: OperationSource | undefined;
}

/** What the shared plumbing needs of any driver. */
export interface PortableDriver {
  readonly provider: string;
  readonly capabilities: unknown;
  errorCode(error: unknown): ErrorCode;
  native(): unknown;
  close(): Promise<void>;
}

const NO_SIGNAL: DriverCall = {};

/** The DriverCall for a call's options; one shared object when there is no signal. */
export const callOf = (options: CallOptions | undefined): DriverCall =>
  options?.signal ? { signal: options.signal } : NO_SIGNAL;

/** One runner per operation of `resource` over `driver`, built by `source` (a Meter or plain). */
export function runnersFor<Operation extends string>(
  driver: PortableDriver,
  resource: ResourceName,
  operations: readonly Operation[],
  source: OperationSource,
  { explicitUsage }: Pick<OperationSpec, 'explicitUsage'> = {},
): Record<Operation, OperationRunner> {
  const errorCode = (error: unknown) => driver.errorCode(error);
  const runners = {} as Record<Operation, OperationRunner>;
  for (const operation of operations) {
    runners[operation] = source.operation({
      provider: driver.provider,
      resource,
      operation,
      errorCode,
      ...(explicitUsage === undefined ? {} : { explicitUsage }),
    });
  }
  return runners;
}

/** The driver stored under `key` on a portable resource, or undefined for anything else. */
export function driverUnder<Driver>(key: symbol, resource: unknown): Driver | undefined {
  return typeof resource === 'object' && resource !== null
    ? ((resource as Record<symbol, Driver | undefined>)[key] ?? undefined)
    : undefined;
}

/**
 * What a `portableX(driverOrResource, options)` call builds over: given a portable resource instead
 * of a driver, its driver (how the registry attaches its meter to what a provider factory built).
 */
export function unwrapDriver<Driver>(
  key: symbol,
  driverOrResource: unknown,
  options: PortableOptions,
): [driver: Driver, source: OperationSource] {
  return [
    driverUnder<Driver>(key, driverOrResource) ?? (driverOrResource as Driver),
    options.meter ?? PLAIN_OPERATIONS,
  ];
}

/** The driver's native client when it is a `type`, for `as()`. */
export function nativeAs<T>(
  driver: PortableDriver,
  type: abstract new (...args: never[]) => T,
): T | undefined {
  const native = driver.native();
  return native instanceof type ? native : undefined;
}

/**
 * What the four portable types share around their driver: the runners, `provider`/`capabilities`,
 * `as`/`native`, `close` and `Symbol.asyncDispose`. Each subclass keeps its driver under its own
 * symbol too (for `unwrapDriver`).
 */
export abstract class PortableResource<Driver extends PortableDriver, Operation extends string> {
  // TypeScript-protected, not #private: apps wrap queues in Proxies (the pipeline counts bytes that
  // way), and a method called through a Proxy cannot read #private fields of its target.
  protected readonly driver: Driver;
  protected readonly ops: Record<Operation | 'close', OperationRunner>;
  protected readonly resource: ResourceName;

  protected constructor(
    driver: Driver,
    resource: ResourceName,
    operations: readonly (Operation | 'close')[],
    source: OperationSource,
    spec: Pick<OperationSpec, 'explicitUsage'> = {},
  ) {
    this.driver = driver;
    this.resource = resource;
    this.ops = runnersFor(driver, resource, operations, source, spec);
  }

  get provider(): string {
    return this.driver.provider;
  }
  get capabilities(): Driver['capabilities'] {
    return this.driver.capabilities;
  }

  /** Where a failure outside a runner happened (a per-entry batch result, a streamed body). */
  protected context(operation: string, subject?: string): FailureContext {
    return { provider: this.provider, resource: this.resource, operation, subject };
  }

  /** Unsupported: a clear Unsupported error naming the capability, before any driver runs. */
  protected require(supported: boolean, operation: string, capability: string): void {
    requireCapability(supported, { provider: this.provider, resource: this.resource, operation, capability });
  }

  as<T>(type: abstract new (...args: never[]) => T): T | undefined {
    return nativeAs(this.driver, type);
  }

  native(): unknown {
    return this.driver.native();
  }

  close(): Promise<void> {
    return this.ops.close.run(() => this.driver.close(), { idempotent: false });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
