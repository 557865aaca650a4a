/**
 * One started set of emulators per cloud provider, with the cloudmux config that points all four
 * resources at them — what the pipeline's emulator end-to-end tests and `pnpm compare run` use.
 *
 * Each stack starts every emulator on free ports with the harness modules' health checks, creates
 * what the config expects to exist (bucket, container, dataset), and puts the emulators' (dummy)
 * credentials inside the config, so every process that re-opens the resources from the same config
 * reaches the same emulators. A missing emulator gives `{ skipped: reason }` instead of an error.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { CloudmuxConfigInput } from '@cloudmux/core';
import { motoMissingReason, startMoto, startRedshiftDataServer } from '@cloudmux/emulators/aws';
import { azuriteEntry, startAzurite, startKeyVaultServer, startTdsServer } from '@cloudmux/emulators/azure';
import {
  EMULATOR_PROJECT,
  FAKE_GCS_MISSING,
  fakeGcsAvailable,
  PSTEST_MISSING,
  pstestAvailable,
  startBigQueryServer,
  startFakeGcs,
  startPstest,
  startSecretManagerServer,
} from '@cloudmux/emulators/gcp';
import {
  createMinioBucket,
  MINIO_CREDENTIALS,
  MINIO_REGION,
  minioMissingReason,
  natsMissingReason,
  type RunningTrino,
  startMinio,
  startNats,
  startTrino,
  trinoMissingReason,
} from '@cloudmux/emulators/selfhosted';

export type EmulatedProvider = 'aws' | 'gcp' | 'azure' | 'selfhosted';

export interface EmulatorStack {
  /** Resources all set to the provider; `providers.<name>` points every service at its emulator. */
  config: CloudmuxConfigInput;
  /** Which emulator serves each resource. */
  detail: Record<'objectStore' | 'queue' | 'warehouse' | 'secretStore', string>;
  stop(): Promise<void>;
}

export type EmulatorStackResult = EmulatorStack | { skipped: string };

/** Environment variable through which the pipeline's registry picks a replacement provider module. */
export const PROVIDER_MODULES_ENV = 'PIPELINE_PROVIDER_MODULES';

const AWS_REGION = 'us-east-1';
/** Emulators accept any key; these never reach a real endpoint. */
const AWS_DUMMY_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const COPY_ROLE = 'arn:aws:iam::123456789012:role/cloudmux-copy';
const LAKE = 'cloudmux-lake';

const resourcesOf = (provider: EmulatedProvider) => ({
  objectStore: provider,
  queue: provider,
  warehouse: provider,
  secretStore: provider,
});

/**
 * Starts emulators one after another, stopping those already running when a later one fails, and
 * returns a stop() that stops them all in reverse order.
 */
class Started {
  readonly #stops: Array<() => Promise<void>> = [];

