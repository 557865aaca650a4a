/**
 * A wire-compatible Azure Key Vault (secrets API, 7.x / 2025-07-01 request shapes) for the unmodified
 * `@azure/keyvault-secrets` client. Azure ships no Key Vault emulator.
 *
 * Speaks: the bearer challenge (an unauthenticated request gets 401 + `WWW-Authenticate: Bearer
 * authorization=…, resource=…`, the client then retries with a token), Set Secret, Get Secret
 * (latest or a version), Update Secret (PATCH, enabled/tags/contentType), List Secrets, List Secret
 * Versions (both paged with `nextLink`), Delete Secret, Get/List Deleted Secrets, Purge, Recover.
 * Names are case-insensitive, as on Key Vault. Served over HTTPS with a certificate generated at
 * startup: the client refuses bearer tokens over plain HTTP.
 *
 * Known divergences from the real service:
 * - The token is compared with a fixed test token; there is no Entra ID, RBAC or access policy, so
 *   403 Forbidden never happens.
 * - Deletion, recovery and purge are immediate (the real service completes them asynchronously; the
 *   client polls either way). recoveryLevel is always `Recoverable+Purgeable` (90 days), so purge is
 *   always allowed; purge protection is not modelled.
 * - No throttling (429), no nbf/exp enforcement, no certificate-backed or managed secrets, no
 *   backup/restore, no `contentType`-specific behaviour, value size limit checked as 25 KiB of UTF-8.
 * - Version ids are random 32-hex strings like the service's, but timestamps keep the service's
 *   one-second resolution only in the responses (ordering inside one second follows write order).
 * - Page size: `maxresults` (default 25) is honoured exactly; the real service may return fewer.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';

export const KEY_VAULT_TEST_TOKEN = 'cloudmux-key-vault-test-token';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const MAX_VALUE_BYTES = 25 * 1024;

interface Version {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  created: number;
  updated: number;
}

interface Secret {
  name: string;
  versions: Version[];
}

interface Deleted {
  secret: Secret;
  deletedDate: number;
  scheduledPurgeDate: number;
}

export interface KeyVaultServer {
  /** `https://127.0.0.1:<port>` */
  vaultUrl: string;
  /** PEM certificate of the server; trust it (only) in the test client. */
  certificate: string;
  /** Token the server accepts. */
  token: string;
  /** REST calls answered, excluding 401 challenges (Key Vault bills transactions). */
  transactions(): number;
  stop(): Promise<void>;
}

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly inner: string | undefined;
  constructor(status: number, code: string, message: string, inner?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.inner = inner;
  }
}

