/**
 * SecretStore on Secret Manager with the official `@google-cloud/secret-manager` client (gRPC).
 *
 * - A secret's id is `<prefix><toSecretId(name)>` (see secret-id.ts: names with `/`, `.`, `_` or
 *   any other character map reversibly into Secret Manager's id alphabet); `put` adds a version, creating the secret (with the configured
 *   replication) on first use. Version ids are Secret Manager's per-secret numbers ('1', '2', …).
 * - Payloads are bytes end to end and carry a CRC32C checksum both ways: sent with
 *   addSecretVersion (the service rejects a mismatch) and verified on access.
 * - `list({ prefix })` narrows server-side with a `name:` filter on the mapped prefix and reports
 *   each secret by its decoded original name; the portable SecretStore keeps exact prefix matches.
 * - Deletion is immediate in Secret Manager (no recovery window), so `softDelete` is false.
 * - Billing: each access is one `secretmanager.access-operations` unit; `secretmanager.versions-added`
 *   counts new versions, from which the active-version months of the price table follow.
 */
import {
  type CallOptions,
  type DriverCall,
  DriverError,
  type Meter,
  portableSecretStore,
  reportUsage,
  type SecretListEntry,
  type SecretStore,
  type SecretStoreCapabilities,
  type SecretStoreDriver,
  type SecretStoreLimits,
  secretStoreOperation,
} from '@cloudmux/core';
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { CRC32C } from '@google-cloud/storage';
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { errorCodeOf, PROVIDER } from './errors.ts';
import { fromSecretId, MAX_SECRET_ID, toSecretId } from './secret-id.ts';

export type SecretReplication = 'automatic' | { userManaged: readonly string[] };

