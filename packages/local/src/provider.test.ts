import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, openResources, parseConfig, type ResourceName } from '@cloudmux/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cloudmux-provider-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Imports through the real module loader and remembers what was asked for. */
function recordingImporter() {
  const imported: string[] = [];
  return {
    imported,
    importer: (specifier: string) => {
      imported.push(specifier);
      return import(specifier);
    },
  };
}

async function configErrorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('the local provider through the registry', () => {
  it('opens all four resources from config, metered, and they work end to end', async () => {
    const { config } = loadConfig({ env: {}, cwd: dir });
    const { importer, imported } = recordingImporter();
    const resources = await openResources(config, { importer, baseDir: dir, env: {} });
    try {
      expect(resources.providers).toEqual({
        objectStore: 'local',
        queue: 'local',
        warehouse: 'local',
        secretStore: 'local',
      });
      expect(imported).toEqual(['@cloudmux/local']);

      await resources.objectStore.put('hello.txt', 'hi');
      expect(await (await resources.objectStore.get('hello.txt')).text()).toBe('hi');
      await resources.queue.ensureQueue('jobs');
      await resources.queue.send('jobs', 'job-1');
      const [message] = await resources.queue.receive('jobs', { maxMessages: 1 });
      expect(new TextDecoder().decode(message!.body)).toBe('job-1');
      await resources.queue.ack('jobs', message!);
      const result = await resources.warehouse.query('SELECT CAST(40 + 2 AS BIGINT) AS answer');
      expect(result.rows[0]?.answer).toBe(42n);
      await resources.secretStore.put('api-key', 'k-123');
      expect((await resources.secretStore.get('api-key')).reveal()).toBe('k-123');

      const metered = new Set(resources.meter.summary().map((s) => `${s.resource}.${s.operation}`));
      for (const call of ['objectStore.put', 'queue.send', 'warehouse.query', 'secretStore.get']) {
        expect(metered.has(call), call).toBe(true);
      }
      // Relative paths resolve against baseDir: the default root is .cloudmux/local under it.
      expect((await readdir(join(dir, '.cloudmux', 'local'))).sort()).toEqual(
        expect.arrayContaining(['objects', 'queue.sqlite', 'secrets', 'secret.key']),
      );
    } finally {
      await resources.close();
    }
  });

  it('gives each resource its own provider and that provider its own options', async () => {
    // A second provider name served by the same package, configured with another root.
    const config = parseConfig({
      resources: { objectStore: 'local', secretStore: 'vault' },
      providers: { local: { root: 'main' }, vault: { root: 'vault-root' } },
    });
    const { importer, imported } = recordingImporter();
    const only: ResourceName[] = ['objectStore', 'secretStore'];
    const resources = await openResources(config, {
      importer,
      baseDir: dir,
      env: {},
      only,
      providers: { vault: '@cloudmux/local' },
    });
    try {
      expect(imported).toEqual(['@cloudmux/local', '@cloudmux/local']);
      await resources.objectStore.put('a.txt', 'a');
      await resources.secretStore.put('s', 'v');
      expect((await readdir(join(dir, 'main'))).sort()).toEqual(['.objects.cloudmux', 'objects']);
      expect((await readdir(join(dir, 'vault-root'))).sort()).toEqual(['secret.key', 'secrets']);
      expect(resources.queue).toBeUndefined();
    } finally {
      await resources.close();
    }
  });

  it('takes the secret key from the environment variable named by keyEnv', async () => {
    const config = parseConfig({ providers: { local: { secretStore: { keyEnv: 'MY_KEY' } } } });
    const key = Buffer.alloc(32, 7).toString('base64');
    const resources = await openResources(config, {
      importer: (s) => import(s),
      baseDir: dir,
      env: { MY_KEY: key },
      only: ['secretStore'],
    });
    try {
      await resources.secretStore.put('s', 'v');
      // With the key from the environment, no key file is created.
      expect(await readdir(join(dir, '.cloudmux', 'local'))).toEqual(['secrets']);
    } finally {
      await resources.close();
    }
  });

  it('a bad providers.local.queue.synchronous is a ConfigError naming that field', async () => {
    const config = parseConfig({ providers: { local: { queue: { synchronous: 'SOMETIMES' } } } });
    const error = await configErrorOf(
      openResources(config, { importer: (s) => import(s), baseDir: dir, env: {} }),
    );
    expect(error.field).toBe('providers.local.queue.synchronous');
    expect(error.fix).toContain('"NORMAL"');
  });

  it('warehouse.memoryLimit bounds DuckDB (256MB unless set); a size DuckDB would not read is a ConfigError naming the field', async () => {
    const limitOf = async (warehouse: Record<string, unknown>, sub: string) => {
      const config = parseConfig({
        providers: { local: { warehouse: { file: `${sub}.duckdb`, ...warehouse } } },
      });
      const resources = await openResources(config, {
        importer: (s) => import(s),
        baseDir: dir,
        env: {},
        only: ['warehouse'],
      });
      try {
        const result = await resources.warehouse.query(
          "SELECT current_setting('memory_limit') AS limit_, current_setting('preserve_insertion_order') AS ordered",
        );
        return { limit: String(result.rows[0]?.limit_), ordered: result.rows[0]?.ordered };
      } finally {
        await resources.close();
      }
    };
    // DuckDB reports the limit in its own units (512MB = 488.2 MiB, 256MB = 244.1 MiB).
    expect(await limitOf({ memoryLimit: '512MB' }, 'set')).toEqual({ limit: '488.2 MiB', ordered: false });
    expect(await limitOf({}, 'default')).toEqual({ limit: '244.1 MiB', ordered: false });
    for (const bad of ['lots', '256', '-1GB']) {
      const badConfig = parseConfig({ providers: { local: { warehouse: { memoryLimit: bad } } } });
      const error = await configErrorOf(
        openResources(badConfig, { importer: (s) => import(s), baseDir: dir, env: {}, only: ['warehouse'] }),
      );
      expect(error.field).toBe('providers.local.warehouse.memoryLimit');
      expect(error.message).toContain("'512MB'");
    }
  });

  it('an unknown option of the local provider is a ConfigError naming it', async () => {
    const config = parseConfig({ providers: { local: { objectStore: { fsynch: true } } } });
    const error = await configErrorOf(openResources(config, { importer: (s) => import(s), baseDir: dir }));
    expect(error.field).toBe('providers.local.objectStore.fsynch');
  });

  it('an unknown provider is a ConfigError, and nothing is imported for it', async () => {
    const config = parseConfig({ resources: { queue: 'nonesuch' } });
    const { importer, imported } = recordingImporter();
    const error = await configErrorOf(openResources(config, { importer, baseDir: dir, only: ['queue'] }));
    expect(error.field).toBe('resources');
    expect(imported).toEqual([]);
  });

  it('a provider package that cannot be imported is a ConfigError with the fix', async () => {
    const config = parseConfig({ resources: { warehouse: 'ghost' } });
    const error = await configErrorOf(
      openResources(config, {
        importer: (s) => import(s),
        baseDir: dir,
        only: ['warehouse'],
        providers: { ghost: '@cloudmux/does-not-exist' },
      }),
    );
    expect(error.fix).toContain('@cloudmux/does-not-exist');
  });
});
