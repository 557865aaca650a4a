/**
 * A wire-compatible Secret Manager test server: gRPC (the transport the Node client uses by default)
 * with @grpc/grpc-js, serving google.cloud.secretmanager.v1.SecretManagerService from the service
 * definitions shipped inside @google-cloud/secret-manager itself, so the unmodified client talks to
 * it exactly as to the real service. State lives in memory; CRC32C is computed with the same
 * implementation the Storage client ships.
 *
 * Known divergences from the real service:
 * - No IAM, authentication, quotas or audit: every call is allowed.
 * - `ListSecrets` filters support only `name:<text>` (substring match on the secret id);
 *   `ListSecretVersions` filters are ignored. Pagination is offset-based.
 * - Only AccessSecretVersion, Add/Create/Get/Delete/List for secrets and versions, and
 *   Disable/Enable/DestroySecretVersion are implemented; UpdateSecret, IAM, rotation and
 *   etag-conditional requests answer UNIMPLEMENTED.
 * - Replication policy is validated for presence only; there are no locations or CMEK.
 * - No secret expiry/TTL, annotations, labels, version aliases or delayed destruction.
 * - Changes are visible immediately (the real service is also strongly consistent for these).
 */
import './offline.ts';
import { createRequire } from 'node:module';
import { CRC32C } from '@google-cloud/storage';
import {
  loadPackageDefinition,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';

const require = createRequire(import.meta.url);

interface Version {
  number: number;
  data: Buffer;
  crc32c: number;
  state: 'ENABLED' | 'DISABLED' | 'DESTROYED';
  createTime: { seconds: number; nanos: number };
  destroyTime?: { seconds: number; nanos: number };
}

interface Secret {
  id: string;
  replication: unknown;
  createTime: { seconds: number; nanos: number };
  versions: Version[];
}

class RpcError extends Error {
  readonly code: status;
  constructor(code: status, message: string) {
    super(message);
    this.code = code;
  }
}

const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;
const MAX_PAYLOAD = 64 * 1024;

function now() {
  const ms = Date.now();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

function crc32c(data: Buffer): number {
  const crc = new CRC32C();
  crc.update(data);
  return crc.valueOf() >>> 0;
}

export interface SecretManagerServer {
  /** `127.0.0.1:<port>` for the client's apiEndpoint (plain-text gRPC). */
  endpoint: string;
  stop(): Promise<void>;
}

export async function startSecretManagerServer(): Promise<SecretManagerServer> {
  const protos = require('@google-cloud/secret-manager/build/protos/protos.json');
  const definition = fromJSON(protos, { longs: String, enums: String, defaults: false, oneofs: true });
  const loaded = loadPackageDefinition(definition) as unknown as {
    google: { cloud: { secretmanager: { v1: { SecretManagerService: { service: never } } } } };
  };
  const secrets = new Map<string, Secret>();

  const parse = (name: string, kind: 'secret' | 'version') => {
    const m =
      kind === 'secret'
        ? /^projects\/([^/]+)\/secrets\/([^/]+)$/.exec(name)
        : /^projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/]+)$/.exec(name);
    if (!m) throw new RpcError(status.INVALID_ARGUMENT, `malformed ${kind} name`);
    return { project: m[1] as string, secret: m[2] as string, version: m[3] };
  };
  const findSecret = (name: string): Secret => {
    const { project, secret } = parse(name, 'secret');
    const found = secrets.get(`${project}/${secret}`);
    if (!found) throw new RpcError(status.NOT_FOUND, `Secret [${name}] not found or has no versions.`);
    return found;
  };
  const findVersion = (name: string): { secret: Secret; version: Version } => {
    const { project, secret: id, version } = parse(name, 'version');
    const secret = findSecret(`projects/${project}/secrets/${id}`);
    let found: Version | undefined;
    if (version === 'latest') {
      found = secret.versions.findLast((v) => v.state === 'ENABLED');
      if (!found) throw new RpcError(status.NOT_FOUND, `Secret Version [${name}] not found.`);
    } else {
      if (!/^\d+$/.test(version ?? '')) throw new RpcError(status.INVALID_ARGUMENT, 'invalid version id');
      found = secret.versions.find((v) => v.number === Number(version));
      if (!found) throw new RpcError(status.NOT_FOUND, `Secret Version [${name}] not found.`);
    }
    return { secret, version: found };
  };
  const projectOf = (name: string) => name.split('/')[1];
  const secretJson = (project: string, s: Secret) => ({
    name: `projects/${project}/secrets/${s.id}`,
    replication: s.replication,
    createTime: s.createTime,
  });
  const versionJson = (project: string, s: Secret, v: Version) => ({
    name: `projects/${project}/secrets/${s.id}/versions/${v.number}`,
    createTime: v.createTime,
    state: v.state,
    ...(v.destroyTime ? { destroyTime: v.destroyTime } : {}),
    clientSpecifiedPayloadChecksum: true,
  });
  const page = <T>(items: T[], request: { pageSize?: number; pageToken?: string }) => {
    const offset = request.pageToken ? Number(request.pageToken) : 0;
    const size = request.pageSize && request.pageSize > 0 ? request.pageSize : 25_000;
    const slice = items.slice(offset, offset + size);
    const next = offset + size < items.length ? String(offset + size) : '';
    return { slice, next, total: items.length };
  };

  type Handler = (request: Record<string, unknown>) => unknown;
  const unary =
    (handler: Handler) =>
    (call: ServerUnaryCall<Record<string, unknown>, unknown>, callback: sendUnaryData<unknown>) => {
      try {
        callback(null, handler(call.request));
      } catch (error) {
        if (error instanceof RpcError) callback({ code: error.code, details: error.message });
        else callback({ code: status.INTERNAL, details: String(error) });
      }
    };

  const implementation: UntypedServiceImplementation = {
    CreateSecret: unary((req) => {
      const parent = String(req.parent ?? '');
      const project = /^projects\/([^/]+)$/.exec(parent)?.[1];
      if (!project) throw new RpcError(status.INVALID_ARGUMENT, 'malformed parent');
      const id = String(req.secretId ?? '');
      if (!SECRET_ID.test(id)) throw new RpcError(status.INVALID_ARGUMENT, 'invalid secret id');
      const replication = (req.secret as { replication?: unknown } | undefined)?.replication;
      if (!replication) throw new RpcError(status.INVALID_ARGUMENT, 'Secret.replication is required');
      const key = `${project}/${id}`;
      if (secrets.has(key))
        throw new RpcError(status.ALREADY_EXISTS, `Secret [${parent}/secrets/${id}] already exists.`);
      const secret: Secret = { id, replication, createTime: now(), versions: [] };
      secrets.set(key, secret);
      return secretJson(project, secret);
    }),
    GetSecret: unary((req) => {
      const name = String(req.name ?? '');
      return secretJson(projectOf(name) as string, findSecret(name));
    }),
    DeleteSecret: unary((req) => {
      const name = String(req.name ?? '');
      findSecret(name);
      const { project, secret } = parse(name, 'secret');
      secrets.delete(`${project}/${secret}`);
      return {};
    }),
    ListSecrets: unary((req) => {
      const parent = String(req.parent ?? '');
      const project = /^projects\/([^/]+)$/.exec(parent)?.[1];
      if (!project) throw new RpcError(status.INVALID_ARGUMENT, 'malformed parent');
      const filter = String(req.filter ?? '');
      let contains = '';
      if (filter) {
        const m = /^name:(\S+)$/.exec(filter.trim());
        if (!m) throw new RpcError(status.INVALID_ARGUMENT, 'only name:<text> filters are supported here');
        contains = m[1] as string;
      }
      const all = [...secrets.entries()]
        .filter(([key, s]) => key.startsWith(`${project}/`) && s.id.includes(contains))
        .map(([, s]) => s)
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const { slice, next, total } = page(all, req as { pageSize?: number; pageToken?: string });
      return { secrets: slice.map((s) => secretJson(project, s)), nextPageToken: next, totalSize: total };
    }),
    AddSecretVersion: unary((req) => {
      const parent = String(req.parent ?? '');
      const secret = findSecret(parent);
      const payload = (req.payload ?? {}) as { data?: Buffer; dataCrc32c?: string };
      const data = Buffer.from(payload.data ?? Buffer.alloc(0));
      if (data.length > MAX_PAYLOAD) throw new RpcError(status.INVALID_ARGUMENT, 'payload exceeds 64 KiB');
      const checksum = crc32c(data);
      if (
        payload.dataCrc32c !== undefined &&
        payload.dataCrc32c !== null &&
        Number(payload.dataCrc32c) !== checksum
      ) {
        throw new RpcError(
          status.INVALID_ARGUMENT,
          'Checksum mismatch: data_crc32c does not match the payload.',
        );
      }
      const version: Version = {
        number: secret.versions.length + 1,
        data,
        crc32c: checksum,
        state: 'ENABLED',
        createTime: now(),
      };
      secret.versions.push(version);
      return versionJson(projectOf(parent) as string, secret, version);
    }),
    GetSecretVersion: unary((req) => {
      const name = String(req.name ?? '');
      const { secret, version } = findVersion(name);
      return versionJson(projectOf(name) as string, secret, version);
    }),
    AccessSecretVersion: unary((req) => {
      const name = String(req.name ?? '');
      const { secret, version } = findVersion(name);
      if (version.state !== 'ENABLED') {
        throw new RpcError(
          status.FAILED_PRECONDITION,
          `Secret Version [${name}] is in ${version.state} state.`,
        );
      }
      return {
        name: `projects/${projectOf(name)}/secrets/${secret.id}/versions/${version.number}`,
        payload: { data: version.data, dataCrc32c: String(version.crc32c) },
      };
    }),
    ListSecretVersions: unary((req) => {
      const parent = String(req.parent ?? '');
      const secret = findSecret(parent);
      const newestFirst = [...secret.versions].reverse();
      const { slice, next, total } = page(newestFirst, req as { pageSize?: number; pageToken?: string });
      return {
        versions: slice.map((v) => versionJson(projectOf(parent) as string, secret, v)),
        nextPageToken: next,
        totalSize: total,
      };
    }),
    DisableSecretVersion: unary((req) => transition(String(req.name ?? ''), 'DISABLED')),
    EnableSecretVersion: unary((req) => transition(String(req.name ?? ''), 'ENABLED')),
    DestroySecretVersion: unary((req) => transition(String(req.name ?? ''), 'DESTROYED')),
  };

  function transition(name: string, state: Version['state']) {
    const { secret, version } = findVersion(name);
    if (version.state === 'DESTROYED') {
      throw new RpcError(status.FAILED_PRECONDITION, `Secret Version [${name}] is destroyed.`);
    }
    version.state = state;
    if (state === 'DESTROYED') {
      version.data = Buffer.alloc(0);
      version.destroyTime = now();
    }
    return versionJson(projectOf(name) as string, secret, version);
  }

  const server = new Server();
  server.addService(loaded.google.cloud.secretmanager.v1.SecretManagerService.service, implementation);
  const port = await new Promise<number>((resolvePort, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolvePort(bound),
    ),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolveStop) => {
        server.tryShutdown(() => resolveStop());
      }),
  };
}
