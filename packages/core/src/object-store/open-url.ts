/**
 * URL openers (Go CDK `blob.OpenBucket`): an ObjectStore from one string, beside JSON config.
 *
 * | URL                                                          | provider | config it stands for                      |
 * | ------------------------------------------------------------ | -------- | ----------------------------------------- |
 * | `s3://bucket/prefix?region=…&endpoint=…&forcePathStyle=true` | aws      | `s3.bucket`, `s3.prefix`, `region`, …     |
 * | `gs://bucket/prefix?projectId=…&endpoint=…`                  | gcp      | `storage.bucket`, `storage.prefix`, …     |
 * | `azblob://container/prefix?accountUrl=…`                     | azure    | `blob.container`, `blob.prefix`, …        |
 * | `file:///absolute/directory`                                 | local    | `objectStore.dir`                         |
 *
 * Credentials never travel in a URL: they come from the provider's usual chain (environment,
 * profiles, workload identity; Azure's `AZURE_STORAGE_CONNECTION_STRING` when no accountUrl is
 * given), or from `providerOptions` for emulators. An unknown scheme or query parameter is a
 * ConfigError naming it. The provider package is imported only when its scheme is opened.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProviderOptions } from '../config.ts';
import { ConfigError } from '../errors.ts';
import type { OperationSource } from '../portable/operation.ts';
import { type Importer, loadProvider, type ProviderContext } from '../registry.ts';
import type { ObjectStoreDriver } from './driver.ts';
import { portableObjectStore } from './portable-object-store.ts';
import type { ObjectStore } from './types.ts';

export interface OpenObjectStoreOptions {
  /** Imports the provider package: pass `(s) => import(s)` from the app. */
  importer: Importer;
  /** Where calls are metered (a `Meter`); unmetered when omitted. */
  meter?: OperationSource;
  /** Environment the provider reads (e.g. Azure's connection string). Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Relative paths in provider options resolve against this directory. Default the cwd. */
  baseDir?: string;
  /** Provider options merged under what the URL says (emulator credentials, part sizes, …). */
  providerOptions?: Record<string, unknown>;
  /** Extra or replacement providers: name → package specifier. */
  providers?: Record<string, string>;
}

type Query = Map<string, string>;

interface Scheme {
  provider: string;
  /** Query parameters this scheme understands. */
  parameters: readonly string[];
  options(url: URL, query: Query): Record<string, unknown>;
}

/** `/a/b` → `a/b/`; empty stays empty (no prefix). */
function prefixOf(url: URL): string {
  const path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
  return path === '' || path.endsWith('/') ? path : `${path}/`;
}

const defined = (entries: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));

const SCHEMES: Record<string, Scheme> = {
  's3:': {
    provider: 'aws',
    parameters: ['region', 'endpoint', 'forcePathStyle', 'requestChecksumCalculation'],
    options: (url, query) =>
      defined({
        region: query.get('region'),
        endpoints: query.has('endpoint') ? { s3: query.get('endpoint') } : undefined,
        s3: defined({
          bucket: url.hostname,
          prefix: prefixOf(url) || undefined,
          forcePathStyle: query.has('forcePathStyle') ? query.get('forcePathStyle') === 'true' : undefined,
          requestChecksumCalculation: query.get('requestChecksumCalculation'),
        }),
      }),
  },
  'gs:': {
    provider: 'gcp',
    parameters: ['projectId', 'endpoint'],
    options: (url, query) =>
      defined({
        projectId: query.get('projectId'),
        storage: defined({ bucket: url.hostname, prefix: prefixOf(url), apiEndpoint: query.get('endpoint') }),
      }),
  },
  'azblob:': {
    provider: 'azure',
    parameters: ['accountUrl', 'connectionStringEnv'],
    options: (url, query) => ({
      blob: defined({
        container: url.hostname,
        prefix: prefixOf(url),
        accountUrl: query.get('accountUrl'),
        connectionStringEnv: query.get('connectionStringEnv'),
      }),
    }),
  },
  'file:': {
    provider: 'local',
    parameters: [],
    options: (url) => {
      const dir = fileURLToPath(url).replace(/\/+$/, '');
      // The directory is absolute, so it wins over root; root only places the provider's other state.
      return { root: dirname(dir), objectStore: { dir } };
    },
  },
};

/** Merges `over` into `under`, nested objects key by key. */
function merge(under: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...under };
  for (const [key, value] of Object.entries(over)) {
    const base = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && base && typeof base === 'object'
        ? merge(base as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

/** The provider and its options that a store URL stands for (no I/O, no import). */
export function objectStoreUrlConfig(location: string): {
  provider: string;
  options: Record<string, unknown>;
} {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new ConfigError({
      field: 'url',
      problem: 'not a URL',
      fix: 'use s3://bucket/prefix, gs://bucket/prefix, azblob://container/prefix or file:///directory',
    });
  }
  const scheme = SCHEMES[url.protocol];
  if (!scheme) {
    throw new ConfigError({
      field: 'url',
      problem: `unknown scheme '${url.protocol}'`,
      fix: `use one of ${Object.keys(SCHEMES).join(' ')}`,
    });
  }
  const query: Query = new Map();
  for (const [name, value] of url.searchParams) {
    if (!scheme.parameters.includes(name)) {
      throw new ConfigError({
        field: `url ?${name}`,
        problem: `'${url.protocol}' URLs take no '${name}' parameter`,
        fix:
          scheme.parameters.length > 0
            ? `use ${scheme.parameters.join(', ')}, or pass other options as providerOptions`
            : 'pass options as providerOptions',
      });
    }
    query.set(name, value);
  }
  if (url.protocol !== 'file:' && url.hostname === '') {
    throw new ConfigError({
      field: 'url',
      problem: `'${url.protocol}' URL names no ${url.protocol === 'azblob:' ? 'container' : 'bucket'}`,
      fix: `write it as ${url.protocol}//<name>/<prefix>`,
    });
  }
  return { provider: scheme.provider, options: scheme.options(url, query) };
}

/** Opens the ObjectStore a URL names, through the provider's own factory and option checks. */
export async function openObjectStore(
  location: string,
  options: OpenObjectStoreOptions,
): Promise<ObjectStore> {
  const { provider, options: fromUrl } = objectStoreUrlConfig(location);
  const module = await loadProvider(provider, options);
  if (!module.createObjectStore) {
    throw new ConfigError({
      field: 'url',
      problem: `provider '${provider}' has no object store`,
      fix: 'choose another scheme',
    });
  }
  const parsed = parseProviderOptions(
    module.optionsSchema,
    merge(options.providerOptions ?? {}, fromUrl),
    provider,
  );
  const context: ProviderContext = {
    baseDir: options.baseDir ?? process.cwd(),
    env: options.env ?? process.env,
  };
  const store = await module.createObjectStore(parsed, context);
  return portableObjectStore(store as ObjectStore | ObjectStoreDriver, { meter: options.meter });
}
