import { z } from 'zod';

/**
 * How the adapters authenticate to Azure.
 * - `default`: DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI).
 *   Blob SAS URLs are then user-delegation SAS.
 * - `accountKey`: a storage account name and key (Blob and Queue only); SAS URLs are account-key
 *   SAS. The key is read from `accountKeyEnv` so it never sits in a config file.
 */
export const azureCredentialsSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('default'),
      /** Entra ID tenant to pin DefaultAzureCredential to; default: from the environment. */
      tenantId: z.string().optional(),
      /** Client id of a user-assigned managed identity. */
      managedIdentityClientId: z.string().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('accountKey'),
      /** Storage account name. */
      accountName: z.string().min(1),
      /** Environment variable holding the account key. */
      accountKeyEnv: z.string().default('AZURE_STORAGE_KEY'),
    })
    .strict(),
]);

/** Where a storage service is: an account URL (with `credentials`) or a connection string. */
const storageEndpointFields = {
  /** `https://<account>.blob.core.windows.net` (or .queue.…); authenticates with `credentials`. */
  accountUrl: z.string().url().optional(),
  /**
   * A full connection string (e.g. the Azurite dev account). Prefer `connectionStringEnv` outside
   * tests: a connection string contains the account key.
   */
  connectionString: z.string().min(1).optional(),
  /** Environment variable holding the connection string. Default `AZURE_STORAGE_CONNECTION_STRING`. */
  connectionStringEnv: z.string().default('AZURE_STORAGE_CONNECTION_STRING'),
};

export const azureBlobOptionsSchema = z
  .object({
    ...storageEndpointFields,
    /** Container holding the objects; created on first use when missing. */
    container: z.string().min(3).max(63),
    /** Key prefix inside the container, e.g. `lake/`; keys are relative to it. */
    prefix: z.string().default(''),
    /** Streams are uploaded as blocks of this many bytes. Default 8 MiB. */
    blockSizeBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(8 * 1024 * 1024),
    /** Blocks uploaded in parallel per stream. */
    uploadConcurrency: z.number().int().min(1).max(64).default(4),
  })
  .strict();

export const azureQueueOptionsSchema = z
  .object({
    ...storageEndpointFields,
    /** Prefix prepended to every queue name (Queue Storage names: lower-case, 3–63 chars). */
    queuePrefix: z.string().default(''),
  })
  .strict();

export const azureSynapseAuthenticationSchema = z.discriminatedUnion('type', [
  /** Entra ID token from `credentials` (DefaultAzureCredential). */
  z.object({ type: z.literal('default') }).strict(),
  /** SQL authentication; the password is read from `passwordEnv`. */
  z
    .object({
      type: z.literal('sql'),
      user: z.string().min(1),
      passwordEnv: z.string().default('AZURE_SQL_PASSWORD'),
    })
    .strict(),
]);

export const azureSynapseOptionsSchema = z
  .object({
    /** `<workspace>.sql.azuresynapse.net` (dedicated) or `<workspace>-ondemand.sql.azuresynapse.net` (serverless). */
    server: z.string().min(1),
    port: z.number().int().positive().default(1433),
    database: z.string().min(1),
    /** Dedicated pools load with COPY INTO; serverless pools read with OPENROWSET. */
    pool: z.enum(['dedicated', 'serverless']).default('dedicated'),
    authentication: azureSynapseAuthenticationSchema.default({ type: 'default' }),
    /** Schema holding the tables. */
    schema: z.string().default('dbo'),
    /** TLS on the TDS connection. Only a local test server turns it off. */
    encrypt: z.boolean().default(true),
    trustServerCertificate: z.boolean().default(false),
    /** Connections kept by the mssql pool. */
    poolMax: z.number().int().min(1).default(10),
    /** Credential COPY INTO / OPENROWSET use to read the lake: the workspace managed identity, or a SAS from the object store. */
    loadCredential: z.enum(['managedIdentity', 'sas', 'none']).default('managedIdentity'),
    requestTimeoutMs: z.number().int().positive().default(300_000),
  })
  .strict();

export const azureKeyVaultOptionsSchema = z
  .object({
    /** `https://<vault>.vault.azure.net`. */
    vaultUrl: z.string().url(),
    /**
     * After a delete, also purge (needs the Purge permission and a vault without purge protection).
     * Default false: deleted secrets stay recoverable for the vault's retention period.
     */
    purgeOnDelete: z.boolean().default(false),
  })
  .strict();

/** Options of the Azure provider (`providers.azure` in the config). Each resource block is needed only when used. */
export const azureOptionsSchema = z
  .object({
    credentials: azureCredentialsSchema.default({ kind: 'default' }),
    blob: azureBlobOptionsSchema.optional(),
    queue: azureQueueOptionsSchema.optional(),
    synapse: azureSynapseOptionsSchema.optional(),
    keyVault: azureKeyVaultOptionsSchema.optional(),
  })
  .strict();

export type AzureOptions = z.output<typeof azureOptionsSchema>;
export type AzureCredentialsOptions = z.output<typeof azureCredentialsSchema>;
export type AzureBlobOptions = z.output<typeof azureBlobOptionsSchema>;
export type AzureQueueOptions = z.output<typeof azureQueueOptionsSchema>;
export type AzureSynapseOptions = z.output<typeof azureSynapseOptionsSchema>;
export type AzureKeyVaultOptions = z.output<typeof azureKeyVaultOptionsSchema>;
