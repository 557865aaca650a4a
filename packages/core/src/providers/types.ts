/**
 * The shape of one entry of the provider registry (`providers/index.ts`): everything cloudmux must
 * know about a provider before its package is imported — its name, its package, what kind of
 * deployment it is, and the URL schemes that open its resources.
 */

/** The four resources every provider may serve; the one resource union of the whole codebase. */
export const RESOURCE_NAMES = ['objectStore', 'queue', 'warehouse', 'secretStore'] as const;
export type ResourceName = (typeof RESOURCE_NAMES)[number];

/**
 * `embedded`: runs in the app's process, nothing to deploy (files, SQLite, DuckDB).
 * `selfHosted`: servers the user runs themselves (open-source stacks).
 * `cloud`: a public cloud's managed services.
 */
export type ProviderKind = 'embedded' | 'selfHosted' | 'cloud';

/** A URL taken apart once, for every scheme (see `portable/open-url.ts`). */
export interface ParsedResourceUrl {
  /** The scheme without `:`, e.g. `s3`. */
  scheme: string;
  /** Decoded host: the bucket, container, project, vault or server; '' when the URL has none. */
  host: string;
  /** The port, when the URL has one. */
  port: number | undefined;
  /** Decoded path without its leading slashes (`/raw/events` → `raw/events`). */
  path: string;
  /** Decoded absolute path, for `file:`-like schemes naming a file or directory on this machine. */
  absolutePath: string;
  /** Query parameters, only those the scheme declares (others are refused before `options` runs). */
  query: ReadonlyMap<string, string>;
}

/** How one URL scheme maps onto a provider's options (`providers.<name>` in the config). */
export interface UrlScheme {
  /** Query parameters the scheme understands; any other is a ConfigError naming it. */
  parameters: readonly string[];
  /** What the host names, when the scheme takes one (used in the error for a URL without it). */
  host?: string;
  /** The host may be left out (`redshift:///database?clusterIdentifier=…`). Default: required. */
  hostOptional?: boolean;
  /** The URL names a file or directory on this machine (`absolutePath`), never `/` itself. */
  localPath?: boolean;
  /** An example URL, shown in errors. */
  example: string;
  /** The provider options the URL stands for. Throws a ConfigError for a value it cannot use. */
  options(url: ParsedResourceUrl): Record<string, unknown>;
}

export interface ProviderEntry<Name extends string = string, Kind extends ProviderKind = ProviderKind> {
  /** The name config uses (`resources.queue: 'aws'`) and every CLI, report and harness shows. */
  name: Name;
  /** The package whose entry module is the provider module; imported only when chosen. */
  package: string;
  kind: Kind;
  /** One line for help texts and reports. */
  title: string;
  /** URL schemes per resource (without `:`), e.g. `{ objectStore: { s3: … } }`. */
  schemes: Partial<Record<ResourceName, Record<string, UrlScheme>>>;
}

/** Keeps an entry's name and kind as literal types, so unions of provider names follow the list. */
export function defineProvider<const Name extends string, const Kind extends ProviderKind>(
  entry: ProviderEntry<Name, Kind>,
): ProviderEntry<Name, Kind> {
  return entry;
}
