import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';
import { CloudmuxError, ConfigError } from './errors.ts';
import { openResources } from './registry.ts';

/**
 * An app directory outside the workspace with provider packages in its own node_modules: reachable
 * from the app, not from @cloudmux/core, as a package manager installs them.
 */
let app: string;
const zodUrl = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;

async function installPackage(name: string, source: string) {
  const dir = join(app, 'node_modules', name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', type: 'module', exports: { '.': { default: './index.js' } } }),
  );
  await writeFile(join(dir, 'index.js'), source);
}

beforeAll(async () => {
  app = await mkdtemp(join(tmpdir(), 'cloudmux-app-'));
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await installPackage(
    'cm-fixture-provider',
    `import { z } from ${JSON.stringify(zodUrl)};
export const providerName = 'fixture';
export const optionsSchema = z.object({ greeting: z.string().default('hello') }).strict();
export function createQueue(options) {
  return { provider: 'fixture', greeting: options.greeting, close: async () => {} };
}`,
  );
  // Installed, but its import fails the way the local provider's did on Node 20 (a missing built-in).
  await installPackage(
    'cm-broken-provider',
    `import 'node:no-such-builtin';\nexport const providerName = 'broken';`,
  );
  // Fails at import with a typed error from another copy of @cloudmux/core (as UnsupportedNodeError does).
  await installPackage(
    'cm-typed-failure-provider',
    `const error = new Error('cloudmux needs a newer Node');
error[Symbol.for('cloudmux.error')] = true;
error.code = 'Unsupported';
throw error;`,
  );
});
afterAll(async () => {
  await rm(app, { recursive: true, force: true });
});

const queueFrom = (provider: string) => parseConfig({ resources: { queue: provider } });

describe('openResources without an importer', () => {
  it('imports a provider installed in the app directory (not resolvable from @cloudmux/core)', async () => {
    const resources = await openResources(queueFrom('fixture'), {
      baseDir: app,
      providers: { fixture: 'cm-fixture-provider' },
      only: ['queue'],
    });
    try {
      expect(resources.providers.queue).toBe('fixture');
    } finally {
      await resources.close();
    }
  });

  it('a provider that is not installed is a ConfigError at resources naming the package', async () => {
    const error = await openResources(queueFrom('absent'), {
      baseDir: app,
      providers: { absent: 'cm-absent-provider' },
      only: ['queue'],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('resources');
    expect((error as ConfigError).fix).toContain('npm install cm-absent-provider');
  });

  it('an installed provider that fails at import is not reported as missing', async () => {
    const error = await openResources(queueFrom('broken'), {
      baseDir: app,
      providers: { broken: 'cm-broken-provider' },
      only: ['queue'],
    }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(ConfigError);
    expect(CloudmuxError.hasCode(error, 'Internal')).toBe(true);
    expect((error as Error).cause).toMatchObject({ code: 'ERR_UNKNOWN_BUILTIN_MODULE' });
  });

  it('a typed error thrown at import passes through unchanged', async () => {
    const error = await openResources(queueFrom('typed'), {
      baseDir: app,
      providers: { typed: 'cm-typed-failure-provider' },
      only: ['queue'],
    }).catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(error, 'Unsupported')).toBe(true);
  });
});
