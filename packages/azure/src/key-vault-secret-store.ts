import type { TokenCredential } from '@azure/identity';
import { SecretClient, type SecretClientOptions, type SecretProperties } from '@azure/keyvault-secrets';
import {
  type CallOptions,
  CloudmuxError,
  type DriverCall,
  type Meter,
  portableSecretStore,
  reportUsage,
  type SecretListEntry,
  type SecretStore,
  type SecretStoreCapabilities,
  type SecretStoreDriver,
  type SecretStoreLimits,
  secretNameCodec,
  secretStoreOperation,
} from '@cloudmux/core';
import { classify, PROVIDER } from './errors.ts';

export interface KeyVaultSecretStoreOptions {
  /** A ready client; wins over vaultUrl/credential. */
  client?: SecretClient;
  /** `https://<vault>.vault.azure.net` */
  vaultUrl?: string;
  credential?: TokenCredential;
  /** Passed to the SecretClient (e.g. `agent` to trust a test server's certificate). */
  clientOptions?: SecretClientOptions;
  /** Purge after delete (needs the Purge permission and no purge protection). Default false. */
  purgeOnDelete?: boolean;
  /** How often the delete/recover long-running operations poll. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
}

export const KEY_VAULT_CAPABILITIES: SecretStoreCapabilities = {
  versions: true,
  getVersion: true,
  listVersions: true,
  // Values are strings on Key Vault; bytes are stored base64 under a content type the adapter reads back.
  binaryValues: true,
  softDelete: true,
};

/** Tag holding the caller's original secret name (Key Vault names are restricted). */
export const NAME_TAG = 'cloudmux-name';
/** Tag ordering versions written within one second (Key Vault timestamps have one-second resolution). */
export const SEQUENCE_TAG = 'cloudmux-seq';
const BINARY_CONTENT_TYPE = 'application/vnd.cloudmux.bytes+base64';
const MAX_NAME = 127;

/** Key Vault stores at most 25 KB per secret value ("About Azure Key Vault secrets", learn.microsoft.com). */
export const KEY_VAULT_LIMITS: SecretStoreLimits = { maxValueBytes: 25_000 };

/**
 * Key Vault names are `^[0-9a-zA-Z-]{1,127}$` and case-insensitive. Every other name maps
 * deterministically and reversibly into lower-case letters, digits and `-`, byte by byte over UTF-8
 * (core's `secretNameCodec`, shared with Secret Manager's alphabet): `a`–`z` and `0`–`9` stay; `-`
 * becomes `--`; any other byte (upper-case letters included, so names differing only in case stay
 * distinct) becomes `-` plus two lower-case hex digits.
 * `db-password` → `db--password`, `App/Key_1` → `-41pp-2f-4bey-5f1`.
 */
const vaultNames = secretNameCodec({
  kept: /^[a-z0-9]$/,
  escape: '-',
  escapeSelf: '--',
  caseInsensitive: true,
});

export const toVaultName = (name: string): string => vaultNames.encode(name);

/** Inverse of toVaultName; undefined for names the mapping cannot have produced. */
export const fromVaultName = (vaultName: string): string | undefined => vaultNames.decode(vaultName);

/** Key Vault soft-delete beyond the SecretStore interface. */
export interface KeyVaultSecretStore extends SecretStore {
  /** Restores a soft-deleted secret with all its versions. */
  recover(name: string, options?: CallOptions): Promise<void>;
  /** Permanently removes a soft-deleted secret (needs the Purge permission). */
  purge(name: string, options?: CallOptions): Promise<void>;
}

/** The Key Vault driver, plus soft-delete recovery and purging. */
export interface KeyVaultDriver extends SecretStoreDriver {
  recover(name: string, call: DriverCall): Promise<void>;
  purge(name: string, call: DriverCall): Promise<void>;
}

/** Azure Key Vault secrets: the portable SecretStore over the Key Vault driver, with recover and purge. */
export function createKeyVaultSecretStore(options: KeyVaultSecretStoreOptions): KeyVaultSecretStore {
  const driver = createKeyVaultSecretStoreDriver(options);
  const recover = secretStoreOperation(driver, 'recover', options.meter);
  const purge = secretStoreOperation(driver, 'purge', options.meter);
  return Object.assign(portableSecretStore(driver, { meter: options.meter }), {
    recover: (name: string, callOptions?: CallOptions) =>
      recover(name, (call) => driver.recover(name, call), callOptions),
    purge: (name: string, callOptions?: CallOptions) =>
      purge(name, (call) => driver.purge(name, call), callOptions),
  });
}

export function createKeyVaultSecretStoreDriver(options: KeyVaultSecretStoreOptions): KeyVaultDriver {
  let client: SecretClient | undefined = options.client;
  const pollInterval = options.pollIntervalMs ?? 1000;
  let sequence = 0;
  const kv = (): SecretClient => {
    if (client) return client;
    if (!options.vaultUrl || !options.credential) {
      throw new CloudmuxError({
        code: 'InvalidArgument',
        message: 'createKeyVaultSecretStore needs client, or vaultUrl and credential',
        provider: PROVIDER,
        resource: 'secretStore',
        operation: 'create',
      });
    }
    client = new SecretClient(options.vaultUrl, options.credential, options.clientOptions);
    return client;
  };
  const transactions = (n = 1) => reportUsage({ units: { 'keyvault.transactions': n } });
  const abort = (call: DriverCall) => (call.signal ? { abortSignal: call.signal } : {});

  return {
    provider: PROVIDER,
    capabilities: KEY_VAULT_CAPABILITIES,
    limits: KEY_VAULT_LIMITS,
    secretNameProblem(name) {
      const length = toVaultName(name).length;
      return length > MAX_NAME ? `it maps to ${length} characters; Key Vault allows ${MAX_NAME}` : undefined;
    },
    // Key Vault stores text: bytes travel base64-encoded.
    valueSize: (value, bytes) =>
      typeof value === 'string' ? bytes.byteLength : Math.ceil(bytes.byteLength / 3) * 4,
    errorCode: (error) => classify(error).code,
    native: kv,

    async put(name, value, call) {
      const binary = typeof value !== 'string';
      const text = binary ? Buffer.from(value).toString('base64') : value;
      // Monotonic within this process, millisecond time across processes.
      sequence = Math.max(sequence + 1, Date.now() * 1000);
      const response = await kv().setSecret(toVaultName(name), text, {
        ...(binary ? { contentType: BINARY_CONTENT_TYPE } : {}),
        tags: { [NAME_TAG]: name, [SEQUENCE_TAG]: String(sequence) },
        ...abort(call),
      });
      transactions();
      return response.properties.version ?? '';
    },

    async get(name, version, call) {
      const secret = await kv().getSecret(toVaultName(name), {
        ...(version ? { version } : {}),
        ...abort(call),
      });
      transactions();
      const raw = secret.value ?? '';
      return {
        version: secret.properties.version ?? '',
        value:
          secret.properties.contentType === BINARY_CONTENT_TYPE
            ? new Uint8Array(Buffer.from(raw, 'base64'))
            : raw,
        createdAt: secret.properties.createdOn,
      };
    },

    // @azure/keyvault-secrets 4.12 maps each page with `page.map(…)`, which drops the page's
    // continuationToken, so a listing cannot resume from a cursor: one call reads every page.
    async listVersions(name, _cursor, call) {
      const items = [];
      for await (const page of kv().listPropertiesOfSecretVersions(toVaultName(name), abort(call)).byPage()) {
        transactions();
        for (const v of page) {
          items.push({
            version: v.version ?? '',
            ...(v.createdOn ? { createdAt: v.createdOn } : {}),
            enabled: v.enabled ?? true,
            order: [order(v)],
          });
        }
      }
      return { items };
    },

    async list(prefix, _cursor, call) {
      // Key Vault lists every secret; the encoding keeps prefixes, so the filter runs on mapped names.
      const mappedPrefix = toVaultName(prefix);
      const items: SecretListEntry[] = [];
      for await (const page of kv().listPropertiesOfSecrets(abort(call)).byPage()) {
        transactions();
        for (const properties of page) {
          if (!properties.name.toLowerCase().startsWith(mappedPrefix)) continue;
          const original = properties.tags?.[NAME_TAG] ?? fromVaultName(properties.name);
          if (original === undefined) continue;
          items.push({
            name: original,
            ...(properties.createdOn ? { createdAt: properties.createdOn } : {}),
          });
        }
      }
      return { items };
    },

    async delete(name, force, call) {
      const mapped = toVaultName(name);
      const poller = await kv().beginDeleteSecret(mapped, { intervalInMs: pollInterval, ...abort(call) });
      await poller.pollUntilDone(abort(call));
      transactions(2);
      if (force ?? options.purgeOnDelete) {
        await kv().purgeDeletedSecret(mapped, abort(call));
        transactions();
      }
    },

    async recover(name, call) {
      const poller = await kv().beginRecoverDeletedSecret(toVaultName(name), {
        intervalInMs: pollInterval,
        ...abort(call),
      });
      await poller.pollUntilDone(abort(call));
      transactions(2);
    },

    async purge(name, call) {
      await kv().purgeDeletedSecret(toVaultName(name), abort(call));
      transactions();
    },

    async close() {
      // The client holds no connections beyond Node's agent.
    },
  };
}

/** Newest first: creation second, then the adapter's sequence tag inside one second. */
function order(v: SecretProperties): number {
  const seq = Number(v.tags?.[SEQUENCE_TAG]);
  if (Number.isFinite(seq) && seq > 0) return seq / 1000;
  return v.createdOn?.getTime() ?? 0;
}

export type { SecretClient };
