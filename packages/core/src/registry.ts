import type { z } from 'zod';
import { type CloudmuxConfig, parseProviderOptions, RESOURCE_KINDS, type ResourceName } from './config.ts';
import { CloudmuxError, ConfigError } from './errors.ts';
import { Meter, type MeterOptions } from './meter.ts';
import { type ObjectStore, type ObjectStoreDriver, portableObjectStore } from './object-store/index.ts';
import { type Importer, importerFrom, isModuleMissing } from './provider-import.ts';
import { portableQueue, type Queue, type QueueDriver } from './queue/index.ts';
import { portableSecretStore, type SecretStore, type SecretStoreDriver } from './secret-store/index.ts';
import { portableWarehouse, type Warehouse, type WarehouseDriver } from './warehouse/index.ts';

export interface ProviderContext {
  /** Relative paths in options resolve against this directory. */
  baseDir: string;
  env: NodeJS.ProcessEnv;
}

/** What a provider package exports (as named exports of its entry module). */
export interface ProviderModule<Options = unknown> {
  providerName: string;
  optionsSchema: z.ZodType<Options>;
  /** A portable ObjectStore (what `createS3ObjectStore` & co. return) or a bare driver; the registry meters either. */
  createObjectStore?(
    options: Options,
    context: ProviderContext,
  ): ObjectStore | ObjectStoreDriver | Promise<ObjectStore | ObjectStoreDriver>;
  /** A portable Queue (what `createSqsQueue` & co. return) or a bare driver; the registry meters either. */
  createQueue?(
    options: Options,
    context: ProviderContext,
  ): Queue | QueueDriver | Promise<Queue | QueueDriver>;
  /** A portable Warehouse (what `createRedshiftWarehouse` & co. return) or a bare driver. */
  createWarehouse?(
    options: Options,
    context: ProviderContext,
  ): Warehouse | WarehouseDriver | Promise<Warehouse | WarehouseDriver>;
  createSecretStore?(
    options: Options,
    context: ProviderContext,
  ): SecretStore | SecretStoreDriver | Promise<SecretStore | SecretStoreDriver>;
}

/** Package that implements each built-in provider; imported only when config chooses it. */
export const BUILTIN_PROVIDER_PACKAGES: Record<string, string> = {
  local: '@cloudmux/local',
  aws: '@cloudmux/aws',
  gcp: '@cloudmux/gcp',
  azure: '@cloudmux/azure',
  selfhosted: '@cloudmux/selfhosted',
};

/** Imports a module by specifier. */
export type { Importer };

export interface OpenResourcesOptions {
  /**
   * How provider packages are imported. Default: resolved from `baseDir` (the app's directory), then
   * from `@cloudmux/core` itself. Pass `(s) => import(s)` to resolve exactly as the app's own
   * imports do (with its loader hooks and custom export conditions).
   */
  importer?: Importer;
  /** The app's directory: relative paths in options and provider packages resolve from here. Default: cwd. */
  baseDir?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra or replacement providers: name → package specifier. */
  providers?: Record<string, string>;
  /** Open only these resources. Default: all four. */
  only?: readonly ResourceName[];
  /** Meter to record into; one is created from config.meter when omitted. */
  meter?: Meter;
  meterOptions?: MeterOptions;
}

export interface Resources {
  objectStore: ObjectStore;
  queue: Queue;
  warehouse: Warehouse;
  secretStore: SecretStore;
  /** Provider serving each resource. */
  providers: Record<ResourceName, string>;
  meter: Meter;
  close(): Promise<void>;
}

const FACTORY: Record<ResourceName, keyof ProviderModule> = {
  objectStore: 'createObjectStore',
  queue: 'createQueue',
  warehouse: 'createWarehouse',
  secretStore: 'createSecretStore',
};

