/**
 * The self-hosted stack: open-source servers the user runs (an S3-compatible server such as MinIO,
 * NATS with JetStream, Trino over the lake), priced from machine-hours the user states. Credentials never travel in a
 * URL: the S3 keys and the secret key come from the environment variables the options name.
 */

import { ConfigError } from '../errors.ts';
import { defineProvider, type ParsedResourceUrl } from './types.ts';
import { defined, directoryPrefix, flag, namePrefix, positiveInteger } from './url-options.ts';

/** What every S3-compatible URL may say: the server's endpoint (required by the options) and region. */
const S3 = ['endpoint', 'region'] as const;
const s3 = (url: ParsedResourceUrl, prefix: string | undefined) =>
  defined({ endpoint: url.query.get('endpoint'), region: url.query.get('region'), bucket: url.host, prefix });

const TRINO_EXAMPLE = 'trino://trino.internal:8080/lake/cloudmux';

/**
 * Trino's JDBC form without `jdbc:` — `trino://host:port/catalog[/schema]` — with `?tls=true` for an
 * HTTPS coordinator; the password stays in the environment variable `passwordEnv` names.
 */
function trinoOptions(url: ParsedResourceUrl): Record<string, unknown> {
  const [catalog, schema, ...rest] = url.path.replace(/\/+$/, '').split('/');
  if (!catalog || rest.length > 0) {
    throw new ConfigError({
      field: 'url path',
      problem: catalog ? `'${url.path}' is not catalog/schema` : 'names no catalog',
      fix: `write it as ${TRINO_EXAMPLE}`,
    });
  }
  const protocol = flag(url, 'tls') ? 'https' : 'http';
  return {
    trino: defined({
      endpoint: `${protocol}://${url.host}${url.port ? `:${url.port}` : ''}`,
      catalog,
      schema: schema || undefined,
      user: url.query.get('user'),
      passwordEnv: url.query.get('passwordEnv'),
      maxStatementLength: positiveInteger(url, 'maxStatementLength'),
    }),
  };
}

export const SELFHOSTED_PROVIDER = defineProvider({
  name: 'selfhosted',
  package: '@cloudmux/selfhosted',
  kind: 'selfHosted',
  title:
    'your own servers: an S3-compatible object store (MinIO), NATS JetStream, Trino over the lake, encrypted secrets on S3',
  schemes: {
    objectStore: {
      s3compat: {
        parameters: S3,
        host: 'bucket',
        example: 's3compat://bucket/prefix?endpoint=https://minio.internal:9000',
        options: (url) => ({ s3: s3(url, directoryPrefix(url) || undefined) }),
      },
    },
    queue: {
      nats: {
        parameters: [],
        host: 'server',
        example: 'nats://nats.internal:4222/stream-prefix-',
        options: (url) => ({
          nats: defined({
            servers: `nats://${url.host}${url.port ? `:${url.port}` : ''}`,
            streamPrefix: namePrefix(url),
          }),
        }),
      },
    },
    warehouse: {
      trino: {
        parameters: ['tls', 'user', 'passwordEnv', 'maxStatementLength'],
        host: 'coordinator',
        example: `${TRINO_EXAMPLE}?user=cloudmux`,
        options: trinoOptions,
      },
    },
    secretStore: {
      s3secrets: {
        parameters: [...S3, 'keyEnv', 'keyFile'],
        host: 'bucket',
        example:
          's3secrets://bucket/cloudmux-secrets/?endpoint=https://minio.internal:9000&keyEnv=CLOUDMUX_SECRET_KEY',
        options: (url) => ({
          s3: s3(url, undefined),
          secretStore: defined({
            prefix: directoryPrefix(url) || undefined,
            keyEnv: url.query.get('keyEnv'),
            keyFile: url.query.get('keyFile'),
          }),
        }),
      },
    },
  },
});
