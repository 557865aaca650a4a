/**
 * SecretStore on an S3-compatible server: one object per version, each encrypted by cloudmux
 * before it leaves the process, in core's sealed secret format (`sealSecretVersion`: AES-256-GCM,
 * the secret's name and version bound as additional data) — the same JSON the local provider's
 * file secret store writes, so versions move between the two with the same key.
 *
 * Why this design: the self-hosted stack has no Vault or OpenBao here (see README), and an
 * S3-compatible server is already part of it, replicated and backed up like the lake. The server
 * only ever sees ciphertext; the 32-byte key comes from the environment (or an option), never
 * from the server or the config file.
 *
 * Layout: `<prefix><name in [A-Za-z0-9-] with _xx escapes>/v<12-digit version>.json`. A version is
 * claimed with a create-only put (`If-None-Match: *`), so concurrent writers in several processes
 * each get their own version and never overwrite one. Versions list in key order, which is
 * version order; a secret's creation time is its first version's.
 */
import {
  CloudmuxError,
  ConfigError,
  DriverError,
  type Meter,
  type ObjectInfo,
  type ObjectStore,
  openSecretVersion,
  parseSealedSecretVersion,
  parseSecretKey,
  portableSecretStore,
  type SecretKey,
  type SecretListEntry,
  type SecretStore,
  type SecretStoreCapabilities,
  type SecretStoreDriver,
  type SecretStoreLimits,
  sealSecretVersion,
  secretNameCodec,
} from '@cloudmux/core';
import { PROVIDER } from './nats-errors.ts';

export interface S3SecretStoreOptions {
  /** The object store the versions are kept in (an S3-compatible bucket, or any ObjectStore). */
  objects: ObjectStore;
  /** Key prefix of the secret objects. Default `cloudmux-secrets/`. */
  prefix?: string;
  /** The 32-byte key as base64 or 64 hex digits (usually from an environment variable). */
  key: string | undefined;
  /** Where `key` came from, named in a ConfigError when it is missing or malformed. */
  keySource?: string;
  /** Close `objects` when the store closes. Default true. */
  closeObjects?: boolean;
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
}

const CAPABILITIES: SecretStoreCapabilities = {
  versions: true,
  getVersion: true,
  listVersions: true,
  binaryValues: true,
  softDelete: false,
};

/** The 64 KiB Secrets Manager and Secret Manager allow, so a value that works here works there. */
const LIMITS: SecretStoreLimits = { maxValueBytes: 65_536 };
const VERSION_KEY = /\/v(\d{12})\.json$/;
const names = secretNameCodec({ kept: /^[A-Za-z0-9-]$/, escape: '_' });
const versionKeySuffix = (version: number) => `/v${String(version).padStart(12, '0')}.json`;

/** Encrypted secrets on an S3-compatible server: the portable SecretStore over this driver. */
export function createS3SecretStore(options: S3SecretStoreOptions): SecretStore {
  return portableSecretStore(createS3SecretStoreDriver(options), { meter: options.meter });
}

