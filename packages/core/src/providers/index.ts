/**
 * The one provider registry: every CLI, report, URL opener and test harness reads this list.
 * Adding a provider is one entry here (name, package, kind, URL schemes) plus its package.
 */
import { ConfigError } from '../errors.ts';
import { AWS_PROVIDER } from './aws.ts';
import { AZURE_PROVIDER } from './azure.ts';
import { GCP_PROVIDER } from './gcp.ts';
import { LOCAL_PROVIDER } from './local.ts';
import { SELFHOSTED_PROVIDER } from './selfhosted.ts';
import type { ProviderEntry, ResourceName, UrlScheme } from './types.ts';

export type { ParsedResourceUrl, ProviderEntry, ProviderKind, ResourceName, UrlScheme } from './types.ts';
export { RESOURCE_NAMES } from './types.ts';

/** The built-in providers, in the order reports show them (embedded first). */
export const PROVIDERS = [
  LOCAL_PROVIDER,
  AWS_PROVIDER,
  GCP_PROVIDER,
  AZURE_PROVIDER,
  SELFHOSTED_PROVIDER,
] as const;

/** A built-in provider's name. */
export type ProviderName = (typeof PROVIDERS)[number]['name'];
/** The public clouds among them (what `cloudmux doctor` and `provision` act on). */
export type CloudProviderName = Extract<(typeof PROVIDERS)[number], { kind: 'cloud' }>['name'];

/** The built-in provider names, in registry order. */
export const BUILTIN_PROVIDERS: readonly ProviderName[] = PROVIDERS.map((provider) => provider.name);
/** The public clouds, in registry order. */
export const CLOUD_PROVIDERS = PROVIDERS.filter((provider) => provider.kind === 'cloud').map(
  (provider) => provider.name,
) as readonly CloudProviderName[];

export function isProviderName(name: string): name is ProviderName {
  return (BUILTIN_PROVIDERS as readonly string[]).includes(name);
}

/** The registry entry of a built-in provider, or undefined. */
export function providerEntry(name: string): ProviderEntry | undefined {
  return PROVIDERS.find((provider) => provider.name === name);
}

/** Which provider opens `scheme` (without `:`) for `resource`, or a ConfigError listing the schemes. */
export function schemeProvider(
  resource: ResourceName,
  scheme: string,
): { provider: ProviderEntry; scheme: UrlScheme } {
  for (const provider of PROVIDERS as readonly ProviderEntry[]) {
    const found = provider.schemes[resource]?.[scheme];
    if (found) return { provider, scheme: found };
  }
  throw new ConfigError({
    field: 'url',
    problem: `no provider opens a ${resource} from '${scheme}:' URLs`,
    fix: `use one of ${urlSchemes(resource)
      .map((s) => `${s}://`)
      .join(' ')}`,
  });
}

/** The URL schemes that open `resource`, in registry order. */
export function urlSchemes(resource: ResourceName): string[] {
  return (PROVIDERS as readonly ProviderEntry[]).flatMap((provider) =>
    Object.keys(provider.schemes[resource] ?? {}),
  );
}
