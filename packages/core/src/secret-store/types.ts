/** The public SecretStore API: what apps call. Drivers implement `SecretStoreDriver` (driver.ts) instead. */
import type { SecretStoreCapabilities } from '../capabilities.ts';
import type { CallOptions } from '../queue/types.ts';
import type { SecretValue } from './value.ts';

export interface SecretStoreLimits {
  /** Bytes of one value as the driver's `valueSize` counts them (after any encoding the service needs). */
  maxValueBytes: number;
}

export interface SecretVersionInfo {
  version: string;
  createdAt?: Date;
  /** Stages or labels such as AWSCURRENT / latest. */
  stages?: string[];
  enabled: boolean;
}

export interface SecretListEntry {
  name: string;
  createdAt?: Date;
}

export interface GetSecretOptions extends CallOptions {
  /** A version id `put` or `listVersions` returned; the latest version when omitted. */
  version?: string;
}

export interface ListSecretsOptions extends CallOptions {
  /** Only names starting with this (compared on the original names, before any provider mapping). */
  prefix?: string;
}

export interface DeleteSecretOptions extends CallOptions {
  /** Delete without a recovery window where the service keeps one (`softDelete`). Driver default when omitted. */
  force?: boolean;
}

/**
 * Secret names are any non-empty text without control characters (each driver maps what its
 * service's alphabet lacks, reversibly), within the length its service allows. Values are 1 to
 * `limits.maxValueBytes` bytes: an empty value is InvalidArgument on every provider, because
 * Secrets Manager cannot store one.
 */
export interface SecretStore extends AsyncDisposable {
  readonly provider: string;
  readonly capabilities: SecretStoreCapabilities;
  readonly limits: SecretStoreLimits;
  /** Creates the secret or adds a new version; returns the version id. Never retried (a repeat is a second version). */
  put(name: string, value: string | Uint8Array, options?: CallOptions): Promise<{ version: string }>;
  /** The latest version, or a given one. Missing secret or version → NotFound. */
  get(name: string, options?: GetSecretOptions): Promise<SecretValue>;
  /** Newest first; the newest enabled version carries the stage `latest` unless the service names stages. */
  listVersions(name: string, options?: CallOptions): Promise<SecretVersionInfo[]>;
  /** Every secret (under `prefix`), sorted by name, all pages read. */
  list(options?: ListSecretsOptions): Promise<SecretListEntry[]>;
  /** Deleting a missing secret → NotFound (so delete is never retried: a lost reply would turn into NotFound). */
  delete(name: string, options?: DeleteSecretOptions): Promise<void>;
  /**
   * Escape hatch (Go CDK `As`): the driver's native client when it is an instance of `type`, else
   * undefined. Errors carry the native error as `cause`.
   */
  as<T>(type: abstract new (...args: never[]) => T): T | undefined;
  /** The driver's native client (the SDK client), untyped. */
  native(): unknown;
  close(): Promise<void>;
}
