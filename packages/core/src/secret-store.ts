import { inspect } from 'node:util';
import type { SecretStoreCapabilities } from './capabilities.ts';
import { CloudmuxError } from './errors.ts';

const REDACTED = '[redacted secret]';

/**
 * A secret's value. It prints, stringifies and serialises as `[redacted secret]`; only `reveal()`
 * and `bytes()` hand out the plaintext, so it cannot leak into logs, errors or reports by accident.
 */
export class SecretValue {
  readonly #bytes: Uint8Array;
  readonly name: string;
  readonly version: string;
  readonly createdAt: Date | undefined;

  constructor(name: string, version: string, value: string | Uint8Array, createdAt?: Date) {
    this.name = name;
    this.version = version;
    // new Uint8Array(…) copies; Buffer#slice would share memory with the caller's buffer.
    this.#bytes = typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(value);
    this.createdAt = createdAt;
  }

  /** The plaintext as UTF-8 text. */
  reveal(): string {
    return new TextDecoder().decode(this.#bytes);
  }

  /** The plaintext bytes (a copy). */
  bytes(): Uint8Array {
    return this.#bytes.slice();
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, version: this.version, value: REDACTED };
  }

  [inspect.custom](): string {
    return `SecretValue(${this.name}@${this.version}: ${REDACTED})`;
  }
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

export interface SecretStore {
  readonly provider: string;
  readonly capabilities: SecretStoreCapabilities;
  /** Creates the secret or adds a new version; returns the version id. */
  put(name: string, value: string | Uint8Array): Promise<{ version: string }>;
  /** The latest version, or a given one. Missing → NotFound. */
  get(name: string, options?: { version?: string }): Promise<SecretValue>;
  /** Newest first. */
  listVersions(name: string): Promise<SecretVersionInfo[]>;
  list(options?: { prefix?: string }): Promise<SecretListEntry[]>;
  /** Deleting a missing secret → NotFound. */
  delete(name: string, options?: { force?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface SecretCacheOptions {
  /** How long a fetched latest value is served from memory. */
  ttlMs: number;
  now?: () => number;
}

/**
 * Caches latest-version reads for `ttlMs`; a rotation is seen at the first read after the TTL.
 * Pinned-version reads are cached indefinitely (a version never changes). Writes through this
 * wrapper invalidate at once.
 */
export function withSecretCache(store: SecretStore, options: SecretCacheOptions): SecretStore {
  const now = options.now ?? Date.now;
  const latest = new Map<string, { value: SecretValue; expires: number }>();
  const pinned = new Map<string, SecretValue>();
  return {
    provider: store.provider,
    capabilities: store.capabilities,
    async put(name, value) {
      latest.delete(name);
      return store.put(name, value);
    },
    async get(name, getOptions) {
      if (getOptions?.version) {
        const key = `${name}\0${getOptions.version}`;
        const hit = pinned.get(key);
        if (hit) return hit;
        const value = await store.get(name, getOptions);
        pinned.set(key, value);
        return value;
      }
      const hit = latest.get(name);
      if (hit && hit.expires > now()) return hit.value;
      const value = await store.get(name);
      latest.set(name, { value, expires: now() + options.ttlMs });
      return value;
    },
    listVersions: (name) => store.listVersions(name),
    list: (listOptions) => store.list(listOptions),
    async delete(name, deleteOptions) {
      latest.delete(name);
      for (const key of pinned.keys()) if (key.startsWith(`${name}\0`)) pinned.delete(key);
      return store.delete(name, deleteOptions);
    },
    close: () => store.close(),
  };
}

/** Removes every occurrence of the given secret plaintexts from a text (for log and error scrubbing). */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join(REDACTED);
  return out;
}

/** Guard for adapters: a secret name must be non-empty and free of control characters. */
export function assertSecretName(provider: string, name: string): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (!name || /[\u0000-\u001f]/.test(name)) {
    throw new CloudmuxError({
      code: 'InvalidArgument',
      message: 'secret name must be non-empty and contain no control characters',
      provider,
      resource: 'secretStore',
      operation: 'name',
    });
  }
}
