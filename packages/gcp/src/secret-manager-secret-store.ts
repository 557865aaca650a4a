/**
 * SecretStore on Secret Manager with the official `@google-cloud/secret-manager` client (gRPC).
 *
 * - A secret's id is `<prefix><toSecretId(name)>` (see secret-id.ts: names with `/`, `.`, `_` or
 *   any other character map reversibly into Secret Manager's id alphabet); `put` adds a version, creating the secret (with the configured
 *   replication) on first use. Version ids are Secret Manager's per-secret numbers ('1', '2', …).
 * - Payloads are bytes end to end and carry a CRC32C checksum both ways: sent with
 *   addSecretVersion (the service rejects a mismatch) and verified on access.
 * - `list({ prefix })` narrows server-side with a `name:` filter on the mapped prefix, keeps exact
 *   prefix matches and reports each secret by its decoded original name.
 * - Deletion is immediate in Secret Manager (no recovery window), so `softDelete` is false.
 * - Billing: each access is one `secretmanager.access-operations` unit; `secretmanager.versions-added`
 *   counts new versions, from which the active-version months of the price table follow.
 */
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
import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { CRC32C } from '@google-cloud/storage';
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { type CallContext, gcpCall, invalidArgument, PROVIDER, toCloudmuxError } from './errors.ts';
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
}

const CAPABILITIES: SecretStoreCapabilities = {
  versions: true,
  getVersion: true,
  listVersions: true,
  binaryValues: true,
  softDelete: false,
};

/** Secret Manager's payload limit. */
const MAX_PAYLOAD_BYTES = 64 * 1024;

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

export interface SecretManagerSecretStore extends SecretStore {
  /** Disables a version: it stays listed but cannot be accessed until enabled again. */
  disableVersion(name: string, version: string): Promise<void>;
  enableVersion(name: string, version: string): Promise<void>;
  /** Destroys a version's payload irrevocably. */
  destroyVersion(name: string, version: string): Promise<void>;
}

export function createSecretManagerSecretStore(
  options: SecretManagerSecretStoreOptions,
): SecretManagerSecretStore {
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
  const ctx = (operation: string): CallContext => ({ resource: 'secretStore', operation });
  const secretId = (name: string) => `${prefix}${toSecretId(name)}`;
  const secretPath = (name: string) => `${parent}/secrets/${secretId(name)}`;
  const checkName = (name: string, context: CallContext) => {
    assertSecretName(PROVIDER, name);
    const length = secretId(name).length;
    if (length > MAX_SECRET_ID)
      throw invalidArgument(
        context,
        `secret name maps to a ${length}-character secret id (prefix included); Secret Manager allows ${MAX_SECRET_ID}`,
      );
  };
  const checkVersion = (version: string, context: CallContext) => {
    if (!/^(\d+|latest)$/.test(version))
      throw invalidArgument(context, 'a Secret Manager version is a number or "latest"');
  };

  async function addVersion(name: string, data: Uint8Array): Promise<string> {
    const [version] = await api().addSecretVersion({
      parent: secretPath(name),
      payload: { data: Buffer.from(data), dataCrc32c: crc32cOf(data) },
    });
    reportUsage({ bytesOut: data.byteLength, units: { 'secretmanager.versions-added': 1 } });
    return lastSegment(version.name);
  }

  async function setState(name: string, version: string, operation: 'disable' | 'enable' | 'destroy') {
    const context = ctx(`${operation}Version`);
    checkName(name, context);
    checkVersion(version, context);
    const request = { name: `${secretPath(name)}/versions/${version}` };
    await gcpCall(context, async () => {
      if (operation === 'disable') await api().disableSecretVersion(request);
      else if (operation === 'enable') await api().enableSecretVersion(request);
      else await api().destroySecretVersion(request);
    });
  }

  return {
    provider: PROVIDER,
    capabilities: CAPABILITIES,

    async put(name, value) {
      const context = ctx('put');
      checkName(name, context);
      const data = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      if (data.byteLength > MAX_PAYLOAD_BYTES)
        throw invalidArgument(context, 'secret payloads are limited to 64 KiB');
      return gcpCall(context, async () => {
        try {
          return { version: await addVersion(name, data) };
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
        return { version: await addVersion(name, data) };
      });
    },

    async get(name, getOptions = {}) {
      const context = ctx('get');
      checkName(name, context);
      const version = getOptions.version ?? 'latest';
      checkVersion(version, context);
      const [response] = await gcpCall(context, () =>
        api().accessSecretVersion({ name: `${secretPath(name)}/versions/${version}` }),
      );
      reportUsage({ units: { 'secretmanager.access-operations': 1 } });
      const raw = response.payload?.data;
      const data =
        raw instanceof Uint8Array ? new Uint8Array(raw) : new TextEncoder().encode(String(raw ?? ''));
      const expected = response.payload?.dataCrc32c;
      if (expected !== null && expected !== undefined && Number(expected) !== crc32cOf(data)) {
        // Corruption in transit: retryable, and the payload itself never enters the error.
        throw new CloudmuxError({
          code: 'Unavailable',
          message: 'secret payload failed its CRC32C check',
          provider: PROVIDER,
          resource: 'secretStore',
          operation: 'get',
        });
      }
      reportUsage({ bytesIn: data.byteLength });
      return new SecretValue(name, lastSegment(response.name), data);
    },

    async listVersions(name) {
      const context = ctx('listVersions');
      checkName(name, context);
      const [versions] = await gcpCall(context, () => api().listSecretVersions({ parent: secretPath(name) }));
      const infos = versions
        .map((v): SecretVersionInfo => {
          const createdAt = timestampOf(v.createTime as { seconds?: unknown; nanos?: unknown } | null);
          return {
            version: lastSegment(v.name),
            enabled: v.state === 'ENABLED',
            ...(createdAt ? { createdAt } : {}),
          };
        })
        .sort((a, b) => Number(b.version) - Number(a.version));
      const latest = infos.find((v) => v.enabled);
      if (latest) latest.stages = ['latest'];
      return infos;
    },

    async list(listOptions = {}) {
      const wanted = prefix + toSecretId(listOptions.prefix ?? '');
      const [secrets] = await gcpCall(ctx('list'), () =>
        api().listSecrets({ parent, ...(wanted ? { filter: `name:${wanted}` } : {}) }),
      );
      const entries: SecretListEntry[] = [];
      for (const secret of secrets) {
        const id = lastSegment(secret.name);
        if (!id.startsWith(wanted)) continue;
        const name = fromSecretId(id.slice(prefix.length));
        if (name === undefined) continue; // not an id this adapter writes
        const createdAt = timestampOf(secret.createTime as { seconds?: unknown; nanos?: unknown } | null);
        entries.push({ name, ...(createdAt ? { createdAt } : {}) });
      }
      return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async delete(name) {
      checkName(name, ctx('delete'));
      await gcpCall(ctx('delete'), () => api().deleteSecret({ name: secretPath(name) }));
    },

    disableVersion: (name, version) => setState(name, version, 'disable'),
    enableVersion: (name, version) => setState(name, version, 'enable'),
    destroyVersion: (name, version) => setState(name, version, 'destroy'),

    async close() {
      const open = client;
      client = options.client;
      if (open && open !== options.client)
        await open.close().catch((error) => {
          throw toCloudmuxError(error, ctx('close'));
        });
    },
  };
}
