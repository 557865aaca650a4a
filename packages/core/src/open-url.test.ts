import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { openObjectStore, openQueue, resourceUrlConfig } from './open-url.ts';
import { PROVIDERS, RESOURCE_NAMES, type ResourceName, urlSchemes } from './providers/index.ts';

const configErrorOf = (run: () => unknown): ConfigError => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('object store URLs', () => {
  it('map each scheme to its provider and the config the URL stands for', () => {
    expect(
      resourceUrlConfig(
        'objectStore',
        's3://lake/raw/events?region=eu-west-1&endpoint=http://127.0.0.1:5000&forcePathStyle=true',
      ),
    ).toEqual({
      provider: 'aws',
      options: {
        region: 'eu-west-1',
        endpoints: { s3: 'http://127.0.0.1:5000' },
        s3: { bucket: 'lake', prefix: 'raw/events/', forcePathStyle: true },
      },
    });
    expect(resourceUrlConfig('objectStore', 'gs://lake?projectId=p')).toEqual({
      provider: 'gcp',
      options: { projectId: 'p', storage: { bucket: 'lake', prefix: '' } },
    });
    expect(resourceUrlConfig('objectStore', 'azblob://lake/a%20b/')).toEqual({
      provider: 'azure',
      options: { blob: { container: 'lake', prefix: 'a b/' } },
    });
    expect(resourceUrlConfig('objectStore', 'file:///srv/cloudmux/objects/')).toEqual({
      provider: 'local',
      options: { root: '/srv/cloudmux', objectStore: { dir: '/srv/cloudmux/objects' } },
    });
  });

  it('refuse an unknown scheme, an unknown parameter or a missing bucket with a config error naming it', () => {
    expect(configErrorOf(() => resourceUrlConfig('objectStore', 'ftp://lake/x')).code).toBe(
      'InvalidArgument',
    );
    const unknown = configErrorOf(() => resourceUrlConfig('objectStore', 's3://lake/x?secretAccessKey=oops'));
    expect(unknown.field).toBe('url ?secretAccessKey');
    // Credentials never travel in a URL, and a value put there anyway is never echoed.
    expect(unknown.message).not.toContain('oops');
    expect(configErrorOf(() => resourceUrlConfig('objectStore', 'gs:///x')).field).toBe('url host');
    expect(configErrorOf(() => resourceUrlConfig('objectStore', 'not a url')).field).toBe('url');
  });

  it('refuses a provider package that cannot be imported, naming the package', async () => {
    const error = await openObjectStore('s3://lake', {
      // A real import from @cloudmux/core, which does not depend on @cloudmux/aws: Node's own
      // ERR_MODULE_NOT_FOUND naming the package.
      importer: (specifier) => import(specifier),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    // The fix names the package to install.
    expect((error as ConfigError).fix).toContain('@cloudmux/aws');
  });
});

describe('queue, warehouse and secret store URLs', () => {
  it('map each queue scheme to its provider', () => {
    expect(
      resourceUrlConfig('queue', 'sqs:///prod-?region=eu-west-1&endpoint=http://127.0.0.1:5000'),
    ).toEqual({
      provider: 'aws',
      options: {
        region: 'eu-west-1',
        endpoints: { sqs: 'http://127.0.0.1:5000' },
        sqs: { queuePrefix: 'prod-' },
      },
    });
    // No path: the provider's default prefix stays.
    expect(resourceUrlConfig('queue', 'sqs://')).toEqual({ provider: 'aws', options: { sqs: {} } });
    expect(resourceUrlConfig('queue', 'gcppubsub://my-project/app-?endpoint=127.0.0.1:8085')).toEqual({
      provider: 'gcp',
      options: { projectId: 'my-project', pubsub: { topicPrefix: 'app-', apiEndpoint: '127.0.0.1:8085' } },
    });
    expect(resourceUrlConfig('queue', 'azqueue:///jobs-?connectionStringEnv=QUEUE_CS')).toEqual({
      provider: 'azure',
      options: { queue: { queuePrefix: 'jobs-', connectionStringEnv: 'QUEUE_CS' } },
    });
    expect(resourceUrlConfig('queue', 'sqlite:///srv/cm/queue.sqlite?synchronous=FULL')).toEqual({
      provider: 'local',
      options: { root: '/srv/cm', queue: { file: '/srv/cm/queue.sqlite', synchronous: 'FULL' } },
    });
  });

  it('map each warehouse scheme to its provider', () => {
    expect(
      resourceUrlConfig('warehouse', 'redshift://wg/dev?region=us-east-1&iamRoleArn=arn:aws:iam::1:role/r'),
    ).toEqual({
      provider: 'aws',
      options: {
        region: 'us-east-1',
        redshift: { workgroupName: 'wg', database: 'dev', iamRoleArn: 'arn:aws:iam::1:role/r' },
      },
    });
    expect(resourceUrlConfig('warehouse', 'redshift:///dev?clusterIdentifier=c1&dbUser=admin')).toEqual({
      provider: 'aws',
      options: { redshift: { clusterIdentifier: 'c1', dbUser: 'admin', database: 'dev' } },
    });
    expect(resourceUrlConfig('warehouse', 'bigquery://my-project/analytics?location=EU')).toEqual({
      provider: 'gcp',
      options: { projectId: 'my-project', bigquery: { dataset: 'analytics', location: 'EU' } },
    });
    expect(
      resourceUrlConfig(
        'warehouse',
        'synapse://127.0.0.1:14330/db?user=sa&passwordEnv=PW&encrypt=false&loadCredential=sas',
      ),
    ).toEqual({
      provider: 'azure',
      options: {
        synapse: {
          server: '127.0.0.1',
          port: 14330,
          database: 'db',
          authentication: { type: 'sql', user: 'sa', passwordEnv: 'PW' },
          encrypt: false,
          loadCredential: 'sas',
        },
      },
    });
    expect(resourceUrlConfig('warehouse', 'duckdb:///srv/cm/wh.duckdb?threads=2&memoryLimit=1GB')).toEqual({
      provider: 'local',
      options: { root: '/srv/cm', warehouse: { file: '/srv/cm/wh.duckdb', threads: 2, memoryLimit: '1GB' } },
    });
  });

  it('map each secret store scheme to its provider', () => {
    expect(resourceUrlConfig('secretStore', 'awssecretsmanager:///app/prod/?forceDelete=true')).toEqual({
      provider: 'aws',
      options: { secretsManager: { prefix: 'app/prod/', forceDelete: true } },
    });
    expect(resourceUrlConfig('secretStore', 'gcpsecretmanager://my-project/app-')).toEqual({
      provider: 'gcp',
      options: { projectId: 'my-project', secretManager: { prefix: 'app-' } },
    });
    expect(resourceUrlConfig('secretStore', 'azurekeyvault://my-vault')).toEqual({
      provider: 'azure',
      options: { keyVault: { vaultUrl: 'https://my-vault.vault.azure.net' } },
    });
    expect(resourceUrlConfig('secretStore', 'azurekeyvault://127.0.0.1:8443?purgeOnDelete=true')).toEqual({
      provider: 'azure',
      options: { keyVault: { vaultUrl: 'https://127.0.0.1:8443', purgeOnDelete: true } },
    });
    expect(resourceUrlConfig('secretStore', 'file:///srv/cm/secrets?keyEnv=KEY')).toEqual({
      provider: 'local',
      options: { root: '/srv/cm', secretStore: { dir: '/srv/cm/secrets', keyEnv: 'KEY' } },
    });
  });

  it('a scheme opens only the resource it is for: file:// is an object store or a secret store, never a queue', () => {
    expect(resourceUrlConfig('objectStore', 'file:///srv/x').provider).toBe('local');
    const error = configErrorOf(() => resourceUrlConfig('queue', 'file:///srv/x'));
    expect(error.field).toBe('url');
    expect(error.fix).toContain('sqlite://');
    expect(configErrorOf(() => resourceUrlConfig('warehouse', 's3://bucket/x')).fix).toContain('bigquery://');
  });

  it('refuse each bad part with a ConfigError naming it, never echoing its value', () => {
    const cases: [ResourceName, string, string][] = [
      ['queue', 'sqs://prod-/', 'url host'],
      ['queue', 'gcppubsub:///prefix', 'url host'],
      ['queue', 'sqlite:///', 'url path'],
      ['queue', 'sqs:///p?region=eu-west-1#frag', 'url #fragment'],
      ['queue', 'gcppubsub://AKIA:hunter2@project/p', 'url user'],
      ['warehouse', 'bigquery://p', 'url path'],
      ['warehouse', 'bigquery://p/a/b', 'url path'],
      ['warehouse', 'duckdb:///x.duckdb?threads=-1', 'url ?threads'],
      ['warehouse', 'synapse://s/db?encrypt=yes', 'url ?encrypt'],
      ['secretStore', 'azurekeyvault://', 'url host'],
      ['secretStore', 'awssecretsmanager:///p?recoveryWindowDays=0', 'url ?recoveryWindowDays'],
      ['objectStore', 'file://elsewhere/srv/x', 'url host'],
      ['objectStore', 's3://bucket/%E0%A4%A', 'url path'],
    ];
    for (const [resource, url, field] of cases) {
      const error = configErrorOf(() => resourceUrlConfig(resource, url));
      expect({ url, field: error.field, code: error.code }).toEqual({ url, field, code: 'InvalidArgument' });
      expect(error.message).not.toContain('hunter2');
    }
  });

  it('every built-in provider opens every resource it serves from a URL scheme of its own', () => {
    for (const resource of RESOURCE_NAMES) {
      expect(new Set(PROVIDERS.filter((p) => p.schemes[resource]).map((p) => p.name))).toEqual(
        new Set(['local', 'aws', 'gcp', 'azure', 'selfhosted']),
      );
      const schemes = urlSchemes(resource);
      expect(new Set(schemes).size).toBe(schemes.length);
    }
  });

  it('opening imports the provider the scheme names, and only it', async () => {
    const imported: string[] = [];
    const error = await openQueue('gcppubsub://p/x-', {
      importer: async (specifier) => {
        imported.push(specifier);
        throw Object.assign(new Error(`Cannot find package '${specifier}'`), {
          code: 'ERR_MODULE_NOT_FOUND',
        });
      },
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(imported).toEqual(['@cloudmux/gcp']);
    expect((error as ConfigError).fix).toContain('@cloudmux/gcp');
  });
});

describe('self-hosted URLs', () => {
  it('s3compat, nats and s3secrets name the server, bucket and prefixes; credentials stay out', () => {
    expect(resourceUrlConfig('objectStore', 's3compat://lake/raw/?endpoint=http://minio:9000')).toMatchObject(
      {
        provider: 'selfhosted',
        options: { s3: { endpoint: 'http://minio:9000', bucket: 'lake', prefix: 'raw/' } },
      },
    );
    expect(resourceUrlConfig('queue', 'nats://nats.internal:4222/prod-')).toMatchObject({
      provider: 'selfhosted',
      options: { nats: { servers: 'nats://nats.internal:4222', streamPrefix: 'prod-' } },
    });
    expect(
      resourceUrlConfig('secretStore', 's3secrets://lake/secrets/?endpoint=http://minio:9000&keyEnv=MY_KEY'),
    ).toMatchObject({
      provider: 'selfhosted',
      options: { s3: { bucket: 'lake' }, secretStore: { prefix: 'secrets/', keyEnv: 'MY_KEY' } },
    });
  });

  it('trino names the coordinator, catalog and schema as JDBC does; a path without a catalog is refused', () => {
    expect(
      resourceUrlConfig('warehouse', 'trino://trino.internal:8443/lake/analytics?tls=true&user=etl'),
    ).toEqual({
      provider: 'selfhosted',
      options: {
        trino: { endpoint: 'https://trino.internal:8443', catalog: 'lake', schema: 'analytics', user: 'etl' },
      },
    });
    expect(resourceUrlConfig('warehouse', 'trino://trino:8080/lake')).toMatchObject({
      options: { trino: { endpoint: 'http://trino:8080', catalog: 'lake' } },
    });
    for (const url of ['trino://trino:8080', 'trino://trino:8080/lake/a/b']) {
      expect(configErrorOf(() => resourceUrlConfig('warehouse', url)).field).toBe('url path');
    }
  });
});
