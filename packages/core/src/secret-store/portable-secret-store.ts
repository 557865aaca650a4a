/**
 * The portable SecretStore (Go CDK `secrets`/`runtimevar` style: a portable type over a driver):
 * name and value validation, reading every page of a listing, version ordering, error messages,
 * metering, retries, timeouts and cancellation happen here, once, for every provider. Each call
 * runs through one `OperationRunner`, resolved at construction, with its idempotency stated here.
 */
import { DriverError } from '../portable/errors.ts';
import { type DriverCall, type OperationSource, PLAIN_OPERATIONS } from '../portable/operation.ts';
import {
  type CallOptions,
  callOf,
  driverUnder,
  type PortableOptions,
  PortableResource,
  unwrapDriver,
} from '../portable/resource.ts';
import type { DriverSecretVersion, SecretStoreDriver } from './driver.ts';
import type {
  DeleteSecretOptions,
  GetSecretOptions,
  ListSecretsOptions,
  SecretListEntry,
  SecretStore,
  SecretVersionInfo,
} from './types.ts';
import { checkPrefix, checkSecretName, checkVersion, secretBytes } from './validate.ts';
import { SecretValue } from './value.ts';

const OPERATIONS = ['put', 'get', 'listVersions', 'list', 'delete', 'close'] as const;
type Operation = (typeof OPERATIONS)[number];

// Symbol.for: recognised across duplicate copies of this package, like CloudmuxError.
const DRIVER = Symbol.for('cloudmux.secretStore.driver');

export type PortableSecretStoreOptions = PortableOptions;

/**
 * Builds the portable SecretStore over a driver. Given a portable SecretStore instead, it re-wraps
 * that store's driver: this is how the registry attaches its meter to a store a provider built.
 */
export function portableSecretStore(
  driver: SecretStoreDriver | SecretStore,
  options: PortableSecretStoreOptions = {},
): SecretStore {
  return new PortableSecretStore(...unwrapDriver<SecretStoreDriver>(DRIVER, driver, options));
}

/** The driver under a portable SecretStore, or undefined for anything else. */
export function secretStoreDriverOf(store: unknown): SecretStoreDriver | undefined {
  return driverUnder<SecretStoreDriver>(DRIVER, store);
}

/**
 * A runner for a driver's own extra operation (Key Vault `recover`, Secret Manager
 * `disableVersion`): same name rule, messages, metering and cancellation as the portable calls.
 */
export function secretStoreOperation(
  driver: SecretStoreDriver,
  operation: string,
  meter: OperationSource = PLAIN_OPERATIONS,
): (name: string, call: (driverCall: DriverCall) => Promise<void>, options?: CallOptions) => Promise<void> {
  const runner = meter.operation({
    provider: driver.provider,
    resource: 'secretStore',
    operation,
    errorCode: (error) => driver.errorCode(error),
  });
  return (name, call, options) =>
    runner.run(
      () => {
        checkSecretName(driver, name);
        return call(callOf(options));
      },
      false,
      name,
      options?.signal,
    );
}

const byName = (a: SecretListEntry, b: SecretListEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Newest first by `order`; on a tie the one later in the listing is newer. */
function newestFirst(versions: DriverSecretVersion[]): DriverSecretVersion[] {
  const position = new Map(versions.map((v, i) => [v, i]));
  return [...versions].sort((a, b) => {
    const length = Math.max(a.order.length, b.order.length);
    for (let i = 0; i < length; i++) {
      const difference = (b.order[i] ?? 0) - (a.order[i] ?? 0);
      if (difference !== 0) return difference;
    }
    return (position.get(b) ?? 0) - (position.get(a) ?? 0);
  });
}

class PortableSecretStore extends PortableResource<SecretStoreDriver, Operation> implements SecretStore {
  readonly [DRIVER]: SecretStoreDriver;

  constructor(driver: SecretStoreDriver, operations: OperationSource) {
    super(driver, 'secretStore', OPERATIONS, operations);
    this[DRIVER] = driver;
  }

  get limits() {
    return this.driver.limits;
  }

  put(name: string, value: string | Uint8Array, options?: CallOptions): Promise<{ version: string }> {
    const d = this.driver;
    return this.ops.put.run(
      async () => {
        checkSecretName(d, name);
        secretBytes(d, value);
        return { version: await d.put(name, value, callOf(options)) };
      },
      // A repeated put adds a second version.
      false,
      name,
      options?.signal,
    );
  }

  get(name: string, options: GetSecretOptions = {}): Promise<SecretValue> {
    const d = this.driver;
    return this.ops.get.run(
      async () => {
        checkSecretName(d, name);
        checkVersion(options.version);
        const secret = await d.get(name, options.version, callOf(options));
        return new SecretValue(name, secret.version, secret.value, secret.createdAt);
      },
      true,
      name,
      options.signal,
    );
  }

  listVersions(name: string, options?: CallOptions): Promise<SecretVersionInfo[]> {
    const d = this.driver;
    return this.ops.listVersions.run(
      async () => {
        checkSecretName(d, name);
        const versions: DriverSecretVersion[] = [];
        let cursor: string | undefined;
        do {
          const page = await d.listVersions(name, cursor, callOf(options));
          versions.push(...page.items);
          cursor = page.cursor;
        } while (cursor);
        // Services that list versions of a missing secret as none: one answer for all.
        if (versions.length === 0)
          throw new DriverError('NotFound', { detail: 'the secret has no versions' });
        const sorted = newestFirst(versions);
        const named = sorted.some((v) => v.stages !== undefined && v.stages.length > 0);
        const latest = named ? undefined : sorted.find((v) => v.enabled);
        return sorted.map((version) => {
          const { order: _order, ...info } = version;
          return version === latest ? { ...info, stages: ['latest'] } : info;
        });
      },
      true,
      name,
      options?.signal,
    );
  }

  list(options: ListSecretsOptions = {}): Promise<SecretListEntry[]> {
    const d = this.driver;
    const prefix = options.prefix ?? '';
    return this.ops.list.run(
      async () => {
        checkPrefix(prefix);
        const found = new Map<string, SecretListEntry>();
        let cursor: string | undefined;
        do {
          const page = await d.list(prefix, cursor, callOf(options));
          for (const entry of page.items) {
            if (entry.name.startsWith(prefix) && !found.has(entry.name)) found.set(entry.name, entry);
          }
          cursor = page.cursor;
        } while (cursor);
        return [...found.values()].sort(byName);
      },
      true,
      prefix || undefined,
      options.signal,
    );
  }

  delete(name: string, options: DeleteSecretOptions = {}): Promise<void> {
    const d = this.driver;
    return this.ops.delete.run(
      () => {
        checkSecretName(d, name);
        return d.delete(name, options.force, callOf(options));
      },
      // Deleting a missing secret is NotFound: a retry after a lost reply would report a false error.
      false,
      name,
      options.signal,
    );
  }
}
