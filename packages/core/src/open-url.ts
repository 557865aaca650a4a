/**
 * URL openers (Go CDK `blob.OpenBucket`, `pubsub.OpenSubscription`): a resource from one string,
 * beside JSON config. One parser for every scheme; which provider a scheme opens, and which options
 * the URL stands for, is that provider's entry in the registry (`providers/`).
 *
 * | resource    | URL                                                                 | provider |
 * | ----------- | ------------------------------------------------------------------- | -------- |
 * | objectStore | `s3://bucket/prefix?region=…&endpoint=…&forcePathStyle=true`        | aws      |
 * |             | `gs://bucket/prefix?projectId=…&endpoint=…`                          | gcp      |
 * |             | `azblob://container/prefix?accountUrl=…`                             | azure    |
 * |             | `file:///absolute/directory`                                         | local    |
 * | queue       | `sqs:///queue-prefix-?region=…&endpoint=…`                           | aws      |
 * |             | `gcppubsub://project/topic-prefix-?endpoint=host:port`               | gcp      |
 * |             | `azqueue:///queue-prefix-?accountUrl=…`                              | azure    |
 * |             | `sqlite:///absolute/queue.sqlite?synchronous=FULL`                   | local    |
 * | warehouse   | `redshift://workgroup/database?region=…&schema=…&iamRoleArn=…`       | aws      |
 * |             | `redshift:///database?clusterIdentifier=…&dbUser=…`                  | aws      |
 * |             | `bigquery://project/dataset?location=…&endpoint=…`                   | gcp      |
 * |             | `synapse://server:port/database?pool=…&user=…&passwordEnv=…`         | azure    |
 * |             | `duckdb:///absolute/warehouse.duckdb?threads=4`                      | local    |
 * | secretStore | `awssecretsmanager:///name-prefix/?region=…&endpoint=…`              | aws      |
 * |             | `gcpsecretmanager://project/name-prefix-?endpoint=host:port`         | gcp      |
 * |             | `azurekeyvault://vault-name` (or `://vault.host:port`)               | azure    |
 * |             | `file:///absolute/secrets?keyFile=…&keyEnv=…`                        | local    |
 *
 * Credentials never travel in a URL: they come from the provider's usual chain (environment,
 * profiles, workload identity; a connection string or password from the variable a parameter
 * names), or from `providerOptions` for emulators. An unknown scheme or parameter, a missing host or
 * a user name/password in the URL is a ConfigError naming the part and the fix; values are never
 * echoed. The provider package is imported only when its scheme is opened.
 */
import { fileURLToPath } from 'node:url';
import { parseProviderOptions } from './config.ts';
import { ConfigError } from './errors.ts';
import type { ObjectStore } from './object-store/types.ts';
import type { OperationSource } from './portable/operation.ts';
import { type ParsedResourceUrl, type ResourceName, schemeProvider, urlSchemes } from './providers/index.ts';
import type { Queue } from './queue/types.ts';
import { type Importer, loadProvider, openFromModule, type ProviderContext } from './registry.ts';
import type { SecretStore } from './secret-store/types.ts';
import type { Warehouse } from './warehouse/types.ts';

