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
  type SecretVersionsListEntry,
} from '@aws-sdk/client-secrets-manager';
import {
  assertSecretName,
  CloudmuxError,
  reportUsage,
  type SecretListEntry,
  type SecretStore,
  type SecretStoreCapabilities,
  SecretValue,
  type SecretVersionInfo,
} from '@cloudmux/core';
import { awsErrorName, PROVIDER, translateAwsError } from './errors.ts';

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
}

const UNIT = 'secretsmanager.api-calls';
// Stage rank breaks ties between versions created in the same second.
const STAGE_RANK: Record<string, number> = { AWSCURRENT: 0, AWSPENDING: 1, AWSPREVIOUS: 2 };

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

export function createSecretsManagerSecretStore(options: SecretsManagerSecretStoreOptions = {}): SecretStore {
  const prefix = options.prefix ?? '';
  const recoveryWindowDays = options.recoveryWindowDays ?? 7;
  const forceByDefault = options.forceDelete ?? false;
  const ownsClient = !options.client;
  let client: SecretsManagerClient | undefined = options.client;
  const sm = () => {
    client ??= new SecretsManagerClient(options.clientConfig ?? {});
    return client;
  };

  const capabilities: SecretStoreCapabilities = {
    versions: true,
    getVersion: true,
    listVersions: true,
    binaryValues: true,
    softDelete: true,
  };

  /** One metered API call; every error leaves translated, a deleted secret as NotFound. */
  async function call<T>(operation: string, name: string, send: () => Promise<T>): Promise<T> {
    reportUsage({ units: { [UNIT]: 1 } });
    try {
      return await send();
    } catch (error) {
      const context = { resource: 'secretStore' as const, operation, subject: prefix + name };
      throw translateAwsError(error, context, isScheduledForDeletion(error) ? 'NotFound' : undefined);
    }
  }

  const valueParams = (value: string | Uint8Array) =>
    typeof value === 'string' ? { SecretString: value } : { SecretBinary: value };

  return {
    provider: PROVIDER,
    capabilities,

    async put(name, value) {
      assertSecretName(PROVIDER, name);
      const token = randomUUID();
      const addVersion = async () => {
        const response = await call('put', name, () =>
          sm().send(
            new PutSecretValueCommand({
              SecretId: prefix + name,
              ClientRequestToken: token,
              ...valueParams(value),
            }),
          ),
        );
        return { version: response.VersionId ?? token };
      };
      try {
        return await addVersion();
      } catch (error) {
        if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
      }
      try {
        const response = await call('put', name, () =>
          sm().send(
            new CreateSecretCommand({
              Name: prefix + name,
              ClientRequestToken: token,
              ...valueParams(value),
            }),
          ),
        );
        return { version: response.VersionId ?? token };
      } catch (error) {
        // Another writer created it between our two calls: add our value as a new version.
        if (CloudmuxError.hasCode(error, 'AlreadyExists')) return addVersion();
        // The name belongs to a secret still inside its recovery window.
        if (CloudmuxError.hasCode(error, 'NotFound')) {
          throw new CloudmuxError({
            code: 'AlreadyExists',
            message: `put ${prefix + name} failed: a secret of that name is scheduled for deletion`,
            provider: PROVIDER,
            resource: 'secretStore',
            operation: 'put',
            cause: error,
          });
        }
        throw error;
      }
    },

    async get(name, getOptions) {
      assertSecretName(PROVIDER, name);
      const response = await call('get', name, () =>
        sm().send(
          new GetSecretValueCommand({
            SecretId: prefix + name,
            ...(getOptions?.version ? { VersionId: getOptions.version } : {}),
          }),
        ),
      );
      const value = response.SecretBinary ?? response.SecretString ?? '';
      return new SecretValue(name, response.VersionId ?? '', value, response.CreatedDate);
    },

    async listVersions(name) {
      assertSecretName(PROVIDER, name);
      const entries: SecretVersionsListEntry[] = [];
      let token: string | undefined;
      do {
        const response = await call('listVersions', name, () =>
          sm().send(
            new ListSecretVersionIdsCommand({
              SecretId: prefix + name,
              IncludeDeprecated: true,
              MaxResults: 100,
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        );
        entries.push(...(response.Versions ?? []));
        token = response.NextToken;
      } while (token);
      const rank = (e: SecretVersionsListEntry) =>
        Math.min(...(e.VersionStages ?? []).map((s) => STAGE_RANK[s] ?? 3), 3);
      const order = new Map(entries.map((e, i) => [e, i]));
      return entries
        .sort(
          (a, b) =>
            (b.CreatedDate?.getTime() ?? 0) - (a.CreatedDate?.getTime() ?? 0) ||
            rank(a) - rank(b) ||
            // equal times and no stage: later in the API's (creation-ordered) list is newer
            (order.get(b) ?? 0) - (order.get(a) ?? 0),
        )
        .map(
          (e): SecretVersionInfo => ({
            version: e.VersionId ?? '',
            ...(e.CreatedDate ? { createdAt: e.CreatedDate } : {}),
            stages: e.VersionStages ?? [],
            enabled: true,
          }),
        );
    },

    async list(listOptions) {
      const wanted = prefix + (listOptions?.prefix ?? '');
      const out: SecretListEntry[] = [];
      let token: string | undefined;
      do {
        const response = await call('list', listOptions?.prefix ?? '', () =>
          sm().send(
            new ListSecretsCommand({
              MaxResults: 100,
              ...(wanted ? { Filters: [{ Key: 'name', Values: [wanted] }] } : {}),
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        );
        for (const secret of response.SecretList ?? []) {
          // The name filter matches words anywhere in the name; keep true prefix matches only.
          if (!secret.Name?.startsWith(wanted) || secret.DeletedDate) continue;
          out.push({
            name: secret.Name.slice(prefix.length),
            ...(secret.CreatedDate ? { createdAt: secret.CreatedDate } : {}),
          });
        }
        token = response.NextToken;
      } while (token);
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async delete(name, deleteOptions) {
      assertSecretName(PROVIDER, name);
      const force = deleteOptions?.force ?? forceByDefault;
      if (force) {
        // A forced DeleteSecret of a missing secret succeeds on AWS; the interface wants NotFound.
        const described = await call('delete', name, () =>
          sm().send(new DescribeSecretCommand({ SecretId: prefix + name })),
        );
        if (described.DeletedDate) {
          throw new CloudmuxError({
            code: 'NotFound',
            message: `delete ${prefix + name} failed: the secret is already scheduled for deletion`,
            provider: PROVIDER,
            resource: 'secretStore',
            operation: 'delete',
          });
        }
      }
      await call('delete', name, () =>
        sm().send(
          new DeleteSecretCommand({
            SecretId: prefix + name,
            ...(force ? { ForceDeleteWithoutRecovery: true } : { RecoveryWindowInDays: recoveryWindowDays }),
          }),
        ),
      );
    },

    async close() {
      if (ownsClient) client?.destroy();
      client = undefined;
    },
  };
}
