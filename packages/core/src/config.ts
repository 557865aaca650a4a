import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.ts';

export const RESOURCE_KINDS = ['objectStore', 'queue', 'warehouse', 'secretStore'] as const;
export type ResourceName = (typeof RESOURCE_KINDS)[number];

export const BUILTIN_PROVIDERS = ['local', 'aws', 'gcp', 'azure', 'selfhosted'] as const;

const providerName = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'a provider name is lower-case letters, digits and dashes');

export const configSchema = z
  .object({
    /** Which provider serves each resource. Default: the embedded local provider for all four. */
    resources: z
      .object({
        objectStore: providerName.default('local'),
        queue: providerName.default('local'),
        warehouse: providerName.default('local'),
        secretStore: providerName.default('local'),
      })
      .strict()
      .prefault({}),
    /** Options per provider, validated by the provider package when it is loaded. */
    providers: z.record(providerName, z.record(z.string(), z.unknown())).default({}),
    meter: z
      .object({
        timeoutMs: z.number().int().nonnegative().default(0),
        retry: z
          .union([
            z.literal(false),
            z
              .object({
                maxAttempts: z.number().int().min(1).max(20).default(4),
                baseDelayMs: z.number().int().min(1).default(100),
                maxDelayMs: z.number().int().min(1).default(5000),
              })
              .strict(),
          ])
          .optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type CloudmuxConfig = z.output<typeof configSchema>;
export type CloudmuxConfigInput = z.input<typeof configSchema>;

export interface LoadConfigOptions {
  /** Path of a JSON config file. Default: $CLOUDMUX_CONFIG, else ./cloudmux.config.json when present. */
  file?: string;
  /** Environment to read overrides from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Applied last, over file and environment. */
  overrides?: CloudmuxConfigInput;
  cwd?: string;
}

export interface LoadedConfig {
  config: CloudmuxConfig;
  /** Directory relative paths in provider options resolve against. */
  baseDir: string;
  /** The file read, if any. */
  file: string | undefined;
}

const RESOURCE_ENV: Record<ResourceName, string> = {
  objectStore: 'CLOUDMUX_OBJECT_STORE',
  queue: 'CLOUDMUX_QUEUE',
  warehouse: 'CLOUDMUX_WAREHOUSE',
  secretStore: 'CLOUDMUX_SECRET_STORE',
};

/**
 * Reads the config: file, then environment, then explicit overrides; validates it and fails with a
 * ConfigError naming the field and the fix.
 *
 * Environment: CLOUDMUX_PROVIDER sets all four resources; CLOUDMUX_OBJECT_STORE, CLOUDMUX_QUEUE,
 * CLOUDMUX_WAREHOUSE, CLOUDMUX_SECRET_STORE set one; CLOUDMUX__a__b=value sets the path a.b (the
 * value is parsed as JSON when it parses, else kept as a string).
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? env.CLOUDMUX_CONFIG;
  const file = explicit
    ? resolve(cwd, explicit)
    : existsSync(resolve(cwd, 'cloudmux.config.json'))
      ? resolve(cwd, 'cloudmux.config.json')
      : undefined;

  let raw: Record<string, unknown> = {};
  if (file) {
    if (!existsSync(file)) {
      throw new ConfigError({
        field: 'CLOUDMUX_CONFIG',
        problem: `the file ${file} does not exist`,
        fix: 'point --config or CLOUDMUX_CONFIG at an existing JSON file',
      });
    }
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (cause) {
      throw new ConfigError({
        field: file,
        problem: `not valid JSON (${(cause as Error).message})`,
        fix: 'correct the JSON syntax',
        cause,
      });
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ConfigError({
        field: file,
        problem: 'the top level must be an object',
        fix: 'wrap the settings in { … }',
      });
    }
  }

  const merged = structuredClone(raw);
  merged.resources ??= {};
  // A resources value that is not an object is left for validation to report, not replaced.
  if (typeof merged.resources === 'object' && merged.resources !== null && !Array.isArray(merged.resources)) {
    const resources = merged.resources as Record<string, unknown>;
    if (env.CLOUDMUX_PROVIDER) for (const kind of RESOURCE_KINDS) resources[kind] = env.CLOUDMUX_PROVIDER;
    for (const kind of RESOURCE_KINDS) {
      const value = env[RESOURCE_ENV[kind]];
      if (value) resources[kind] = value;
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('CLOUDMUX__') || value === undefined) continue;
    setPath(merged, name.slice('CLOUDMUX__'.length).split('__'), parseEnvValue(value));
  }
  if (options.overrides) deepMerge(merged, options.overrides as Record<string, unknown>);

  return { config: parseConfig(merged), baseDir: file ? dirname(file) : cwd, file };
}

/** Validates a config object; the ConfigError lists every bad field, each with its fix. */
export function parseConfig(input: unknown): CloudmuxConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  throw zodToConfigError(result.error, [], input);
}

/** Validates a provider's options section with its schema; errors name `providers.<name>.<field>`. */
export function parseProviderOptions<T>(schema: z.ZodType<T>, input: unknown, provider: string): T {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw zodToConfigError(result.error, ['providers', provider], input ?? {});
}

/**
 * `input` is the validated object: zod 4 does not put the offending value on the issue (and must
 * not — options may hold credentials, and the ZodError becomes the ConfigError's cause), so whether
 * a field is missing is looked up here. Every issue becomes one entry of `issues`, so a config with
 * three mistakes reports all three at once; `field` and `fix` of the error are the first one's.
 */
export function zodToConfigError(
  error: z.ZodError,
  prefix: readonly (string | number)[],
  input?: unknown,
): ConfigError {
  const issues = error.issues.map((issue) => issueToConfigIssue(issue, prefix, input));
  const [first, ...rest] = issues as [ConfigIssue, ...ConfigIssue[]];
  return new ConfigError({ ...first, cause: error, ...(rest.length ? { more: rest } : {}) });
}

function issueToConfigIssue(
  issue: z.core.$ZodIssue,
  prefix: readonly (string | number)[],
  input: unknown,
): ConfigIssue {
  const missing = valueAt(input, issue.path) === undefined;
  const path = [...prefix, ...issue.path.map(String)];
  const field = path.length ? path.join('.') : '(root)';
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        field: [...path, issue.keys[0]].join('.'),
        problem: `unknown setting${issue.keys.length > 1 ? `s ${issue.keys.join(', ')}` : ''}`,
        fix: 'remove it or check its spelling against the documented options',
      };
    case 'invalid_type':
      return {
        field,
        problem: issue.message,
        fix: missing ? `set '${field}' (required)` : `give '${field}' a value of type ${issue.expected}`,
      };
    case 'invalid_value':
      return {
        field,
        problem: issue.message,
        fix: `use one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`,
      };
    default:
      return { field, problem: issue.message, fix: `correct '${field}'` };
  }
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

function parseEnvValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const [index, segment] of path.entries()) {
    if (index === path.length - 1) {
      node[segment] = value;
      return;
    }
    const next = node[segment];
    if (typeof next !== 'object' || next === null) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      existing &&
      typeof existing === 'object' &&
      !Array.isArray(existing)
    ) {
      deepMerge(existing as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
}