export async function loadProvider(
  name: string,
  options: Pick<OpenResourcesOptions, 'importer' | 'providers' | 'baseDir'>,
): Promise<ProviderModule> {
  const specifier = options.providers?.[name] ?? BUILTIN_PROVIDER_PACKAGES[name];
  if (!specifier) {
    throw new ConfigError({
      field: 'resources',
      problem: `unknown provider '${name}'`,
      fix: `use one of ${Object.keys({ ...BUILTIN_PROVIDER_PACKAGES, ...options.providers }).join(', ')}`,
    });
  }
  const importer = options.importer ?? importerFrom(options.baseDir ?? process.cwd());
  let module: unknown;
  try {
    module = await importer(specifier);
  } catch (cause) {
    // Installed but failing at import (an unsupported Node, a broken dependency) is not "missing":
    // a typed error passes through as it is, anything else keeps its own message.
    if (CloudmuxError.isInstance(cause)) throw cause;
    if (isModuleMissing(cause, specifier)) {
      throw new ConfigError({
        field: 'resources',
        problem: `provider '${name}' is not installed (${specifier} was not found)`,
        fix: `add ${specifier} to the app's dependencies (npm install ${specifier}, or pnpm add ${specifier})`,
        cause,
      });
    }
    throw new CloudmuxError({
      code: 'Internal',
      message: `provider '${name}' failed to load from ${specifier}: ${(cause as Error).message}`,
      operation: 'loadProvider',
      retryable: false,
      cause,
    });
  }
  const candidate = module as Partial<ProviderModule>;
  if (typeof candidate.providerName !== 'string' || !candidate.optionsSchema) {
    throw new CloudmuxError({
      code: 'Internal',
      message: `${specifier} is not a cloudmux provider module (missing providerName/optionsSchema)`,
    });
  }
  return candidate as ProviderModule;
}

/**
 * Opens the four resources the config selects, each from its own provider, metered by `meter`.
 * Only the chosen provider packages are imported.
 */
export async function openResources(
  config: CloudmuxConfig,
  options: OpenResourcesOptions,
): Promise<Resources> {
  const meter =
    options.meter ??
    new Meter({
      ...(config.meter.timeoutMs ? { timeoutMs: config.meter.timeoutMs } : {}),
      ...(config.meter.retry !== undefined ? { retry: config.meter.retry } : {}),
      ...options.meterOptions,
    });
  const context: ProviderContext = {
    baseDir: options.baseDir ?? process.cwd(),
    env: options.env ?? process.env,
  };
  const wanted = options.only ?? RESOURCE_KINDS;
  const modules = new Map<string, { module: ProviderModule; options: unknown }>();
  const opened: Partial<Record<ResourceName, { close(): Promise<void> }>> = {};
  try {
    for (const kind of wanted) {
      const name = config.resources[kind];
      let entry = modules.get(name);
      if (!entry) {
        const module = await loadProvider(name, options);
        entry = { module, options: parseProviderOptions(module.optionsSchema, config.providers[name], name) };
        modules.set(name, entry);
      }
      const factory = entry.module[FACTORY[kind]] as
        | ((o: unknown, c: ProviderContext) => unknown)
        | undefined;
      if (!factory) {
        throw new ConfigError({
          field: `resources.${kind}`,
          problem: `provider '${name}' has no ${kind}`,
          fix: 'choose another provider for this resource',
        });
      }
      const resource = await factory.call(entry.module, entry.options, context);
      opened[kind] = wrap(meter, kind, resource);
    }
  } catch (error) {
    await Promise.allSettled(Object.values(opened).map((r) => r.close()));
    throw error;
  }
  const resources = opened as Record<ResourceName, never>;
  return {
    objectStore: resources.objectStore,
    queue: resources.queue,
    warehouse: resources.warehouse,
    secretStore: resources.secretStore,
    providers: { ...config.resources },
    meter,
    async close() {
      await Promise.allSettled(Object.values(opened).map((r) => r.close()));
    },
  };
}

function wrap(meter: Meter, kind: ResourceName, resource: unknown): { close(): Promise<void> } {
  switch (kind) {
    case 'objectStore':
      return portableObjectStore(resource as ObjectStore | ObjectStoreDriver, { meter });
    case 'queue':
      // Portable types meter inline: the provider's queue is rebuilt over its driver with this meter.
      return portableQueue(resource as Queue | QueueDriver, { meter });
    case 'warehouse':
      return portableWarehouse(resource as Warehouse | WarehouseDriver, { meter });
    case 'secretStore':
      return portableSecretStore(resource as SecretStore | SecretStoreDriver, { meter });
  }
}
