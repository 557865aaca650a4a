import { S3_MULTIPART_OPTIONS } from '@cloudmux/aws';
import { ConfigError, requireProviderSection } from '@cloudmux/core';
import { z } from 'zod';

/**
 * Options of the self-hosted provider (`providers.selfhosted` in the config): an S3-compatible
 * server for objects and secrets, a NATS server with JetStream for queues. Credentials are read
 * from the environment (the variables named here), never from the config file.
 */
export const selfhostedOptionsSchema = z
  .object({
    /** The S3-compatible server (MinIO, SeaweedFS, Ceph RGW, Garage …). */
    s3: z
      .object({
        /** Its URL, e.g. `https://minio.internal:9000`. */
        endpoint: z.string().url(),
        /** Bucket holding the objects (must exist). */
        bucket: z.string().min(3),
        /** Key prefix every object is stored under, e.g. `lake/`. Default none. */
        prefix: z.string().optional(),
        /** Region the server expects in signatures; most accept any. Default `us-east-1`. */
        region: z.string().min(1).default('us-east-1'),
        /** Environment variable holding the access key. Default `AWS_ACCESS_KEY_ID`. */
        accessKeyEnv: z.string().min(1).default('AWS_ACCESS_KEY_ID'),
        /** Environment variable holding the secret key. Default `AWS_SECRET_ACCESS_KEY`. */
        secretKeyEnv: z.string().min(1).default('AWS_SECRET_ACCESS_KEY'),
        /**
         * Static keys. Only for test servers whose throwaway keys every process must find in the
         * config (the emulator stacks); real deployments leave this out and use the variables above.
         */
        credentials: z
          .object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) })
          .strict()
          .optional(),
        ...S3_MULTIPART_OPTIONS,
      })
      .strict()
      .optional(),
    /** The NATS server(s) with JetStream enabled (`nats-server -js`). */
    nats: z
      .object({
        /** Server URLs, e.g. `nats://nats-1.internal:4222`; several for a cluster. */
        servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
        /** Prefix of every stream name cloudmux creates or uses. Default `cloudmux-`. */
        streamPrefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, `_` and `-` only (a NATS stream name)')
          .default('cloudmux-'),
        /** Environment variable holding an auth token, when the server wants one. Default `NATS_TOKEN`. */
        tokenEnv: z.string().min(1).default('NATS_TOKEN'),
      })
      .strict()
      .optional(),
    /**
     * The warehouse: a Trino coordinator whose Hive catalog keeps its tables on the S3 server
     * above and reads the lake from it (see the README for the catalog file).
     */
    trino: z
      .object({
        /** The coordinator's URL, e.g. `http://trino.internal:8080`. */
        endpoint: z.string().url(),
        /** The Hive catalog (`etc/catalog/<name>.properties`, `connector.name=hive`). */
        catalog: z.string().min(1),
        /** Schema (Hive database) of cloudmux's tables; created if missing. Default `cloudmux`. */
        schema: z.string().min(1).default('cloudmux'),
        /** Trino user. Default `cloudmux`. */
        user: z.string().min(1).default('cloudmux'),
        /** Environment variable holding the password (basic auth, HTTPS only), when the server wants one. Default `TRINO_PASSWORD`. */
        passwordEnv: z.string().min(1).default('TRINO_PASSWORD'),
        /** Trino's `query.max-length` on this server. Default 1,000,000 (Trino's default). */
        maxStatementLength: z.number().int().min(10_000).default(1_000_000),
      })
      .strict()
      .optional(),
    /** Secrets: encrypted objects in the S3 bucket above. */
    secretStore: z
      .object({
        /** Key prefix of the secret objects inside the bucket. Default `cloudmux-secrets/`. */
        prefix: z.string().min(1).default('cloudmux-secrets/'),
        /** Environment variable holding the 32-byte key (base64 or hex). Default `CLOUDMUX_SECRET_KEY`. */
        keyEnv: z.string().min(1).default('CLOUDMUX_SECRET_KEY'),
        /**
         * File holding the key, read when the variable is unset (a mounted secret, a systemd
         * credential); relative to the config's directory. Never created: a lost key is not replaced.
         */
        keyFile: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type SelfhostedOptions = z.output<typeof selfhostedOptionsSchema>;
export type SelfhostedOptionsInput = z.input<typeof selfhostedOptionsSchema>;

/** The config section a resource needs, or a ConfigError naming it. */
export function requireSection<K extends 's3' | 'nats' | 'trino'>(
  options: SelfhostedOptions,
  key: K,
  example: string,
): NonNullable<SelfhostedOptions[K]> {
  return requireProviderSection(
    'selfhosted',
    key,
    options[key] as NonNullable<SelfhostedOptions[K]> | undefined,
    example,
  );
}

/** A credential from the environment variable `name`, or a ConfigError naming the field and variable. */
export function requireEnv(env: NodeJS.ProcessEnv, name: string, field: string): string {
  const value = env[name];
  if (!value) {
    throw new ConfigError({
      field,
      problem: `the environment variable ${name} is not set`,
      fix: `set ${name}, or name another variable in ${field}`,
    });
  }
  return value;
}
