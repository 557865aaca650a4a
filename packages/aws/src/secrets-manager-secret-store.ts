import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import {
  type DriverCall,
  DriverError,
  type Meter,
  portableSecretStore,
  reportUsage,
  type SecretStore,
  type SecretStoreCapabilities,
  type SecretStoreDriver,
  type SecretStoreLimits,
} from '@cloudmux/core';
import { awsErrorName, codeOf, PROVIDER, withCredentialsHint } from './errors.ts';

export interface SecretsManagerSecretStoreOptions {
  /** A ready client; when given, `clientConfig` is ignored and `close()` leaves it open. */
  client?: SecretsManagerClient;
  /** Settings for the client created lazily on first use (region, endpoint, credentials, …). */
  clientConfig?: SecretsManagerClientConfig;
  /** Prefix of every secret name, e.g. `cloudmux/prod/`. */
  prefix?: string;
  /** Days a deleted secret stays recoverable (7–30). Default 7. */
  recoveryWindowDays?: number;
  /** Delete without a recovery window unless `delete(…, { force: false })`. Default false. */
  forceDelete?: boolean;
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
}

const UNIT = 'secretsmanager.api-calls';
// Stage rank breaks ties between versions created in the same second.
const STAGE_RANK: Record<string, number> = { AWSCURRENT: 0, AWSPENDING: 1, AWSPREVIOUS: 2 };
/** Secrets Manager names: 512 characters (the prefix included). */
const MAX_NAME = 512;

const CAPABILITIES: SecretStoreCapabilities = {
  versions: true,
  getVersion: true,
  listVersions: true,
  binaryValues: true,
  softDelete: true,
};

/** SecretString and SecretBinary each hold at most 65,536 bytes (Secrets Manager quotas). */
export const SECRETS_MANAGER_LIMITS: SecretStoreLimits = { maxValueBytes: 65_536 };

/**
 * Secrets Manager answers InvalidRequestException for a secret scheduled for deletion; to a caller
 * that secret is gone.
 */
function isScheduledForDeletion(error: unknown): boolean {
  return (
    awsErrorName(error) === 'InvalidRequestException' &&
    /deleted|deletion/i.test((error as { message?: string }).message ?? '')
  );
}

function errorCode(error: unknown) {
  return isScheduledForDeletion(error) ? 'NotFound' : codeOf(error);
}

/** AWS Secrets Manager: the portable SecretStore over the Secrets Manager driver. */
export function createSecretsManagerSecretStore(options: SecretsManagerSecretStoreOptions = {}): SecretStore {
  return portableSecretStore(createSecretsManagerSecretStoreDriver(options), { meter: options.meter });
}

