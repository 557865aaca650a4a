import type { TokenCredential } from '@azure/identity';
import { SecretClient, type SecretClientOptions, type SecretProperties } from '@azure/keyvault-secrets';
import {
  assertSecretName,
  CloudmuxError,
  reportUsage,
  type SecretListEntry,
  type SecretStore,
  type SecretStoreCapabilities,
  SecretValue,
  type SecretVersionInfo,
} from '@cloudmux/core';
import { guarded, PROVIDER } from './errors.ts';

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

/**
 * Key Vault names are `^[0-9a-zA-Z-]{1,127}$` and case-insensitive. Every other name maps
 * deterministically and reversibly into lower-case letters, digits and `-`, byte by byte over UTF-8:
 * `a`–`z` and `0`–`9` stay; `-` becomes `--`; any other byte (upper-case letters included, so
 * names differing only in case stay distinct) becomes `-` plus two lower-case hex digits.
 * `db-password` → `db--password`, `App/Key_1` → `-41pp-2f-4bey-5f1`.
 */
export function toVaultName(name: string): string {
  let out = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    if ((byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)) out += String.fromCharCode(byte);
    else if (byte === 0x2d) out += '--';
    else out += `-${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** Inverse of toVaultName; undefined for names the mapping cannot have produced. */
export function fromVaultName(vaultName: string): string | undefined {
  const bytes: number[] = [];
  const lower = vaultName.toLowerCase();
  for (let i = 0; i < lower.length; i++) {
    const ch = lower[i] as string;
    if (ch !== '-') {
      bytes.push(ch.charCodeAt(0));
      continue;
    }
    if (lower[i + 1] === '-') {
      bytes.push(0x2d);
      i++;
      continue;
    }
    const hex = lower.slice(i + 1, i + 3);
    if (!/^[0-9a-f]{2}$/.test(hex)) return undefined;
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Key Vault soft-delete beyond the SecretStore interface. */
export interface KeyVaultSecretStore extends SecretStore {
  /** Restores a soft-deleted secret with all its versions. */
  recover(name: string): Promise<void>;
  /** Permanently removes a soft-deleted secret (needs the Purge permission). */
  purge(name: string): Promise<void>;
}

/** Azure Key Vault secrets as a SecretStore. */
export function createKeyVaultSecretStore(options: KeyVaultSecretStoreOptions): KeyVaultSecretStore {
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
  const vaultName = (name: string, operation: string): string => {
    assertSecretName(PROVIDER, name);
    const mapped = toVaultName(name);
    if (mapped.length > MAX_NAME) {
      throw new CloudmuxError({
        code: 'InvalidArgument',
        message: `secret name maps to ${mapped.length} characters; Key Vault allows ${MAX_NAME}`,
        provider: PROVIDER,
        resource: 'secretStore',
        operation,
      });
    }
    return mapped;
  };
  const transactions = (n = 1) => reportUsage({ units: { 'keyvault.transactions': n } });

  return {
    provider: PROVIDER,
    capabilities: KEY_VAULT_CAPABILITIES,

    put: (name, value) =>
      guarded({ resource: 'secretStore', operation: 'put', subject: name }, async () => {
        const mapped = vaultName(name, 'put');
        const binary = typeof value !== 'string';
        const text = binary ? Buffer.from(value).toString('base64') : value;
        // Monotonic within this process, millisecond time across processes.
        sequence = Math.max(sequence + 1, Date.now() * 1000);
        const response = await kv().setSecret(mapped, text, {
          ...(binary ? { contentType: BINARY_CONTENT_TYPE } : {}),
          tags: { [NAME_TAG]: name, [SEQUENCE_TAG]: String(sequence) },
        });
        transactions();
        return { version: response.properties.version ?? '' };
      }),

    get: (name, getOptions = {}) =>
      guarded({ resource: 'secretStore', operation: 'get', subject: name }, async () => {
        const mapped = vaultName(name, 'get');
        const secret = await kv().getSecret(
          mapped,
          getOptions.version ? { version: getOptions.version } : {},
        );
        transactions();
        const raw = secret.value ?? '';
        const value =
          secret.properties.contentType === BINARY_CONTENT_TYPE
            ? new Uint8Array(Buffer.from(raw, 'base64'))
            : raw;
        return new SecretValue(name, secret.properties.version ?? '', value, secret.properties.createdOn);
      }),

    listVersions: (name) =>
      guarded({ resource: 'secretStore', operation: 'listVersions', subject: name }, async () => {
        const mapped = vaultName(name, 'listVersions');
        const versions: SecretProperties[] = [];
        for await (const page of kv().listPropertiesOfSecretVersions(mapped).byPage()) {
          transactions();
          versions.push(...page);
        }
        if (versions.length === 0) {
          throw new CloudmuxError({
            code: 'NotFound',
            message: `secret '${name}' has no versions`,
            provider: PROVIDER,
            resource: 'secretStore',
            operation: 'listVersions',
          });
        }
        versions.sort((a, b) => order(b) - order(a));
        return versions.map(
          (v, index): SecretVersionInfo => ({
            version: v.version ?? '',
            ...(v.createdOn ? { createdAt: v.createdOn } : {}),
            ...(index === 0 ? { stages: ['latest'] } : {}),
            enabled: v.enabled ?? true,
          }),
        );
      }),

    list: (listOptions = {}) =>
      guarded({ resource: 'secretStore', operation: 'list' }, async () => {
        const prefix = listOptions.prefix ?? '';
        // Key Vault lists every secret; the encoding keeps prefixes, so the filter runs on mapped names.
        const mappedPrefix = toVaultName(prefix);
        const out: SecretListEntry[] = [];
        for await (const page of kv().listPropertiesOfSecrets().byPage()) {
          transactions();
          for (const properties of page) {
            const original = properties.tags?.[NAME_TAG] ?? fromVaultName(properties.name);
            if (original === undefined) continue;
            if (!properties.name.toLowerCase().startsWith(mappedPrefix) || !original.startsWith(prefix))
              continue;
            out.push({
              name: original,
              ...(properties.createdOn ? { createdAt: properties.createdOn } : {}),
            });
          }
        }
        return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      }),

    delete: (name, deleteOptions = {}) =>
      guarded({ resource: 'secretStore', operation: 'delete', subject: name }, async () => {
        const mapped = vaultName(name, 'delete');
        const poller = await kv().beginDeleteSecret(mapped, { intervalInMs: pollInterval });
        await poller.pollUntilDone();
        transactions(2);
        if (deleteOptions.force || options.purgeOnDelete) {
          await kv().purgeDeletedSecret(mapped);
          transactions();
        }
      }),

    recover: (name) =>
      guarded({ resource: 'secretStore', operation: 'recover', subject: name }, async () => {
        const poller = await kv().beginRecoverDeletedSecret(vaultName(name, 'recover'), {
          intervalInMs: pollInterval,
        });
        await poller.pollUntilDone();
        transactions(2);
      }),

    purge: (name) =>
      guarded({ resource: 'secretStore', operation: 'purge', subject: name }, async () => {
        await kv().purgeDeletedSecret(vaultName(name, 'purge'));
        transactions();
      }),

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
