/**
 * What a secret store provider implements: only what the service does. The portable SecretStore
 * (portable-secret-store.ts) validates names and values against `secretNameProblem` and `limits`
 * before a driver method runs, reads every page of a listing, sorts, meters, honours AbortSignals
 * and writes every error message, so a driver:
 *
 * - never re-checks names, empty values or sizes (it gets them valid);
 * - throws the native SDK error unchanged (classified by `errorCode`), or a `DriverError` with a code
 *   it decided itself, and never builds a user-facing message (and never puts a value in a detail);
 * - reports billable units with `reportUsage`;
 * - passes `call.signal` to its SDK where the SDK takes one.
 */
import type { SecretStoreCapabilities } from '../capabilities.ts';
import type { ErrorCode } from '../errors.ts';
import type { DriverCall } from '../queue/driver.ts';
import type { SecretListEntry, SecretStoreLimits, SecretVersionInfo } from './types.ts';

/** One secret version as the service returned it. */
export interface DriverSecret {
  version: string;
  value: string | Uint8Array;
  createdAt?: Date | undefined;
}

/** A version for listVersions, with the key the portable type sorts by. */
export interface DriverSecretVersion extends SecretVersionInfo {
  /** Compared element by element, higher = newer; on a tie, later in the listing is newer. */
  order: readonly number[];
}

/** One page of a listing; `cursor` asks for the next page, absent on the last. */
export interface DriverPage<T> {
  items: T[];
  cursor?: string | undefined;
}

export interface SecretStoreDriver {
  readonly provider: string;
  readonly capabilities: SecretStoreCapabilities;
  readonly limits: SecretStoreLimits;
  /**
   * Why `name` (already non-empty and free of control characters) cannot be a secret on this
   * service, e.g. its mapped form is too long; undefined when it can.
   */
  secretNameProblem(name: string): string | undefined;
  /** Bytes the service counts against `limits.maxValueBytes` (a base64 encoding included). */
  valueSize(value: string | Uint8Array, bytes: Uint8Array): number;
  /** The cloudmux code of a native error this driver let escape. */
  errorCode(error: unknown): ErrorCode;
  /** The SDK client, created on demand (`SecretStore.as` / `native`). */
  native(): unknown;

  /** Adds a version, creating the secret on first use; returns the new version's id. */
  put(name: string, value: string | Uint8Array, call: DriverCall): Promise<string>;
  /** `version` undefined = the latest. A version of another secret, or none, is NotFound. */
  get(name: string, version: string | undefined, call: DriverCall): Promise<DriverSecret>;
  /** A page of versions in any order (a missing secret may also give an empty listing). */
  listVersions(
    name: string,
    cursor: string | undefined,
    call: DriverCall,
  ): Promise<DriverPage<DriverSecretVersion>>;
  /**
   * A page of secrets by their original names. It may narrow by `prefix` or not: the portable type
   * keeps exact prefix matches, drops duplicates and sorts.
   */
  list(prefix: string, cursor: string | undefined, call: DriverCall): Promise<DriverPage<SecretListEntry>>;
  /** Missing → NotFound. `force` undefined = the driver's configured default. */
  delete(name: string, force: boolean | undefined, call: DriverCall): Promise<void>;
  close(): Promise<void>;
}
