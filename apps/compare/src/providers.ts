import { CloudmuxError } from '@cloudmux/core';

/**
 * The providers a comparison can run: the embedded one, the three clouds, and the self-hosted stack
 * (priced from machine-hours at a price the user states).
 */
export const KNOWN_PROVIDERS = ['local', 'aws', 'gcp', 'azure', 'selfhosted'] as const;

export type ProviderName = (typeof KNOWN_PROVIDERS)[number];

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