export function createS3SecretStoreDriver(options: S3SecretStoreOptions): SecretStoreDriver {
  const objects = options.objects;
  const prefix = options.prefix ?? 'cloudmux-secrets/';
  const keySource = options.keySource ?? 'secretStore.key';
  let key: SecretKey | undefined;
  const loadKey = (): SecretKey => {
    if (!options.key) {
      throw new ConfigError({
        field: keySource,
        problem: 'no key is set for the self-hosted secret store',
        fix: `set ${keySource} to 32 bytes as base64 (\`openssl rand -base64 32\`); keep it outside the S3 server`,
      });
    }
    key ??= parseSecretKey(options.key, keySource);
    return key;
  };
  const secretPrefix = (name: string) => `${prefix}${names.encode(name)}`;

  /** An object store failure, kept with its code; the portable SecretStore writes the message. */
  const storeError = (error: unknown): unknown =>
    CloudmuxError.isInstance(error) && !(error instanceof ConfigError)
      ? new DriverError(error.code, {
          detail: `the S3 server failed: ${error.code}`,
          cause: error,
          retryable: error.retryable,
        })
      : error;

  async function versionObjects(
    name: string,
    signal?: AbortSignal,
  ): Promise<Array<ObjectInfo & { n: number }>> {
    const found: Array<ObjectInfo & { n: number }> = [];
    try {
      for await (const object of objects.listAll({
        prefix: `${secretPrefix(name)}/v`,
        ...(signal ? { signal } : {}),
      })) {
        const match = VERSION_KEY.exec(object.key);
        if (match && object.key === secretPrefix(name) + versionKeySuffix(Number(match[1]))) {
          found.push({ ...object, n: Number(match[1]) });
        }
      }
    } catch (error) {
      throw storeError(error);
    }
    return found.sort((a, b) => a.n - b.n);
  }

  const parseVersion = (name: string, version: string): number => {
    if (!/^\d{1,12}$/.test(version) || Number(version) < 1) {
      throw new DriverError('NotFound', { detail: `secret '${name}' has no version '${version}'` });
    }
    return Number(version);
  };

  return {
    provider: PROVIDER,
    capabilities: CAPABILITIES,
    limits: LIMITS,
    secretNameProblem(name) {
      const length = Buffer.byteLength(secretPrefix(name) + versionKeySuffix(1));
      return length > objects.limits.maxKeyBytes
        ? `its object key would be ${length} bytes; the S3 server allows ${objects.limits.maxKeyBytes}`
        : undefined;
    },
    valueSize: (_value, bytes) => bytes.byteLength,
    // Everything this driver throws is already a DriverError or a CloudmuxError.
    errorCode: () => 'Internal',
    native: () => objects,

    async put(name, value, call) {
      const secretKey = loadKey();
      const plaintext = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
      try {
        // A lost race for a version number is retried with the next one.
        for (let attempt = 1; ; attempt++) {
          const latest = (await versionObjects(name, call.signal)).at(-1)?.n ?? 0;
          const version = String(latest + 1);
          const sealed = sealSecretVersion(secretKey, name, version, plaintext);
          try {
            await objects.put(secretPrefix(name) + versionKeySuffix(latest + 1), JSON.stringify(sealed), {
              ifNoneMatch: '*',
              contentType: 'application/json',
              ...(call.signal ? { signal: call.signal } : {}),
            });
            return version;
          } catch (error) {
            if (CloudmuxError.hasCode(error, 'AlreadyExists') && attempt < 100) continue;
            throw storeError(error);
          }
        }
      } finally {
        plaintext.fill(0);
      }
    },

    async get(name, wanted, call) {
      const secretKey = loadKey();
      let version: number;
      if (wanted !== undefined) {
        version = parseVersion(name, wanted);
      } else {
        const latest = (await versionObjects(name, call.signal)).at(-1);
        if (!latest) throw new DriverError('NotFound', { detail: `secret '${name}' does not exist` });
        version = latest.n;
      }
      let text: string;
      try {
        text = await (
          await objects.get(
            secretPrefix(name) + versionKeySuffix(version),
            call.signal ? { signal: call.signal } : {},
          )
        ).text();
      } catch (error) {
        if (CloudmuxError.hasCode(error, 'NotFound')) {
          throw new DriverError('NotFound', {
            detail: `secret '${name}' has no version ${version}`,
            cause: error,
          });
        }
        throw storeError(error);
      }
      const sealed = parseSealedSecretVersion(text, name, String(version));
      const plaintext = openSecretVersion(secretKey, sealed, name, String(version));
      // SecretValue copies the bytes; the decrypted buffer is wiped once it has.
      const bytes = new Uint8Array(plaintext);
      plaintext.fill(0);
      return { version: String(version), value: bytes, createdAt: new Date(sealed.createdAt) };
    },

    async listVersions(name, _cursor, call) {
      return {
        items: (await versionObjects(name, call.signal)).map((object) => ({
          version: String(object.n),
          createdAt: object.lastModified,
          enabled: true,
          order: [object.n],
        })),
      };
    },

    async list(namePrefix, _cursor, call) {
      // Each byte maps on its own, so the mapped prefix narrows the listing exactly.
      const first = new Map<string, Date>();
      try {
        for await (const object of objects.listAll({
          prefix: secretPrefix(namePrefix),
          ...(call.signal ? { signal: call.signal } : {}),
        })) {
          const rest = object.key.slice(prefix.length);
          const slash = rest.indexOf('/');
          if (slash < 0 || !VERSION_KEY.test(object.key)) continue;
          const mapped = rest.slice(0, slash);
          const seen = first.get(mapped);
          if (!seen || object.lastModified < seen) first.set(mapped, object.lastModified);
        }
      } catch (error) {
        throw storeError(error);
      }
      const items: SecretListEntry[] = [];
      for (const [mapped, createdAt] of first) {
        const name = names.decode(mapped);
        // Objects another tool put under the prefix are not secrets of this store.
        if (name !== undefined) items.push({ name, createdAt });
      }
      return { items };
    },

    async delete(name, _force, call) {
      const versions = await versionObjects(name, call.signal);
      if (versions.length === 0)
        throw new DriverError('NotFound', { detail: `secret '${name}' does not exist` });
      // Newest first: a reader that races the delete sees an older version or none, never a gap.
      const keys = versions.map((object) => object.key).reverse();
      let result: Awaited<ReturnType<ObjectStore['deleteMany']>>;
      try {
        result = await objects.deleteMany(keys, call.signal ? { signal: call.signal } : {});
      } catch (error) {
        throw storeError(error);
      }
      if (result.errors.length > 0) throw storeError(result.errors[0]?.error);
    },

    async close() {
      if (options.closeObjects !== false) await objects.close();
    },
  };
}
