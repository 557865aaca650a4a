import {
  CLOUD_PROVIDERS,
  type CloudmuxConfig,
  type CloudProviderName,
  ConfigError,
  loadConfig,
  loadProvider,
  parseProviderOptions,
  RESOURCE_NAMES,
  type ResourceName,
} from '@cloudmux/core';
import { type DoctorCheck, ok, problem } from './check.ts';

/** The public clouds of the provider registry: a cloud added there must get its sections here. */
export type Cloud = CloudProviderName;
export const CLOUDS: readonly Cloud[] = CLOUD_PROVIDERS;

/** The options section each resource needs, per cloud, with an example for the fix. */
const SECTIONS: Record<Cloud, Partial<Record<ResourceName, { key: string; example: string }>>> = {
  aws: {
    objectStore: { key: 's3', example: '"s3": { "bucket": "my-lake" }' },
    warehouse: { key: 'redshift', example: '"redshift": { "workgroupName": "cloudmux", "database": "dev" }' },
  },
  gcp: {
    objectStore: { key: 'storage', example: '"storage": { "bucket": "my-lake" }' },
    warehouse: { key: 'bigquery', example: '"bigquery": { "dataset": "cloudmux" }' },
  },
  azure: {
    objectStore: {
      key: 'blob',
      example: '"blob": { "accountUrl": "https://<account>.blob.core.windows.net", "container": "lake" }',
    },
    queue: { key: 'queue', example: '"queue": { "accountUrl": "https://<account>.queue.core.windows.net" }' },
    warehouse: {
      key: 'synapse',
      example: '"synapse": { "server": "<ws>.sql.azuresynapse.net", "database": "cloudmux" }',
    },
    secretStore: {
      key: 'keyVault',
      example: '"keyVault": { "vaultUrl": "https://<vault>.vault.azure.net" }',
    },
  },
};

export interface CloudUnderTest {
  cloud: Cloud;
  /** The provider options, parsed and defaulted by the provider's own schema. */
  options: Record<string, unknown>;
  /** Resources this cloud serves (or, with --provider and no assignment, those it has sections for). */
  kinds: ResourceName[];
}

export interface ConfigCheckResult {
  checks: DoctorCheck[];
  config?: CloudmuxConfig;
  baseDir?: string;
  clouds: CloudUnderTest[];
  /** Provider overrides (name → module) the pipeline honours too. */
  providerModules: Record<string, string>;
}

export interface ConfigCheckOptions {
  file?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  provider?: Cloud;
}

/** Every problem of the config at once: the file and environment, then each cloud's options. */
export async function checkConfig(options: ConfigCheckOptions): Promise<ConfigCheckResult> {
  const providerModules = options.env.PIPELINE_PROVIDER_MODULES
    ? (JSON.parse(options.env.PIPELINE_PROVIDER_MODULES) as Record<string, string>)
    : {};
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig({
      env: options.env,
      cwd: options.cwd,
      ...(options.file ? { file: options.file } : {}),
    });
  } catch (error) {
    return { checks: configProblems(error), clouds: [], providerModules };
  }
  const { config } = loaded;
  const checks: DoctorCheck[] = [];
  const wanted = options.provider
    ? [options.provider]
    : CLOUDS.filter((cloud) => RESOURCE_NAMES.some((kind) => config.resources[kind] === cloud));
  const clouds: CloudUnderTest[] = [];
  for (const cloud of wanted) {
    const assigned = RESOURCE_NAMES.filter((kind) => config.resources[kind] === cloud);
    if (!assigned.length && !config.providers[cloud]) {
      checks.push(
        problem(
          'config',
          `no resource uses ${cloud} and there is no providers.${cloud} section`,
          `run \`cloudmux provision --provider ${cloud}\`, which writes it, or add providers.${cloud} to the config`,
          cloud,
        ),
      );
      continue;
    }
    let parsed: Record<string, unknown>;
    try {
      const module = await loadProvider(cloud, {
        importer: (specifier) => import(specifier),
        providers: providerModules,
      });
      parsed = parseProviderOptions(module.optionsSchema, config.providers[cloud], cloud) as Record<
        string,
        unknown
      >;
    } catch (error) {
      checks.push(...configProblems(error, cloud));
      continue;
    }
    const sections = SECTIONS[cloud];
    const kinds = assigned.length
      ? assigned
      : RESOURCE_NAMES.filter((kind) => !sections[kind] || parsed[sections[kind].key] !== undefined);
    const missing = kinds.filter((kind) => sections[kind] && parsed[sections[kind].key] === undefined);
    for (const kind of missing) {
      const section = sections[kind]!;
      checks.push(
        problem(
          'config',
          `resources.${kind} is ${cloud} but providers.${cloud}.${section.key} is missing`,
          `add it, e.g. ${section.example}`,
          cloud,
        ),
      );
    }
    clouds.push({ cloud, options: parsed, kinds: kinds.filter((kind) => !missing.includes(kind)) });
  }
  if (!checks.length) {
    const where = loaded.file ?? 'defaults and environment (no config file)';
    const assignment = RESOURCE_NAMES.map((kind) => `${kind}=${config.resources[kind]}`).join(' ');
    checks.push(ok('config', `${where}: ${assignment}`));
  }
  return { checks, config, baseDir: loaded.baseDir, clouds, providerModules };
}

function configProblems(error: unknown, cloud?: Cloud): DoctorCheck[] {
  if (error instanceof ConfigError) {
    return error.issues.map((issue) =>
      problem('config', `${issue.field}: ${issue.problem}`, issue.fix, cloud),
    );
  }
  throw error;
}