export interface OpenUrlOptions {
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

/** Takes a URL apart once, for every scheme; errors name the part. */
export function parseResourceUrl(resource: ResourceName, location: string): ParsedResourceUrl {
  const schemes = urlSchemes(resource)
    .map((s) => `${s}://`)
    .join(' ');
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new ConfigError({
      field: 'url',
      problem: 'not a URL',
      fix: `write <scheme>://…, with a scheme of ${schemes}`,
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError({
      field: 'url user',
      problem: 'credentials in a URL end up in logs and shell history',
      fix: "remove 'user:password@'; credentials come from the provider's usual chain or providerOptions",
    });
  }
  if (url.hash !== '') {
    throw new ConfigError({
      field: 'url #fragment',
      problem: 'a resource URL has no fragment',
      fix: "remove the '#…' part",
    });
  }
  const scheme = url.protocol.slice(0, -1);
  const decode = (text: string, part: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw new ConfigError({
        field: `url ${part}`,
        problem: 'bad percent-encoding',
        fix: 'encode % as %25',
      });
    }
  };
  const pathname = decode(url.pathname, 'path');
  let absolutePath = pathname;
  if (scheme === 'file') {
    try {
      absolutePath = fileURLToPath(url);
    } catch (cause) {
      throw new ConfigError({
        field: 'url host',
        problem: 'a file URL names a path on this machine, not on another host',
        fix: 'write file:///absolute/path (three slashes)',
        cause,
      });
    }
  }
  return {
    scheme,
    host: decode(url.hostname, 'host'),
    port: url.port === '' ? undefined : Number(url.port),
    path: pathname.replace(/^\/+/, ''),
    absolutePath: absolutePath.replace(/(.)\/+$/, '$1'),
    query: new Map(url.searchParams),
  };
}

/** The provider and its options that a URL stands for (no I/O, no import). */
export function resourceUrlConfig(
  resource: ResourceName,
  location: string,
): { provider: string; options: Record<string, unknown> } {
  const url = parseResourceUrl(resource, location);
  const { provider, scheme } = schemeProvider(resource, url.scheme);
  for (const name of url.query.keys()) {
    if (!scheme.parameters.includes(name)) {
      throw new ConfigError({
        field: `url ?${name}`,
        problem: `'${url.scheme}:' URLs take no '${name}' parameter`,
        fix:
          scheme.parameters.length > 0
            ? `use ${scheme.parameters.join(', ')}, or pass other options as providerOptions`
            : 'pass options as providerOptions',
      });
    }
  }
  if (scheme.host !== undefined && !scheme.hostOptional && url.host === '') {
    throw new ConfigError({
      field: 'url host',
      problem: `'${url.scheme}:' URL names no ${scheme.host}`,
      fix: `write it as ${scheme.example}`,
    });
  }
  if (scheme.host === undefined && url.host !== '') {
    throw new ConfigError({
      field: 'url host',
      problem: `'${url.scheme}:' URLs take no host ('${url.host}'): the path says what the resource is`,
      fix: `write it as ${scheme.example}`,
    });
  }
  if (scheme.localPath && (url.absolutePath === '/' || url.absolutePath === '')) {
    // The root of the filesystem is never what a local resource means.
    throw new ConfigError({
      field: 'url path',
      problem: 'names no file or directory',
      fix: `write it as ${scheme.example}`,
    });
  }
  return { provider: provider.name, options: scheme.options(url) };
}

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

interface Opened {
  objectStore: ObjectStore;
  queue: Queue;
  warehouse: Warehouse;
  secretStore: SecretStore;
}

/** Opens the resource a URL names, through the provider's own factory and option checks. */
export async function openResourceUrl<R extends ResourceName>(
  resource: R,
  location: string,
  options: OpenUrlOptions,
): Promise<Opened[R]> {
  const { provider, options: fromUrl } = resourceUrlConfig(resource, location);
  const module = await loadProvider(provider, options);
  const parsed = parseProviderOptions(
    module.optionsSchema,
    merge(options.providerOptions ?? {}, fromUrl),
    provider,
  );
  const context: ProviderContext = {
    baseDir: options.baseDir ?? process.cwd(),
    env: options.env ?? process.env,
  };
  return (await openFromModule(
    module,
    provider,
    resource,
    parsed,
    context,
    options.meter,
    'url',
  )) as Opened[R];
}

/** `openObjectStore('s3://bucket/prefix?region=eu-west-1', { importer: (s) => import(s) })`. */
export const openObjectStore = (location: string, options: OpenUrlOptions): Promise<ObjectStore> =>
  openResourceUrl('objectStore', location, options);
/** `openQueue('sqs:///prod-?region=eu-west-1', { importer: (s) => import(s) })`. */
export const openQueue = (location: string, options: OpenUrlOptions): Promise<Queue> =>
  openResourceUrl('queue', location, options);
/** `openWarehouse('bigquery://my-project/analytics', { importer: (s) => import(s) })`. */
export const openWarehouse = (location: string, options: OpenUrlOptions): Promise<Warehouse> =>
  openResourceUrl('warehouse', location, options);
/** `openSecretStore('azurekeyvault://my-vault', { importer: (s) => import(s) })`. */
export const openSecretStore = (location: string, options: OpenUrlOptions): Promise<SecretStore> =>
  openResourceUrl('secretStore', location, options);
