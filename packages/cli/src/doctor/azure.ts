import {
  AzureCliCredential,
  AzureDeveloperCliCredential,
  AzurePowerShellCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  type TokenCredential,
  WorkloadIdentityCredential,
} from '@azure/identity';
import { BlobServiceClient } from '@azure/storage-blob';
import type { AzureOptions } from '@cloudmux/azure';
import { type DoctorCheck, describeError, ok, problem, skipped, warning } from './check.ts';
import { checkClock } from './clock.ts';
import type { CloudUnderTest } from './config.ts';
import { type ProbeContext, probeThroughAdapter } from './probe.ts';

const CREDENTIAL_FIX =
  'run `az login` (a person), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (a service principal), or run with a managed identity; storage alone can also use a connection string in AZURE_STORAGE_CONNECTION_STRING';

/** How each service in use authenticates, from the options the adapters read. */
function authPlan(options: AzureOptions, kinds: readonly string[], env: NodeJS.ProcessEnv) {
  const viaEntra: string[] = [];
  const other: string[] = [];
  const missing: string[] = [];
  for (const [kind, label, section] of [
    ['objectStore', 'Blob', options.blob],
    ['queue', 'Queue', options.queue],
  ] as const) {
    if (!kinds.includes(kind) || !section) continue;
    if (section.connectionString) other.push(`${label}: connection string in providers.azure`);
    else if (env[section.connectionStringEnv])
      other.push(`${label}: connection string from ${section.connectionStringEnv}`);
    else if (options.credentials.kind === 'accountKey') {
      if (env[options.credentials.accountKeyEnv])
        other.push(`${label}: account key from ${options.credentials.accountKeyEnv}`);
      else missing.push(`${label}: account key variable ${options.credentials.accountKeyEnv} is unset`);
    } else viaEntra.push(label);
  }
  if (kinds.includes('warehouse') && options.synapse) {
    const auth = options.synapse.authentication;
    if (auth.type === 'sql') {
      if (env[auth.passwordEnv])
        other.push(`Synapse: SQL login ${auth.user}, password from ${auth.passwordEnv}`);
      else
        other.push(
          `Synapse: SQL login ${auth.user} (password variable ${auth.passwordEnv}: checked by the access probe)`,
        );
    } else viaEntra.push('Synapse');
  }
  if (kinds.includes('secretStore') && options.keyVault) viaEntra.push('Key Vault');
  return { viaEntra, other, missing };
}

/** DefaultAzureCredential's chain, in its order, each member tried on its own so the report can name it. */
function chain(options: AzureOptions): Array<[string, () => TokenCredential]> {
  const tenantId = options.credentials.kind === 'default' ? options.credentials.tenantId : undefined;
  const clientId =
    options.credentials.kind === 'default' ? options.credentials.managedIdentityClientId : undefined;
  const tenant = tenantId ? { tenantId } : {};
  // Factories: some members throw from the constructor when their environment is missing.
  return [
    [
      'EnvironmentCredential (AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET)',
      () => new EnvironmentCredential(),
    ],
    [
      'WorkloadIdentityCredential (AKS workload identity)',
      () => new WorkloadIdentityCredential({ ...tenant }),
    ],
    [
      'ManagedIdentityCredential',
      () => (clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential()),
    ],
    ['AzureCliCredential (az login)', () => new AzureCliCredential({ ...tenant })],
    ['AzurePowerShellCredential (Connect-AzAccount)', () => new AzurePowerShellCredential({ ...tenant })],
    ['AzureDeveloperCliCredential (azd auth login)', () => new AzureDeveloperCliCredential({ ...tenant })],
  ];
}

export async function checkAzureCredentials(
  target: CloudUnderTest,
  env: NodeJS.ProcessEnv,
): Promise<DoctorCheck> {
  const options = target.options as AzureOptions;
  const plan = authPlan(options, target.kinds, env);
  if (plan.missing.length) return problem('credentials', plan.missing.join('; '), CREDENTIAL_FIX, 'azure');
  if (!plan.viaEntra.length)
    return ok('credentials', plan.other.join('; ') || 'nothing in use needs credentials', 'azure');
  const tried: string[] = [];
  for (const [name, create] of chain(options)) {
    try {
      await create().getToken('https://storage.azure.com/.default', {
        abortSignal: AbortSignal.timeout(10_000),
      });
      return ok(
        'credentials',
        [...plan.other, `${plan.viaEntra.join(', ')}: Entra ID token from ${name}`].join('; '),
        'azure',
      );
    } catch (error) {
      tried.push(
        `${name}: ${describeError(error)
          .replace(/^CredentialUnavailableError: /, '')
          .slice(0, 160)}`,
      );
    }
  }
  return problem(
    'credentials',
    `${plan.viaEntra.join(', ')} need an Entra ID token and DefaultAzureCredential found none; tried ${tried.join('; ')}`,
    CREDENTIAL_FIX,
    'azure',
  );
}

export async function checkAzureResources(
  target: CloudUnderTest,
  env: NodeJS.ProcessEnv,
): Promise<DoctorCheck[]> {
  const options = target.options as AzureOptions;
  const blob = options.blob;
  if (!target.kinds.includes('objectStore') || !blob) return [];
  const connectionString = blob.connectionString ?? env[blob.connectionStringEnv];
  if (!connectionString) {
    return [
      skipped(
        'resource:objectStore',
        'the container is checked through the adapter probe (no connection string)',
        'azure',
      ),
    ];
  }
  try {
    const exists = await BlobServiceClient.fromConnectionString(connectionString)
      .getContainerClient(blob.container)
      .exists();
    return [
      exists
        ? ok('resource:objectStore', `Blob container ${blob.container} exists`, 'azure')
        : warning(
            'resource:objectStore',
            `Blob container ${blob.container} does not exist yet (the adapter creates it on first use)`,
            'run `cloudmux provision --provider azure` to create it now',
            'azure',
          ),
    ];
  } catch (error) {
    return [
      problem(
        'resource:objectStore',
        `Blob GetContainerProperties ${blob.container} failed: ${describeError(error)}`,
        'check the connection string and the network path to the storage account',
        'azure',
      ),
    ];
  }
}

export async function checkAzurePermissions(
  target: CloudUnderTest,
  context: ProbeContext,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const kind of ['objectStore', 'warehouse', 'secretStore'] as const) {
    if (target.kinds.includes(kind)) checks.push(await probeThroughAdapter('azure', kind, context));
  }
  return checks;
}

export function checkAzureRegion(): DoctorCheck {
  return skipped(
    'region',
    "Azure resources are addressed by URL; their region is the account's, workspace's or vault's own",
    'azure',
  );
}

export async function checkAzureClock(options: AzureOptions, env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const blob = options.blob;
  let endpoint = blob?.accountUrl;
  const connectionString = blob?.connectionString ?? (blob ? env[blob.connectionStringEnv] : undefined);
  if (!endpoint && connectionString) endpoint = BlobServiceClient.fromConnectionString(connectionString).url;
  if (!endpoint) return skipped('clock', 'no Blob endpoint configured to read a clock from', 'azure');
  // Shared Key and SAS requests are rejected beyond 15 minutes of skew.
  return checkClock('azure', endpoint, 15 * 60);
}
