import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CloudmuxConfigInput, loadConfig } from '@cloudmux/core';
import type { EmulatorStackResult } from '@cloudmux/emulator-stacks';

/** Where a provider's resources come from for one comparison run. */
export interface Environment {
  endpoint: 'embedded' | 'emulator' | 'live';
  /** Where the resources run (for emulators: this machine). */
  region: string;
  /** The provider's configured region, which picks the price table; undefined for the local provider. */
  pricingRegion: string | undefined;
  /** Said in the assumptions when the price table's region is not the configured one (emulators). */
  pricingRegionNote?: string;
  /** Which emulator (or service) serves each resource. */
  detail: Record<string, string>;
  config: CloudmuxConfigInput;
  baseDir: string;
  stop(): Promise<void>;
}

export type EnvironmentResult = { ok: true; environment: Environment } | { ok: false; reason: string };

const LIVE_CONFIG_ENV: Record<string, string> = {
  aws: 'CLOUDMUX_COMPARE_AWS_CONFIG',
  gcp: 'CLOUDMUX_COMPARE_GCP_CONFIG',
  azure: 'CLOUDMUX_COMPARE_AZURE_CONFIG',
};

const REGION_FIELD: Record<string, (options: Record<string, unknown>) => unknown> = {
  aws: (o) => o.region,
  gcp: (o) => (o.bigquery as Record<string, unknown> | undefined)?.location ?? o.location,
  azure: (o) => o.region ?? o.location,
};

/**
 * Emulators run nowhere in particular: their units are priced in the region the provider's config
 * names, else in the provider's default region, and the report says so.
 */
const DEFAULT_PRICING_REGION: Record<string, string> = {
  aws: 'us-east-1',
  gcp: 'us-central1',
  azure: 'eastus',
};

/** The region a provider's config names (the price table follows it); undefined when it names none. */
export function configuredRegion(provider: string, config: CloudmuxConfigInput): string | undefined {
  const options = (config.providers?.[provider] ?? {}) as Record<string, unknown>;
  const region = REGION_FIELD[provider]?.(options);
  return typeof region === 'string' && region ? region : undefined;
}

/**
 * Opens a provider for the comparison:
 * - `local`: the embedded provider in a fresh temp directory;
 * - a cloud provider with `CLOUDMUX_COMPARE_<PROVIDER>_CONFIG` set: that config file against the live cloud;
 * - otherwise its emulator stack (@cloudmux/emulator-stacks); when its emulators are not installed the provider is
 *   skipped with the reason.
 */
export async function openEnvironment(provider: string): Promise<EnvironmentResult> {
  if (provider === 'local') {
    const root = await mkdtemp(join(tmpdir(), 'cloudmux-compare-'));
    return {
      ok: true,
      environment: {
        endpoint: 'embedded',
        region: 'this machine',
        pricingRegion: undefined,
        detail: { all: 'embedded local provider (filesystem, SQLite, DuckDB, encrypted files)' },
        config: { providers: { local: { root } } },
        baseDir: root,
        stop: () => rm(root, { recursive: true, force: true }),
      },
    };
  }
  const liveConfigPath = process.env[LIVE_CONFIG_ENV[provider] ?? ''];
  if (liveConfigPath) {
    let loaded: ReturnType<typeof loadConfig>;
    try {
      loaded = loadConfig({ file: liveConfigPath, env: {} });
    } catch (error) {
      return { ok: false, reason: `cannot load ${liveConfigPath}: ${(error as Error).message}` };
    }
    const region = configuredRegion(provider, loaded.config as CloudmuxConfigInput);
    return {
      ok: true,
      environment: {
        endpoint: 'live',
        region: region ?? 'unknown region',
        pricingRegion: region,
        detail: { all: `live ${provider} (${liveConfigPath})` },
        config: loaded.config,
        baseDir: loaded.baseDir,
        stop: async () => {},
      },
    };
  }
  // Loaded on demand: the stacks pull in every emulator and test server, which a local-only or
  // live-only comparison never needs.
  let stacks: Record<string, () => Promise<EmulatorStackResult>>;
  try {
    ({ emulatorStacks: stacks } = await import('@cloudmux/emulator-stacks'));
  } catch (error) {
    return { ok: false, reason: `emulator stacks unavailable: ${(error as Error).message}` };
  }
  const start = stacks[provider];
  if (!start)
    return {
      ok: false,
      reason: `no emulator stack for '${provider}' and ${LIVE_CONFIG_ENV[provider] ?? 'no live config'} is not set`,
    };
  let stack: Awaited<ReturnType<typeof start>>;
  try {
    stack = await start();
  } catch (error) {
    return { ok: false, reason: `emulators failed to start: ${(error as Error).message}` };
  }
  if ('skipped' in stack) return { ok: false, reason: stack.skipped };
  return {
    ok: true,
    environment: {
      endpoint: 'emulator',
      region: 'emulated (this machine)',
      ...emulatorPricingRegion(provider, stack.config),
      detail: stack.detail,
      config: {
        ...stack.config,
        resources: { objectStore: provider, queue: provider, warehouse: provider, secretStore: provider },
      },
      baseDir: process.cwd(),
      stop: () => stack.stop(),
    },
  };
}

function emulatorPricingRegion(
  provider: string,
  config: CloudmuxConfigInput,
): Pick<Environment, 'pricingRegion' | 'pricingRegionNote'> {
  const configured = configuredRegion(provider, config);
  if (configured) return { pricingRegion: configured };
  const fallback = DEFAULT_PRICING_REGION[provider];
  return {
    pricingRegion: fallback,
    ...(fallback
      ? {
          pricingRegionNote: `The emulator config names no region: priced with the ${provider} ${fallback} price table (the provider's usual default region).`,
        }
      : {}),
  };
}
