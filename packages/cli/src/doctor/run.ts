import type { AwsOptions } from '@cloudmux/aws';
import type { AzureOptions } from '@cloudmux/azure';
import type { GcpOptions } from '@cloudmux/gcp';
import { type DoctorCheck, type DoctorReport, skipped } from './check.ts';
import { type Cloud, type CloudUnderTest, checkConfig } from './config.ts';
import { checkNodeVersion } from './node-version.ts';
import type { ProbeContext } from './probe.ts';

export type { DoctorCheck, DoctorReport } from './check.ts';

export interface DoctorOptions {
  /** Config file; default $CLOUDMUX_CONFIG or ./cloudmux.config.json. */
  configFile?: string;
  /** Check only this cloud (default: every cloud the config uses). */
  provider?: Cloud;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called as each check finishes, in order. */
  onCheck?: (check: DoctorCheck) => void;
}

/**
 * Checks, in order: the Node version, the config (every problem at once), then per cloud the
 * credential chain, the region, that each configured resource exists, that the credentials can make
 * the adapters' calls (harmless ones), and clock skew. Later checks still run after a problem, so
 * one run shows everything there is to fix.
 */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const checks: DoctorCheck[] = [];
  const add = (...found: DoctorCheck[]) => {
    for (const check of found) {
      checks.push(check);
      options.onCheck?.(check);
    }
  };
  add(checkNodeVersion());
  const config = await checkConfig({
    env,
    cwd: options.cwd ?? process.cwd(),
    ...(options.configFile ? { file: options.configFile } : {}),
    ...(options.provider ? { provider: options.provider } : {}),
  });
  add(...config.checks);
  if (config.config && config.baseDir) {
    const context: ProbeContext = {
      config: config.config,
      baseDir: config.baseDir,
      env,
      providerModules: config.providerModules,
    };
    for (const target of config.clouds) await checkCloud(target, context, add);
  }
  return { ok: !checks.some((check) => check.status === 'problem'), checks };
}

async function checkCloud(
  target: CloudUnderTest,
  context: ProbeContext,
  add: (...checks: DoctorCheck[]) => void,
): Promise<void> {
  const { env } = context;
  switch (target.cloud) {
    // Each cloud's checks are loaded on use: its SDKs take seconds to import.
    case 'aws': {
      const { checkAwsClock, checkAwsCredentials, checkAwsPermissions, checkAwsRegion, checkAwsResources } =
        await import('./aws.ts');
      const options = target.options as AwsOptions;
      add(await checkAwsCredentials(options, env));
      add(checkAwsRegion(options, env));
      add(...(await checkAwsResources(target)));
      add(...(await checkAwsPermissions(target, context)));
      add(await checkAwsClock(options, env));
      return;
    }
    case 'gcp': {
      const { checkGcpClock, checkGcpCredentials, checkGcpPermissions, checkGcpRegion, checkGcpResources } =
        await import('./gcp.ts');
      const options = target.options as GcpOptions;
      const credentials = await checkGcpCredentials(target, env);
      add(credentials);
      add(checkGcpRegion(options));
      if (credentials.status === 'problem') add(skippedForCredentials('gcp'));
      else {
        add(...(await checkGcpResources(target)));
        add(...(await checkGcpPermissions(target, context)));
      }
      add(await checkGcpClock(options));
      return;
    }
    case 'azure': {
      const {
        checkAzureClock,
        checkAzureCredentials,
        checkAzurePermissions,
        checkAzureRegion,
        checkAzureResources,
      } = await import('./azure.ts');
      const options = target.options as AzureOptions;
      const credentials = await checkAzureCredentials(target, env);
      add(credentials);
      add(checkAzureRegion());
      if (credentials.status === 'problem') add(skippedForCredentials('azure'));
      else {
        add(...(await checkAzureResources(target, env)));
        add(...(await checkAzurePermissions(target, context)));
      }
      add(await checkAzureClock(options, env));
      return;
    }
  }
}

/**
 * Without credentials, Google's and Azure's clients retry each call for tens of seconds before they
 * fail; the credentials check above already says what to fix. (AWS fails at once and names the
 * service per call, so its resource checks still run.)
 */
const skippedForCredentials = (cloud: 'gcp' | 'azure') =>
  skipped(
    'resources',
    'resource and access checks need credentials: fix the credentials problem above first',
    cloud,
  );
