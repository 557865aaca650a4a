import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from './config.ts';
import { CloudmuxError, ConfigError } from './errors.ts';
import { openResources, type ProviderModule } from './registry.ts';
import type { SecretStoreDriver } from './secret-store/index.ts';

/**
 * Provider modules built here so the registry can be tested on its own; the real local provider
 * goes through the same path in packages/local/src/provider.test.ts.
 */
function fakeProvider(
  name: string,
  log: string[],
  options: { failSecretStore?: boolean } = {},
): ProviderModule {
  const secretStore = (opts: { label: string }): SecretStoreDriver => ({
    provider: name,
    capabilities: {
      versions: true,
      getVersion: true,
      listVersions: true,
      binaryValues: true,
      softDelete: false,
    },
    limits: { maxValueBytes: 1024 },
    secretNameProblem: () => undefined,
    valueSize: (_value, bytes) => bytes.byteLength,
    errorCode: () => 'Internal',
    native: () => undefined,
    put: async () => '1',
    get: async () => ({ version: '1', value: opts.label }),
    listVersions: async () => ({ items: [] }),
    list: async () => ({ items: [] }),
    delete: async () => {},
    close: async () => {
      log.push(`${name}.secretStore.close`);
    },
  });
  return {
    providerName: name,
    optionsSchema: z.object({ label: z.string().default(`${name}-default`) }).strict(),
    createSecretStore: (opts) => {
      if (options.failSecretStore) throw new CloudmuxError({ code: 'Unavailable', message: 'cannot open' });
      return secretStore(opts as { label: string });
    },
    createQueue: (opts) => {
      log.push(`${name}.queue.open:${(opts as { label: string }).label}`);
      return {
        provider: name,
        close: async () => {
          log.push(`${name}.queue.close`);
        },
      } as never;
    },
  } as ProviderModule;
}

function importerOf(modules: Record<string, ProviderModule>, imported: string[]) {
  return async (specifier: string) => {
    imported.push(specifier);
    const module = modules[specifier];
    if (!module) throw new Error(`Cannot find package '${specifier}'`);
    return module;
  };
}

describe('openResources', () => {
  it('imports only the chosen providers, one per resource, each with its own options', async () => {
    const log: string[] = [];
    const imported: string[] = [];
    const config = parseConfig({
      resources: { queue: 'alpha', secretStore: 'beta' },
      providers: { alpha: { label: 'A' }, beta: { label: 'B' } },
    });
    const resources = await openResources(config, {
      importer: importerOf(
        { 'pkg-alpha': fakeProvider('alpha', log), 'pkg-beta': fakeProvider('beta', log) },
        imported,
      ),
      providers: { alpha: 'pkg-alpha', beta: 'pkg-beta' },
      only: ['queue', 'secretStore'],
    });
    expect(imported).toEqual(['pkg-alpha', 'pkg-beta']);
    expect(log).toEqual(['alpha.queue.open:A']);
    expect((await resources.secretStore.get('x')).reveal()).toBe('B');
    expect(resources.secretStore.provider).toBe('beta');
    // Opened resources are metered.
    expect(resources.meter.summary().map((s) => `${s.provider}.${s.operation}`)).toEqual(['beta.get']);
    await resources.close();
    expect(log).toEqual(expect.arrayContaining(['alpha.queue.close', 'beta.secretStore.close']));
  });

  it('applies provider option defaults and reports bad options as providers.<name>.<field>', async () => {
    const log: string[] = [];
    const modules = { 'pkg-alpha': fakeProvider('alpha', log) };
    const ok = await openResources(parseConfig({ resources: { queue: 'alpha' } }), {
      importer: importerOf(modules, []),
      providers: { alpha: 'pkg-alpha' },
      only: ['queue'],
    });
    expect(log).toEqual(['alpha.queue.open:alpha-default']);
    await ok.close();

    const error = await openResources(
      parseConfig({ resources: { queue: 'alpha' }, providers: { alpha: { label: 3 } } }),
      { importer: importerOf(modules, []), providers: { alpha: 'pkg-alpha' }, only: ['queue'] },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('providers.alpha.label');
  });

  it('a provider without the resource is a ConfigError at resources.<kind>', async () => {
    const error = await openResources(parseConfig({ resources: { warehouse: 'alpha' } }), {
      importer: importerOf({ 'pkg-alpha': fakeProvider('alpha', []) }, []),
      providers: { alpha: 'pkg-alpha' },
      only: ['warehouse'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('resources.warehouse');
  });

  it('closes what it already opened when a later resource fails to open', async () => {
    const log: string[] = [];
    const error = await openResources(parseConfig({ resources: { queue: 'alpha', secretStore: 'alpha' } }), {
      importer: importerOf({ 'pkg-alpha': fakeProvider('alpha', log, { failSecretStore: true }) }, []),
      providers: { alpha: 'pkg-alpha' },
      only: ['queue', 'secretStore'],
    }).catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(error, 'Unavailable')).toBe(true);
    expect(log).toEqual(['alpha.queue.open:alpha-default', 'alpha.queue.close']);
  });

  it('a module that is not a provider is an Internal error', async () => {
    const error = await openResources(parseConfig({ resources: { queue: 'odd' } }), {
      importer: async () => ({ somethingElse: true }),
      providers: { odd: 'pkg-odd' },
      only: ['queue'],
    }).catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(error, 'Internal')).toBe(true);
  });

  it('builds the meter from config.meter (timeout applies to every call)', async () => {
    const slow: ProviderModule = {
      ...fakeProvider('alpha', []),
      createSecretStore: async (opts, context) => ({
        ...((await fakeProvider('alpha', []).createSecretStore?.(opts, context)) as SecretStoreDriver),
        get: () => new Promise<never>(() => {}),
      }),
    };
    const resources = await openResources(
      parseConfig({ resources: { secretStore: 'alpha' }, meter: { timeoutMs: 20, retry: false } }),
      {
        importer: importerOf({ 'pkg-alpha': slow }, []),
        providers: { alpha: 'pkg-alpha' },
        only: ['secretStore'],
      },
    );
    const error = await resources.secretStore.get('x').catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(error, 'Timeout')).toBe(true);
    await resources.close();
  });
});