export async function startKeyVaultServer(options: { token?: string } = {}): Promise<KeyVaultServer> {
  const token = options.token ?? KEY_VAULT_TEST_TOKEN;
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    notAfterDate: new Date(Date.now() + 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
        ],
      },
    ],
  });
  const secrets = new Map<string, Secret>();
  const deleted = new Map<string, Deleted>();
  let transactions = 0;
  let base = '';

  const now = () => Math.floor(Date.now() / 1000);
  const secretId = (name: string, version?: string) =>
    `${base}/secrets/${name}${version ? `/${version}` : ''}`;
  const attributes = (v: Version) => ({
    enabled: v.enabled,
    created: v.created,
    updated: v.updated,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
  });
  const bundle = (s: Secret, v: Version) => ({
    value: v.value,
    id: secretId(s.name, v.version),
    attributes: attributes(v),
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    ...(v.tags ? { tags: v.tags } : {}),
  });
  const item = (s: Secret, v: Version, withVersion: boolean) => ({
    id: secretId(s.name, withVersion ? v.version : undefined),
    attributes: attributes(v),
    ...(v.contentType !== undefined ? { contentType: v.contentType } : {}),
    ...(v.tags ? { tags: v.tags } : {}),
  });
  const deletedBundle = (d: Deleted, withValue: boolean) => {
    const latest = d.secret.versions.at(-1) as Version;
    const body = withValue ? bundle(d.secret, latest) : item(d.secret, latest, true);
    return {
      ...body,
      recoveryId: `${base}/deletedsecrets/${d.secret.name}`,
      deletedDate: d.deletedDate,
      scheduledPurgeDate: d.scheduledPurgeDate,
    };
  };
  const find = (name: string): Secret => {
    const s = secrets.get(name.toLowerCase());
    if (!s)
      throw new HttpError(
        404,
        'SecretNotFound',
        `A secret with (name/id) ${name} was not found in this key vault.`,
      );
    return s;
  };
  const findVersion = (s: Secret, version: string): Version => {
    const v = s.versions.find((x) => x.version === version.toLowerCase());
    if (!v)
      throw new HttpError(
        404,
        'SecretNotFound',
        `A secret with (name/id) ${s.name}/${version} was not found in this key vault.`,
      );
    return v;
  };
  const page = <T>(url: URL, all: T[]) => {
    const max = Math.min(25, Math.max(1, Number(url.searchParams.get('maxresults') ?? 25)));
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const value = all.slice(skip, skip + max);
    let nextLink: string | null = null;
    if (skip + max < all.length) {
      const next = new URL(url.pathname, base);
      next.searchParams.set('api-version', url.searchParams.get('api-version') ?? '7.5');
      next.searchParams.set('maxresults', String(max));
      next.searchParams.set('$skiptoken', String(skip + max));
      nextLink = next.toString();
    }
    return { value, nextLink };
  };

  const route = (method: string, url: URL, body: Record<string, unknown>): [number, unknown] => {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [collection, name, third, fourth] = parts;
    if (collection === 'secrets' && name === undefined && method === 'GET') {
      const list = [...secrets.values()]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((s) => item(s, s.versions.at(-1) as Version, false));
      return [200, page(url, list)];
    }
    if (collection === 'secrets' && name !== undefined) {
      if (!NAME.test(name))
        throw new HttpError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
      if (method === 'PUT' && third === undefined) return [200, setSecret(name, body)];
      if (method === 'GET' && third === 'versions') {
        const s = find(name);
        return [
          200,
          page(
            url,
            [...s.versions].reverse().map((v) => item(s, v, true)),
          ),
        ];
      }
      if (method === 'GET') {
        const s = find(name);
        const v = third ? findVersion(s, third) : (s.versions.at(-1) as Version);
        return [200, bundle(s, v)];
      }
      if (method === 'PATCH' && third !== undefined) {
        const s = find(name);
        const v = third ? findVersion(s, third) : (s.versions.at(-1) as Version);
        const attrs = (body.attributes ?? {}) as { enabled?: boolean };
        if (attrs.enabled !== undefined) v.enabled = attrs.enabled;
        if (body.tags !== undefined) v.tags = body.tags as Record<string, string>;
        if (typeof body.contentType === 'string') v.contentType = body.contentType;
        v.updated = now();
        return [200, item(s, v, true)];
      }
      if (method === 'DELETE' && third === undefined) {
        const s = find(name);
        secrets.delete(name.toLowerCase());
        const d: Deleted = { secret: s, deletedDate: now(), scheduledPurgeDate: now() + 90 * 86400 };
        deleted.set(name.toLowerCase(), d);
        return [200, deletedBundle(d, false)];
      }
    }
    if (collection === 'deletedsecrets') {
      if (name === undefined && method === 'GET') {
        return [
          200,
          page(
            url,
            [...deleted.values()].map((d) => deletedBundle(d, false)),
          ),
        ];
      }
      if (name !== undefined) {
        const d = deleted.get(name.toLowerCase());
        if (!d) throw new HttpError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
        if (method === 'GET' && third === undefined) return [200, deletedBundle(d, false)];
        if (method === 'DELETE' && third === undefined) {
          deleted.delete(name.toLowerCase());
          return [204, undefined];
        }
        if (method === 'POST' && third === 'recover' && fourth === undefined) {
          if (secrets.has(name.toLowerCase()))
            throw new HttpError(409, 'Conflict', `Secret ${name} already exists`);
          deleted.delete(name.toLowerCase());
          secrets.set(name.toLowerCase(), d.secret);
          return [200, bundle(d.secret, d.secret.versions.at(-1) as Version)];
        }
      }
    }
    throw new HttpError(400, 'BadParameter', `Unsupported operation ${method} ${url.pathname}`);
  };

  const setSecret = (name: string, body: Record<string, unknown>) => {
    if (typeof body.value !== 'string')
      throw new HttpError(400, 'BadParameter', 'Property value is required');
    if (Buffer.byteLength(body.value) > MAX_VALUE_BYTES) {
      throw new HttpError(400, 'BadParameter', 'Secret value exceeds the 25 KB limit');
    }
    const key = name.toLowerCase();
    if (deleted.has(key)) {
      throw new HttpError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        'ObjectIsDeletedButRecoverable',
      );
    }
    let s = secrets.get(key);
    if (!s) {
      s = { name, versions: [] };
      secrets.set(key, s);
    }
    const attrs = (body.attributes ?? {}) as { enabled?: boolean };
    const v: Version = {
      version: randomBytes(16).toString('hex'),
      value: body.value,
      enabled: attrs.enabled ?? true,
      created: now(),
      updated: now(),
      ...(typeof body.contentType === 'string' ? { contentType: body.contentType } : {}),
      ...(body.tags ? { tags: body.tags as Record<string, string> } : {}),
    };
    s.versions.push(v);
    return bundle(s, v);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      const text = payload === undefined ? '' : JSON.stringify(payload);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-ms-request-id': randomBytes(8).toString('hex'),
        'x-ms-keyvault-service-version': '1.9.0.0',
        ...headers,
      });
      res.end(text);
    };
    if (req.headers.authorization !== `Bearer ${token}`) {
      send(
        401,
        { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
        {
          'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`,
        },
      );
      return;
    }
    transactions++;
    try {
      const url = new URL(req.url ?? '/', base);
      const text = Buffer.concat(chunks).toString();
      let body: Record<string, unknown> = {};
      if (text) {
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          throw new HttpError(400, 'BadParameter', 'The request body is not valid JSON');
        }
      }
      const [status, payload] = route(req.method ?? 'GET', url, body);
      send(status, payload);
    } catch (error) {
      if (error instanceof HttpError) {
        send(error.status, {
          error: {
            code: error.code,
            message: error.message,
            ...(error.inner ? { innererror: { code: error.inner } } : {}),
          },
        });
      } else {
        send(500, { error: { code: 'InternalServerError', message: String(error) } });
      }
    }
  };

  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    vaultUrl: base,
    certificate: pems.cert,
    token,
    transactions: () => transactions,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