export function createSecretsManagerSecretStoreDriver(
  options: SecretsManagerSecretStoreOptions = {},
): SecretStoreDriver {
  const prefix = options.prefix ?? '';
  const recoveryWindowDays = options.recoveryWindowDays ?? 7;
  const forceByDefault = options.forceDelete ?? false;
  const ownsClient = !options.client;
  let client: SecretsManagerClient | undefined = options.client;
  const sm = () => {
    client ??= withCredentialsHint(new SecretsManagerClient(options.clientConfig ?? {}), 'secretStore');
    return client;
  };
  /** Options of one billed API call: counts it, and cancels it with the caller's signal. */
  const billed = (call: DriverCall) => {
    reportUsage({ units: { [UNIT]: 1 } });
    return call.signal ? { abortSignal: call.signal } : {};
  };
  const valueParams = (value: string | Uint8Array) =>
    typeof value === 'string' ? { SecretString: value } : { SecretBinary: value };

  return {
    provider: PROVIDER,
    capabilities: CAPABILITIES,
    limits: SECRETS_MANAGER_LIMITS,
    secretNameProblem: (name) =>
      prefix.length + name.length > MAX_NAME
        ? `${prefix.length + name.length} characters with the prefix; Secrets Manager allows ${MAX_NAME}`
        : undefined,
    valueSize: (_value, bytes) => bytes.byteLength,
    errorCode,
    native: sm,

    async put(name, value, call) {
      // One token for both attempts: Secrets Manager makes a repeated token the same version.
      const token = randomUUID();
      const addVersion = async () => {
        const response = await sm().send(
          new PutSecretValueCommand({
            SecretId: prefix + name,
            ClientRequestToken: token,
            ...valueParams(value),
          }),
          billed(call),
        );
        return response.VersionId ?? token;
      };
      try {
        return await addVersion();
      } catch (error) {
        if (errorCode(error) !== 'NotFound') throw error;
      }
      try {
        const response = await sm().send(
          new CreateSecretCommand({ Name: prefix + name, ClientRequestToken: token, ...valueParams(value) }),
          billed(call),
        );
        return response.VersionId ?? token;
      } catch (error) {
        // Another writer created it between our two calls: add our value as a new version.
        if (errorCode(error) === 'AlreadyExists') return addVersion();
        // The name belongs to a secret still inside its recovery window.
        if (errorCode(error) === 'NotFound') {
          throw new DriverError('AlreadyExists', {
            detail: 'a secret of that name is scheduled for deletion',
            cause: error,
          });
        }
        throw error;
      }
    },

    async get(name, version, call) {
      const response = await sm().send(
        new GetSecretValueCommand({ SecretId: prefix + name, ...(version ? { VersionId: version } : {}) }),
        billed(call),
      );
      return {
        version: response.VersionId ?? '',
        value: response.SecretBinary ?? response.SecretString ?? '',
        createdAt: response.CreatedDate,
      };
    },

    async listVersions(name, cursor, call) {
      const response = await sm().send(
        new ListSecretVersionIdsCommand({
          SecretId: prefix + name,
          IncludeDeprecated: true,
          MaxResults: 100,
          ...(cursor ? { NextToken: cursor } : {}),
        }),
        billed(call),
      );
      return {
        items: (response.Versions ?? []).map((e) => ({
          version: e.VersionId ?? '',
          ...(e.CreatedDate ? { createdAt: e.CreatedDate } : {}),
          stages: e.VersionStages ?? [],
          enabled: true,
          // Creation second, then stage (AWSCURRENT newest); equal ones keep the API's creation order.
          order: [
            e.CreatedDate?.getTime() ?? 0,
            -Math.min(...(e.VersionStages ?? []).map((s) => STAGE_RANK[s] ?? 3), 3),
          ],
        })),
        cursor: response.NextToken,
      };
    },

    async list(wantedPrefix, cursor, call) {
      const wanted = prefix + wantedPrefix;
      const response = await sm().send(
        new ListSecretsCommand({
          MaxResults: 100,
          ...(wanted ? { Filters: [{ Key: 'name', Values: [wanted] }] } : {}),
          ...(cursor ? { NextToken: cursor } : {}),
        }),
        billed(call),
      );
      const items = [];
      for (const secret of response.SecretList ?? []) {
        // The name filter matches words anywhere in the name; keep names under our prefix only.
        if (!secret.Name?.startsWith(prefix) || secret.DeletedDate) continue;
        items.push({
          name: secret.Name.slice(prefix.length),
          ...(secret.CreatedDate ? { createdAt: secret.CreatedDate } : {}),
        });
      }
      return { items, cursor: response.NextToken };
    },

    async delete(name, force = forceByDefault, call) {
      if (force) {
        // A forced DeleteSecret of a missing secret succeeds on AWS; the interface wants NotFound.
        const described = await sm().send(
          new DescribeSecretCommand({ SecretId: prefix + name }),
          billed(call),
        );
        if (described.DeletedDate) {
          throw new DriverError('NotFound', { detail: 'the secret is already scheduled for deletion' });
        }
      }
      await sm().send(
        new DeleteSecretCommand({
          SecretId: prefix + name,
          ...(force ? { ForceDeleteWithoutRecovery: true } : { RecoveryWindowInDays: recoveryWindowDays }),
        }),
        billed(call),
      );
    },

    async close() {
      if (ownsClient) client?.destroy();
      client = undefined;
    },
  };
}
