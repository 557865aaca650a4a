import { BUILTIN_PROVIDERS, CloudmuxError, type ProviderName } from '@cloudmux/core';

/** The providers a comparison can run: every provider of the registry. */
export const KNOWN_PROVIDERS = BUILTIN_PROVIDERS;

export type { ProviderName };

/**
 * Parses `--providers` before anything starts: an unknown name is an InvalidArgument error that names
 * the known ones, so a typo never produces a report with a provider missing.
 */
export function parseProviders(list: string | readonly string[]): ProviderName[] {
  const names = (typeof list === 'string' ? list.split(',') : [...list]).map((p) => p.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(KNOWN_PROVIDERS as readonly string[]).includes(n));
  if (unknown.length)
    throw new CloudmuxError({
      code: 'InvalidArgument',
      message: `unknown provider${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `'${u}'`).join(', ')}: choose from ${KNOWN_PROVIDERS.join(', ')}`,
      operation: 'compare',
    });
  if (names.length === 0)
    throw new CloudmuxError({
      code: 'InvalidArgument',
      message: `no provider given: choose from ${KNOWN_PROVIDERS.join(', ')}`,
      operation: 'compare',
    });
  return [...new Set(names)] as ProviderName[];
}
