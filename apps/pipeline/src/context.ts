import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CloudmuxConfig,
  type CloudmuxConfigInput,
  loadConfig,
  openResources,
  type ResourceName,
  type Resources,
} from '@cloudmux/core';

/** How a pipeline process finds its resources; serialisable so consumer processes get the same. */
export interface PipelineContextOptions {
  /** JSON config file (absolute or relative to baseDir). */
  configFile?: string;
  /** Shortcut: take all four resources from this provider. */
  provider?: string;
  /** Directory relative paths resolve against; default the repository root (local state in .cloudmux/). */
  baseDir?: string;
  /** Applied over the file and environment. */
  overrides?: CloudmuxConfigInput;
  /** Extra or replacement provider packages: name → module specifier. */
  providers?: Record<string, string>;
}

export interface PipelineContext {
  resources: Resources;
  config: CloudmuxConfig;
  baseDir: string;
}

/** The monorepo root (where pnpm-workspace.yaml is), else the current directory. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

export function resolvedConfig(options: PipelineContextOptions): { config: CloudmuxConfig; baseDir: string } {
  const cwd = options.baseDir ?? repoRoot();
  const overrides: CloudmuxConfigInput = { ...options.overrides };
  if (options.provider) {
    overrides.resources = {
      objectStore: options.provider,
      queue: options.provider,
      warehouse: options.provider,
      secretStore: options.provider,
    };
  }
  const loaded = loadConfig({
    cwd,
    ...(options.configFile ? { file: resolve(cwd, options.configFile) } : {}),
    overrides,
  });
  return { config: loaded.config, baseDir: options.configFile ? loaded.baseDir : cwd };
}

/** Opens the resources the config chooses; the app never names a provider package itself. */
export async function openPipeline(
  options: PipelineContextOptions = {},
  only?: readonly ResourceName[],
): Promise<PipelineContext> {
  const { config, baseDir } = resolvedConfig(options);
  // Extra provider modules (name → module specifier) from the environment, so that processes started
  // for us — speed-layer consumers, test harnesses — can swap in a provider module without code.
  const fromEnv = process.env.PIPELINE_PROVIDER_MODULES;
  if (fromEnv) {
    options = {
      ...options,
      providers: { ...(JSON.parse(fromEnv) as Record<string, string>), ...options.providers },
    };
  }
  const resources = await openResources(config, {
    importer: (specifier) => import(specifier),
    baseDir,
    ...(options.providers ? { providers: options.providers } : {}),
    ...(only ? { only } : {}),
  });
  return { resources, config, baseDir };
}
