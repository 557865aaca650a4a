import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CloudmuxConfigInput, loadConfig } from '@cloudmux/core';

/** Where a provider's resources come from for one comparison run. */
export interface Environment {
  endpoint: 'embedded' | 'emulator' | 'live';
  region: string;
  /** Which emulator (or service) serves each resource. */
  detail: Record<string, string>;
  config: CloudmuxConfigInput;
  baseDir: string;
  stop(): Promise<void>;
}

/** A started set of emulators for one cloud provider, as adapters-test provides them. */
export interface EmulatorStack {
  config: CloudmuxConfigInput;
  detail: Record<string, string>;
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
  gcp: (o) => o.location ?? (o.bigquery as Record<string, unknown> | undefined)?.location,
  azure: (o) => o.region ?? o.location,
};

/**
 * Opens a provider for the comparison:
 * - `local`: the embedded provider in a fresh temp directory;
 * - a cloud provider with `CLOUDMUX_COMPARE_<PROVIDER>_CONFIG` set: that config file against the live cloud;
 * - otherwise its emulators from @cloudmux/adapters-test; when they are not installed the provider is
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
        detail: { all: 'embedded local provider (filesystem, SQLite, DuckDB, encrypted files)' },
        config: { providers: { local: { root } } },
        baseDir: root,
        stop: () => rm(root, { recursive: true, force: true }),
      },
    };
  }
  const liveConfigPath = process.env[LIVE_CONFIG_ENV[provider] ?? ''];
  if (liveConfigPath) {
    const loaded = loadConfig({ file: liveConfigPath, env: {} });
    const options = (loaded.config.providers[provider] ?? {}) as Record<string, unknown>;
    return {
      ok: true,
      environment: {
        endpoint: 'live',
        region: String(REGION_FIELD[provider]?.(options) ?? 'unknown region'),
        detail: { all: `live ${provider} (${liveConfigPath})` },
        config: loaded.config,
        baseDir: loaded.baseDir,
        stop: async () => {},
      },
    };
  }
  let stacks: Record<string, () => Promise<EmulatorStack | { skipped: string }>>;
  try {
    ({ emulatorStacks: stacks } = (await import('@cloudmux/adapters-test')) as unknown as {
      emulatorStacks: typeof stacks;
    });
  } catch (error) {
    return { ok: false, reason: `emulator harness unavailable: ${(error as Error).message}` };
  }
  const start = stacks?.[provider];
  if (!start)
    return {
      ok: false,
      reason: `no emulator stack for '${provider}' and ${LIVE_CONFIG_ENV[provider] ?? 'no live config'} is not set`,
    };
  const stack = await start();
  if ('skipped' in stack) return { ok: false, reason: stack.skipped };
  return {
    ok: true,
    environment: {
      endpoint: 'emulator',
      region: 'emulated (this machine)',
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