export interface SecretManagerSecretStoreOptions {
  projectId: string;
  /** Prefix of secret ids, so `list()` sees only this app's secrets. */
  prefix?: string;
  /** Replication of secrets the adapter creates. Default automatic. */
  replication?: SecretReplication;
  /** Emulator endpoint `host:port`: plain-text gRPC without credentials. */
  apiEndpoint?: string;
  keyFilename?: string;
  /** A ready client instead of the options above. */
  client?: SecretManagerServiceClient;
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

/** Secret Manager's payload limit: 64 KiB per version. */
export const SECRET_MANAGER_LIMITS: SecretStoreLimits = { maxValueBytes: 64 * 1024 };
const PAGE_SIZE = 100;

/** CRC32C as Secret Manager carries it: an unsigned 32-bit value in an int64 field. */
export function crc32cOf(data: Uint8Array): number {
  const crc = new CRC32C();
  crc.update(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  return crc.valueOf() >>> 0;
}

function timestampOf(value: { seconds?: unknown; nanos?: unknown } | null | undefined): Date | undefined {
  if (!value) return undefined;
  return new Date(Number(value.seconds ?? 0) * 1000 + Math.floor(Number(value.nanos ?? 0) / 1e6));
}

function replicationOf(replication: SecretReplication) {
  return replication === 'automatic'
    ? { automatic: {} }
    : { userManaged: { replicas: replication.userManaged.map((location) => ({ location })) } };
}

/** The last path segment of a resource name (`projects/p/secrets/s/versions/3` → `3`). */
const lastSegment = (name: string | null | undefined) =>
  String(name ?? '')
    .split('/')
    .pop() ?? '';

type VersionState = 'disable' | 'enable' | 'destroy';

export interface SecretManagerSecretStore extends SecretStore {
  /** Disables a version: it stays listed but cannot be accessed until enabled again. */
  disableVersion(name: string, version: string, options?: CallOptions): Promise<void>;
  enableVersion(name: string, version: string, options?: CallOptions): Promise<void>;
  /** Destroys a version's payload irrevocably. */
  destroyVersion(name: string, version: string, options?: CallOptions): Promise<void>;
}

/** The Secret Manager driver, plus the version states the portable API does not cover. */
export interface SecretManagerDriver extends SecretStoreDriver {
  setVersionState(name: string, version: string, state: VersionState, call: DriverCall): Promise<void>;
}

/** Secret Manager: the portable SecretStore over the Secret Manager driver, with version states. */
export function createSecretManagerSecretStore(
  options: SecretManagerSecretStoreOptions,
): SecretManagerSecretStore {
  const driver = createSecretManagerSecretStoreDriver(options);
  const stateSetter = (state: VersionState) => {
    const run = secretStoreOperation(driver, `${state}Version`, options.meter);
    return (name: string, version: string, callOptions?: CallOptions) =>
      run(name, (call) => driver.setVersionState(name, version, state, call), callOptions);
  };
  return Object.assign(portableSecretStore(driver, { meter: options.meter }), {
    disableVersion: stateSetter('disable'),
    enableVersion: stateSetter('enable'),
    destroyVersion: stateSetter('destroy'),
  });
}

export function createSecretManagerSecretStoreDriver(
  options: SecretManagerSecretStoreOptions,
): SecretManagerDriver {
  const prefix = options.prefix ?? '';
  const replication = options.replication ?? 'automatic';
  let client: SecretManagerServiceClient | undefined = options.client;
  const api = (): SecretManagerServiceClient => {
    if (!client) {
      if (options.apiEndpoint) {
        const [host, port] = options.apiEndpoint.replace(/^https?:\/\//, '').split(':');
        client = new SecretManagerServiceClient({
          projectId: options.projectId,
          apiEndpoint: host ?? 'localhost',
          port: Number(port ?? 443),
          sslCreds: grpcCredentials.createInsecure(),
        });
      } else {
        client = new SecretManagerServiceClient({
          projectId: options.projectId,
          ...(options.keyFilename ? { keyFilename: options.keyFilename } : {}),
        });
      }
    }
    return client;
  };
  const parent = `projects/${options.projectId}`;
  const secretId = (name: string) => `${prefix}${toSecretId(name)}`;
  const secretPath = (name: string) => `${parent}/secrets/${secretId(name)}`;
  /** Secret Manager numbers versions; anything else names no version of this secret. */
  const versionPath = (name: string, version: string) => {
    if (!/^(\d+|latest)$/.test(version)) {
      throw new DriverError('NotFound', { detail: 'a Secret Manager version is a number or "latest"' });
    }
    return `${secretPath(name)}/versions/${version}`;
  };

  async function addVersion(name: string, data: Uint8Array): Promise<string> {
    const [version] = await api().addSecretVersion({
      parent: secretPath(name),
      payload: { data: Buffer.from(data), dataCrc32c: crc32cOf(data) },
    });
    reportUsage({ bytesOut: data.byteLength, units: { 'secretmanager.versions-added': 1 } });
    return lastSegment(version.name);
  }

  return {
    provider: PROVIDER,
    capabilities: CAPABILITIES,
    limits: SECRET_MANAGER_LIMITS,
    secretNameProblem(name) {
      const length = secretId(name).length;
      return length > MAX_SECRET_ID
        ? `it maps to a ${length}-character secret id (prefix included); Secret Manager allows ${MAX_SECRET_ID}`
        : undefined;
    },
    valueSize: (_value, bytes) => bytes.byteLength,
    errorCode: errorCodeOf,
    native: api,

    async put(name, value) {
      const data = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      try {
        return await addVersion(name, data);
      } catch (error) {
        if ((error as { code?: number }).code !== 5) throw error; // NOT_FOUND: create the secret first
      }
      try {
        await api().createSecret({
          parent,
          secretId: secretId(name),
          secret: { replication: replicationOf(replication) },
        });
      } catch (error) {
        if ((error as { code?: number }).code !== 6) throw error; // ALREADY_EXISTS: a concurrent put won
      }
      return addVersion(name, data);
    },

    async get(name, version = 'latest') {
      const [response] = await api().accessSecretVersion({ name: versionPath(name, version) });
      reportUsage({ units: { 'secretmanager.access-operations': 1 } });
      const raw = response.payload?.data;
      const data =
        raw instanceof Uint8Array ? new Uint8Array(raw) : new TextEncoder().encode(String(raw ?? ''));
      const expected = response.payload?.dataCrc32c;
      if (expected !== null && expected !== undefined && Number(expected) !== crc32cOf(data)) {
        // Corruption in transit: retryable, and the payload itself never enters the error.
        throw new DriverError('Unavailable', {
          detail: 'the payload failed its CRC32C check',
          retryable: true,
        });
      }
      reportUsage({ bytesIn: data.byteLength });
      return { version: lastSegment(response.name), value: data };
    },

    async listVersions(name, cursor) {
      const [versions, next] = await api().listSecretVersions(
        { parent: secretPath(name), pageSize: PAGE_SIZE, ...(cursor ? { pageToken: cursor } : {}) },
        { autoPaginate: false },
      );
      return {
        items: versions.map((v) => {
          const createdAt = timestampOf(v.createTime as { seconds?: unknown; nanos?: unknown } | null);
          const version = lastSegment(v.name);
          return {
            version,
            enabled: v.state === 'ENABLED',
            ...(createdAt ? { createdAt } : {}),
            order: [Number(version)],
          };
        }),
        cursor: next?.pageToken || undefined,
      };
    },

    async list(wantedPrefix, cursor) {
      const wanted = prefix + toSecretId(wantedPrefix);
      const [secrets, next] = await api().listSecrets(
        {
          parent,
          pageSize: PAGE_SIZE,
          ...(wanted ? { filter: `name:${wanted}` } : {}),
          ...(cursor ? { pageToken: cursor } : {}),
        },
        { autoPaginate: false },
      );
      const items: SecretListEntry[] = [];
      for (const secret of secrets) {
        const id = lastSegment(secret.name);
        if (!id.startsWith(prefix)) continue;
        const name = fromSecretId(id.slice(prefix.length));
        if (name === undefined) continue; // not an id this adapter writes
        const createdAt = timestampOf(secret.createTime as { seconds?: unknown; nanos?: unknown } | null);
        items.push({ name, ...(createdAt ? { createdAt } : {}) });
      }
      return { items, cursor: next?.pageToken || undefined };
    },

    async delete(name) {
      await api().deleteSecret({ name: secretPath(name) });
    },

    async setVersionState(name, version, state) {
      const request = { name: versionPath(name, version) };
      if (state === 'disable') await api().disableSecretVersion(request);
      else if (state === 'enable') await api().enableSecretVersion(request);
      else await api().destroySecretVersion(request);
    },

    async close() {
      const open = client;
      client = options.client;
      if (open && open !== options.client) await open.close();
    },
  };
}
