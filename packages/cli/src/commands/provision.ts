import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '@cloudmux/core';
import { Command, Option } from 'commander';
import { createLogger, wantsJson } from '../log.ts';
import type { ProvisionContext, ProvisionResult } from '../provision/step.ts';
import { callerPath } from './paths.ts';

type Cloud = 'aws' | 'gcp' | 'azure';

export interface ProvisionCommandOptions {
  provider: Cloud;
  config: string;
  name: string;
  bucket?: string;
  region?: string;
  project?: string;
  location?: string;
  resourceGroup?: string;
  json?: boolean;
}

const withOptions = (command: Command) =>
  command
    .addOption(
      new Option('--provider <name>', 'cloud to act on')
        .choices(['aws', 'gcp', 'azure'])
        .makeOptionMandatory(),
    )
    .option(
      '--config <file>',
      'cloudmux config file to read the provider settings from and write the names into',
      'cloudmux.config.json',
    )
    .option('--name <prefix>', 'prefix of every resource name', 'cloudmux')
    .option(
      '--bucket <name>',
      'bucket name (global per cloud; default: from the config, else <prefix>-lake-<random>)',
    )
    .option('--region <region>', 'AWS region (default: providers.aws.region, then AWS_REGION)')
    .option('--project <id>', 'GCP project (default: providers.gcp.projectId, then GOOGLE_CLOUD_PROJECT)')
    .option('--location <location>', 'GCP location (default US) or Azure location for the printed az steps')
    .option('--resource-group <name>', 'Azure resource group for the printed az steps')
    .option('--json', 'print the result as one JSON document on stdout');

type RawConfig = { resources?: Record<string, string>; providers?: Record<string, Record<string, unknown>> };

function readRaw(file: string): RawConfig {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RawConfig;
  } catch (cause) {
    throw new ConfigError({
      field: file,
      problem: `not valid JSON (${(cause as Error).message})`,
      fix: 'correct the JSON syntax',
      cause,
    });
  }
}

/** `providers.<cloud>` from the file, with what the command line adds. */
function baseOf(raw: RawConfig, options: ProvisionCommandOptions): Record<string, unknown> {
  const base = { ...(raw.providers?.[options.provider] ?? {}) };
  if (options.provider === 'aws' && options.region) base.region = options.region;
  if (options.provider === 'gcp') {
    const projectId = options.project ?? base.projectId ?? process.env.GOOGLE_CLOUD_PROJECT;
    if (!projectId) {
      throw new ConfigError({
        field: 'providers.gcp.projectId',
        problem: 'no GCP project',
        fix: 'pass --project <id> or set GOOGLE_CLOUD_PROJECT',
      });
    }
    base.projectId = projectId;
    if (options.location) base.location = options.location;
  }
  return base;
}

export async function runProvision(
  mode: 'provision' | 'teardown',
  options: ProvisionCommandOptions,
  context: ProvisionContext,
): Promise<{ result: ProvisionResult; file: string }> {
  const file = callerPath(options.config);
  const raw = readRaw(file);
  if (mode === 'teardown' && !raw.providers?.[options.provider]) {
    throw new ConfigError({
      field: `providers.${options.provider}`,
      problem: `${file} has no providers.${options.provider} section, so there is nothing known to remove`,
      fix: `point --config at the file \`cloudmux provision --provider ${options.provider}\` wrote`,
    });
  }
  const base = baseOf(raw, options);
  const common = { base, name: options.name };
  // Loaded on use: only the chosen cloud's SDKs are imported.
  const run = {
    aws: async () => {
      const { provisionAws, teardownAws } = await import('../provision/aws.ts');
      return (mode === 'provision' ? provisionAws : teardownAws)(
        { ...common, ...(options.bucket ? { bucket: options.bucket } : {}) },
        context,
      );
    },
    gcp: async () => {
      const { provisionGcp, teardownGcp } = await import('../provision/gcp.ts');
      return (mode === 'provision' ? provisionGcp : teardownGcp)(
        { ...common, ...(options.bucket ? { bucket: options.bucket } : {}) },
        context,
      );
    },
    azure: async () => {
      const { provisionAzure, teardownAzure } = await import('../provision/azure.ts');
      return (mode === 'provision' ? provisionAzure : teardownAzure)(
        {
          ...common,
          ...(options.resourceGroup ? { resourceGroup: options.resourceGroup } : {}),
          ...(options.location ? { location: options.location } : {}),
        },
        context,
      );
    },
  }[options.provider];
  const result = await run();
  if (mode === 'provision') {
    raw.providers = { ...raw.providers, [options.provider]: result.options };
    raw.resources = {
      objectStore: options.provider,
      queue: options.provider,
      warehouse: options.provider,
      secretStore: options.provider,
    };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(raw, null, 2)}\n`);
  }
  return { result, file };
}

function command(mode: 'provision' | 'teardown', description: string): Command {
  return withOptions(new Command(mode).description(description)).action(
    async (options: ProvisionCommandOptions) => {
      const json = options.json === true || wantsJson();
      const logger = createLogger(json);
      const providerModules = process.env.PIPELINE_PROVIDER_MODULES
        ? (JSON.parse(process.env.PIPELINE_PROVIDER_MODULES) as Record<string, string>)
        : {};
      const { result, file } = await runProvision(mode, options, {
        providerModules,
        onStep: (step) =>
          logger.info({ resource: step.resource, action: step.action }, `${step.action} ${step.detail}`),
      });
      if (json) {
        process.stdout.write(
          `${JSON.stringify({ config: file, steps: result.steps, manual: result.manual }, null, 2)}\n`,
        );
        return;
      }
      const out: string[] = [];
      if (mode === 'provision') out.push(`wrote providers.${options.provider} and resources into ${file}`);
      if (result.manual.length) {
        out.push('', 'steps no API here can do (run them yourself, in order):');
        for (const [i, step] of result.manual.entries()) out.push(`  ${i + 1}. ${step}`);
      }
      if (mode === 'provision')
        out.push('', `next: cloudmux doctor --provider ${options.provider} --config ${options.config}`);
      process.stdout.write(`${out.join('\n')}\n`);
    },
  );
}

export const provisionCommand = () =>
  command(
    'provision',
    'create, idempotently, the bucket, queue with dead-letter queue, warehouse (and on AWS the COPY role) and secret entries a cloud needs, and write the matching cloudmux.config.json; prints the az steps for what needs Azure Resource Manager',
  );

export const teardownCommand = () =>
  command(
    'teardown',
    'remove everything provision created for a cloud (safe to rerun: what is gone is skipped)',
  );