  async add<T extends { stop(): Promise<void> }>(start: Promise<T>): Promise<T> {
    try {
      const running = await start;
      this.#stops.push(() => running.stop());
      return running;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  onStop(step: () => Promise<void> | void): void {
    this.#stops.push(async () => step());
  }

  async stop(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.#stops.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length) throw new AggregateError(errors, 'stopping emulators failed');
  }
}

/** moto for S3, SQS and Secrets Manager; the Redshift Data API test server (PGlite) reading S3 on moto. */
export async function startAwsStack(): Promise<EmulatorStackResult> {
  const missing = emulatorStackUnavailable('aws');
  if (missing) return { skipped: missing };
  const started = new Started();
  const moto = await started.add(startMoto());
  const s3Config: S3ClientConfig = {
    region: AWS_REGION,
    endpoint: moto.endpoint,
    credentials: { ...AWS_DUMMY_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  const redshift = await started.add(startRedshiftDataServer({ s3: s3Config }));
  const s3 = new S3Client(s3Config);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: LAKE }));
  } catch (error) {
    await started.stop();
    throw error;
  } finally {
    s3.destroy();
  }
  return {
    config: {
      resources: resourcesOf('aws'),
      providers: {
        aws: {
          region: AWS_REGION,
          credentials: { ...AWS_DUMMY_CREDENTIALS },
          endpoints: {
            s3: moto.endpoint,
            sqs: moto.endpoint,
            secretsManager: moto.endpoint,
            redshiftData: redshift.endpoint,
          },
          s3: { bucket: LAKE, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' },
          redshift: {
            workgroupName: 'cloudmux-emulator',
            database: 'dev',
            iamRoleArn: COPY_ROLE,
            pollIntervalMs: 5,
            maxPollIntervalMs: 100,
          },
          // Reruns against the same emulator reuse names; a recovery window would block them.
          secretsManager: { forceDelete: true },
        },
      },
    },
    detail: {
      objectStore: 'moto (S3)',
      queue: 'moto (SQS)',
      warehouse: 'redshift-data-server (Redshift Data API on PGlite)',
      secretStore: 'moto (Secrets Manager)',
    },
    stop: () => started.stop(),
  };
}

/** fake-gcs-server, pstest, the BigQuery test server (DuckDB, loads from fake-gcs-server) and the Secret Manager test server. */
export async function startGcpStack(): Promise<EmulatorStackResult> {
  const missing = emulatorStackUnavailable('gcp');
  if (missing) return { skipped: missing };
  const started = new Started();
  const gcs = await started.add(startFakeGcs());
  const pubsub = await started.add(startPstest());
  const bigquery = await started.add(startBigQueryServer({ gcsEndpoint: gcs.endpoint }));
  const secrets = await started.add(startSecretManagerServer());
  try {
    await gcs.createBucket(LAKE);
  } catch (error) {
    await started.stop();
    throw error;
  }
  return {
    config: {
      resources: resourcesOf('gcp'),
      providers: {
        gcp: {
          projectId: EMULATOR_PROJECT,
          storage: { bucket: LAKE, apiEndpoint: gcs.endpoint },
          pubsub: { apiEndpoint: pubsub.endpoint },
          // The warehouse adapter creates the dataset on first use.
          bigquery: { dataset: 'cloudmux', apiEndpoint: bigquery.endpoint },
          secretManager: { apiEndpoint: secrets.endpoint },
        },
      },
    },
    detail: {
      objectStore: 'fake-gcs-server (Cloud Storage)',
      queue: 'pstest (Pub/Sub)',
      warehouse: 'bigquery-server (BigQuery REST v2 on DuckDB)',
      secretStore: 'secret-manager-server (Secret Manager gRPC)',
    },
    stop: () => started.stop(),
  };
}

/**
 * The Azure provider module for the emulators (the official one plus the test servers' certificate,
 * token and SQL password under `providers.azure.testServers`), as a specifier for a registry's
 * `providers` override — what the stack sets, and what a URL opener needs to reach the Key Vault test server.
 */
export const AZURE_EMULATOR_PROVIDER = new URL('./providers/azure.ts', import.meta.url).href;

/**
 * Azurite for Blob and Queue Storage, the TDS test server (Synapse SQL on DuckDB, COPY INTO from
 * Azurite with a SAS) and the Key Vault test server. The Key Vault test server needs a client that
 * trusts its certificate and sends its token, which `providers.azure` cannot express, so the stack
 * swaps in the thin provider module `providers/azure.ts` through PIPELINE_PROVIDER_MODULES
 * (inherited by the pipeline's consumer processes) for as long as it runs.
 */
export async function startAzureStack(): Promise<EmulatorStackResult> {
  const missing = emulatorStackUnavailable('azure');
  if (missing) return { skipped: missing };
  const started = new Started();
  const azurite = await started.add(startAzurite());
  const tds = await started.add(startTdsServer());
  const keyVault = await started.add(startKeyVaultServer());
  const previous = process.env[PROVIDER_MODULES_ENV];
  const modules = previous ? (JSON.parse(previous) as Record<string, string>) : {};
  process.env[PROVIDER_MODULES_ENV] = JSON.stringify({ ...modules, azure: AZURE_EMULATOR_PROVIDER });
  started.onStop(() => {
    if (previous === undefined) delete process.env[PROVIDER_MODULES_ENV];
    else process.env[PROVIDER_MODULES_ENV] = previous;
  });
  return {
    config: {
      resources: resourcesOf('azure'),
      providers: {
        azure: {
          // The Azurite development account (its key is public and documented).
          blob: { connectionString: azurite.connectionString, container: LAKE },
          queue: { connectionString: azurite.connectionString },
          synapse: {
            server: tds.host,
            port: tds.port,
            database: tds.database,
            authentication: { type: 'sql', user: 'cloudmux', passwordEnv: 'CLOUDMUX_TDS_TEST_PASSWORD' },
            // The test server speaks TDS without TLS; a real endpoint always encrypts.
            encrypt: false,
            loadCredential: 'sas',
          },
          keyVault: { vaultUrl: keyVault.vaultUrl, purgeOnDelete: true },
          testServers: {
            keyVaultCertificate: keyVault.certificate,
            keyVaultToken: keyVault.token,
            synapsePassword: 'tds-test-server-accepts-any',
          },
        },
      },
    },
    detail: {
      objectStore: 'Azurite (Blob Storage)',
      queue: 'Azurite (Queue Storage)',
      warehouse: 'tds-server (Synapse SQL over TDS on DuckDB)',
      secretStore: 'key-vault-server (Key Vault REST)',
    },
    stop: () => started.stop(),
  };
}

/**
 * The self-hosted stack on real servers: MinIO (objects, the encrypted secrets, and Trino's
 * metastore and tables), nats-server with JetStream (queue) and Trino with the Hive connector
 * (warehouse over the lake). Trino starts in 20–40 s on two cores, so it starts beside the others.
 */
export async function startSelfhostedStack(): Promise<EmulatorStackResult> {
  const missing = emulatorStackUnavailable('selfhosted');
  if (missing) return { skipped: missing };
  const started = new Started();
  const minio = await started.add(startMinio());
  const nats = await started.add(startNats());
  const dir = await mkdtemp(join(tmpdir(), 'cloudmux-selfhosted-stack-'));
  started.onStop(() => rm(dir, { recursive: true, force: true }));
  let trino: RunningTrino;
  try {
    await createMinioBucket(minio.endpoint, LAKE);
    // A key file rather than a variable: every process that re-opens the config finds it.
    await writeFile(join(dir, 'secret.key'), `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    trino = await started.add(
      startTrino({
        s3: { endpoint: minio.endpoint, region: MINIO_REGION, ...MINIO_CREDENTIALS, bucket: LAKE },
      }),
    );
  } catch (error) {
    await started.stop();
    throw error;
  }
  return {
    config: {
      resources: resourcesOf('selfhosted'),
      providers: {
        selfhosted: {
          s3: { endpoint: minio.endpoint, bucket: LAKE, credentials: { ...MINIO_CREDENTIALS } },
          nats: { servers: nats.endpoint },
          trino: { endpoint: trino.endpoint, catalog: trino.catalog, schema: 'cloudmux' },
          secretStore: { keyFile: join(dir, 'secret.key') },
        },
      },
    },
    detail: {
      objectStore: 'MinIO (S3-compatible)',
      queue: 'nats-server (JetStream)',
      warehouse: 'Trino 476 (Hive connector, file metastore and tables on MinIO)',
      secretStore: 'encrypted objects on MinIO',
    },
    stop: () => started.stop(),
  };
}

/** Why a provider's stack cannot start on this machine (a missing emulator and how to install it), or undefined. */
export function emulatorStackUnavailable(provider: EmulatedProvider): string | undefined {
  switch (provider) {
    case 'aws':
      return motoMissingReason();
    case 'gcp':
      return fakeGcsAvailable() ? (pstestAvailable() ? undefined : PSTEST_MISSING) : FAKE_GCS_MISSING;
    case 'azure':
      return azuriteEntry()
        ? undefined
        : 'azurite is not installed (a dependency of @cloudmux/emulators: run pnpm install)';
    case 'selfhosted':
      return minioMissingReason() ?? natsMissingReason() ?? trinoMissingReason();
  }
}

export const emulatorStacks: Record<EmulatedProvider, () => Promise<EmulatorStackResult>> = {
  aws: startAwsStack,
  gcp: startGcpStack,
  azure: startAzureStack,
  selfhosted: startSelfhostedStack,
};
