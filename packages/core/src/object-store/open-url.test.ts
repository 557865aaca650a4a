import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.ts';
import { objectStoreUrlConfig, openObjectStore } from './open-url.ts';

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
      objectStoreUrlConfig(
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
    expect(objectStoreUrlConfig('gs://lake?projectId=p')).toEqual({
      provider: 'gcp',
      options: { projectId: 'p', storage: { bucket: 'lake', prefix: '' } },
    });
    expect(objectStoreUrlConfig('azblob://lake/a%20b/')).toEqual({
      provider: 'azure',
      options: { blob: { container: 'lake', prefix: 'a b/' } },
    });
    expect(objectStoreUrlConfig('file:///srv/cloudmux/objects/')).toEqual({
      provider: 'local',
      options: { root: '/srv/cloudmux', objectStore: { dir: '/srv/cloudmux/objects' } },
    });
  });

  it('refuse an unknown scheme, an unknown parameter or a missing bucket with a config error naming it', () => {
    expect(configErrorOf(() => objectStoreUrlConfig('ftp://lake/x')).code).toBe('InvalidArgument');
    const unknown = configErrorOf(() => objectStoreUrlConfig('s3://lake/x?secretAccessKey=oops'));
    expect(unknown.field).toBe('url ?secretAccessKey');
    // Credentials never travel in a URL, and a value put there anyway is never echoed.
    expect(unknown.message).not.toContain('oops');
    expect(configErrorOf(() => objectStoreUrlConfig('gs:///x')).code).toBe('InvalidArgument');
    expect(configErrorOf(() => objectStoreUrlConfig('not a url')).code).toBe('InvalidArgument');
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
