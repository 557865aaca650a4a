/**
 * THE table of calls each adapter makes and the permission each call needs. docs/policies/ is
 * generated from it (`pnpm --filter @cloudmux/cli run policies`), and a test checks it against the
 * adapters' sources both ways: every call in the sources has a row, every row is still a call.
 *
 * Sources of the permission names: AWS Service Authorization Reference (actions per service);
 * Google Cloud IAM permissions reference; Azure built-in roles / resource provider operations
 * (Microsoft.Storage, Microsoft.KeyVault). Checked 2026-12.
 */
import type { CloudProviderName, ResourceName } from '@cloudmux/core';

export type Cloud = CloudProviderName;
export type Adapter = ResourceName;

/** Where an AWS permission applies, rendered as the resource ARN of its statement. */
export type AwsScope = 'bucket' | 'objects' | 'queues' | 'secrets' | 'workgroup' | 'any';

export interface PolicyRow {
  cloud: Cloud;
  adapter: Adapter;
  /** The adapter source file (in packages/<cloud>/src) that makes the call. */
  file: string;
  /** The SDK call: an AWS command name, or a GCP/Azure client method. */
  call: string;
  /** Permissions the call needs; empty for calls that send no request (local handles, local signing). */
  permissions: string[];
  /** AWS: which resource ARN the permissions are granted on. */
  scope?: AwsScope;
  note?: string;
}

const aws = (
  adapter: Adapter,
  file: string,
  scope: AwsScope,
  rows: Array<[string, string[], string?]>,
): PolicyRow[] =>
  rows.map(([call, permissions, note]) => ({
    cloud: 'aws',
    adapter,
    file,
    call,
    permissions,
    scope,
    ...(note ? { note } : {}),
  }));

const other = (
  cloud: 'gcp' | 'azure',
  adapter: Adapter,
  file: string,
  rows: Array<[string, string[], string?]>,
): PolicyRow[] =>
  rows.map(([call, permissions, note]) => ({
    cloud,
    adapter,
    file,
    call,
    permissions,
    ...(note ? { note } : {}),
  }));

const BLOB = 'Microsoft.Storage/storageAccounts/blobServices';
const QUEUE = 'Microsoft.Storage/storageAccounts/queueServices';
const VAULT = 'Microsoft.KeyVault/vaults/secrets';

export const POLICY_TABLE: readonly PolicyRow[] = [
  // AWS: S3
  ...aws('objectStore', 's3-object-store.ts', 'objects', [
    ['PutObjectCommand', ['s3:PutObject']],
    ['GetObjectCommand', ['s3:GetObject']],
    ['HeadObjectCommand', ['s3:GetObject']],
    ['CopyObjectCommand', ['s3:GetObject', 's3:PutObject']],
    ['DeleteObjectCommand', ['s3:DeleteObject']],
    ['DeleteObjectsCommand', ['s3:DeleteObject']],
    [
      'Upload',
      ['s3:PutObject', 's3:AbortMultipartUpload'],
      'lib-storage multipart: Create/UploadPart/Complete need s3:PutObject',
    ],
    ['getSignedUrl', ['s3:GetObject', 's3:PutObject'], "a presigned URL acts with the signer's permissions"],
  ]),
  ...aws('objectStore', 's3-object-store.ts', 'bucket', [['ListObjectsV2Command', ['s3:ListBucket']]]),
  // AWS: SQS
  ...aws('queue', 'sqs-queue.ts', 'queues', [
    ['CreateQueueCommand', ['sqs:CreateQueue']],
    ['GetQueueUrlCommand', ['sqs:GetQueueUrl']],
    ['GetQueueAttributesCommand', ['sqs:GetQueueAttributes']],
    ['SetQueueAttributesCommand', ['sqs:SetQueueAttributes']],
    ['SendMessageCommand', ['sqs:SendMessage']],
    ['SendMessageBatchCommand', ['sqs:SendMessage']],
    ['ReceiveMessageCommand', ['sqs:ReceiveMessage']],
    ['DeleteMessageCommand', ['sqs:DeleteMessage']],
    ['DeleteMessageBatchCommand', ['sqs:DeleteMessage']],
    ['ChangeMessageVisibilityCommand', ['sqs:ChangeMessageVisibility']],
    ['DeleteQueueCommand', ['sqs:DeleteQueue']],
  ]),
  // AWS: Redshift Data API
  ...aws('warehouse', 'redshift-warehouse.ts', 'workgroup', [
    [
      'ExecuteStatementCommand',
      ['redshift-data:ExecuteStatement', 'redshift-serverless:GetCredentials'],
      'provisioned clusters: redshift:GetClusterCredentials instead of GetCredentials',
    ],
    [
      'BatchExecuteStatementCommand',
      ['redshift-data:BatchExecuteStatement', 'redshift-serverless:GetCredentials'],
    ],
  ]),
  ...aws('warehouse', 'redshift-warehouse.ts', 'any', [
    [
      'DescribeStatementCommand',
      ['redshift-data:DescribeStatement'],
      "statement ids have no ARN; the condition limits them to the caller's own statements",
    ],
    ['GetStatementResultCommand', ['redshift-data:GetStatementResult']],
    ['CancelStatementCommand', ['redshift-data:CancelStatement']],
  ]),
  // AWS: Secrets Manager
  ...aws('secretStore', 'secrets-manager-secret-store.ts', 'secrets', [
    ['CreateSecretCommand', ['secretsmanager:CreateSecret']],
    ['PutSecretValueCommand', ['secretsmanager:PutSecretValue']],
    ['GetSecretValueCommand', ['secretsmanager:GetSecretValue']],
    ['DescribeSecretCommand', ['secretsmanager:DescribeSecret']],
    ['ListSecretVersionIdsCommand', ['secretsmanager:ListSecretVersionIds']],
    ['DeleteSecretCommand', ['secretsmanager:DeleteSecret']],
  ]),
  ...aws('secretStore', 'secrets-manager-secret-store.ts', 'any', [
    ['ListSecretsCommand', ['secretsmanager:ListSecrets'], 'ListSecrets has no resource-level permissions'],
  ]),

  // GCP: Cloud Storage
  ...other('gcp', 'objectStore', 'gcs-object-store.ts', [
    ['bucket', [], 'local handle'],
    ['file', [], 'local handle'],
    [
      'save',
      ['storage.objects.create', 'storage.objects.delete'],
      'delete: overwriting an object replaces it',
    ],
    ['createWriteStream', ['storage.objects.create', 'storage.objects.delete']],
    ['createReadStream', ['storage.objects.get']],
    ['getMetadata', ['storage.objects.get']],
    ['getFiles', ['storage.objects.list']],
    ['copy', ['storage.objects.get', 'storage.objects.create', 'storage.objects.delete']],
    ['delete', ['storage.objects.delete']],
    [
      'getSignedUrl',
      ['iam.serviceAccounts.signBlob'],
      'only when the credentials hold no private key (workload identity, metadata server)',
    ],
  ]),
  // GCP: Pub/Sub
  ...other('gcp', 'queue', 'pubsub-queue.ts', [
    ['topic', [], 'local handle'],
    ['subscription', [], 'local handle'],
    ['createTopic', ['pubsub.topics.create', 'pubsub.topics.get']],
    ['createSubscription', ['pubsub.subscriptions.create', 'pubsub.topics.attachSubscription']],
    ['getMetadata', ['pubsub.subscriptions.get']],
    ['publishMessage', ['pubsub.topics.publish']],
    ['resumePublishing', [], 'local: resumes an ordering key after an error'],
    ['pull', ['pubsub.subscriptions.consume']],
    ['acknowledge', ['pubsub.subscriptions.consume']],
    ['modifyAckDeadline', ['pubsub.subscriptions.consume']],
    ['delete', ['pubsub.topics.delete', 'pubsub.subscriptions.delete']],
    ['close', [], 'local: closes the gRPC channel'],
  ]),
  // GCP: BigQuery
  ...other('gcp', 'warehouse', 'bigquery-warehouse.ts', [
    ['dataset', [], 'local handle'],
    ['table', [], 'local handle'],
    ['exists', ['bigquery.datasets.get']],
    ['create', ['bigquery.datasets.create']],
    ['getMetadata', ['bigquery.datasets.get', 'bigquery.tables.get']],
    ['createTable', ['bigquery.tables.create']],
    ['insert', ['bigquery.tables.updateData']],
    [
      'createJob',
      [
        'bigquery.jobs.create',
        'bigquery.tables.getData',
        'bigquery.tables.updateData',
        'bigquery.tables.create',
        'storage.objects.get',
        'storage.objects.list',
      ],
      'queries and loads; a load reads the lake bucket',
    ],
    ['delete', ['bigquery.tables.delete']],
  ]),
  // GCP: Secret Manager
  ...other('gcp', 'secretStore', 'secret-manager-secret-store.ts', [
    ['createSecret', ['secretmanager.secrets.create']],
    ['addSecretVersion', ['secretmanager.versions.add']],
    ['accessSecretVersion', ['secretmanager.versions.access']],
    ['listSecretVersions', ['secretmanager.versions.list']],
    ['listSecrets', ['secretmanager.secrets.list']],
    ['deleteSecret', ['secretmanager.secrets.delete']],
    ['destroySecretVersion', ['secretmanager.versions.destroy']],
    ['disableSecretVersion', ['secretmanager.versions.disable']],
    ['enableSecretVersion', ['secretmanager.versions.enable']],
    ['close', [], 'local: closes the gRPC channel'],
  ]),

  // Azure: Blob Storage
  ...other('azure', 'objectStore', 'blob-object-store.ts', [
    ['getContainerClient', [], 'local handle'],
    ['getBlockBlobClient', [], 'local handle'],
    ['createIfNotExists', [`${BLOB}/containers/write`]],
    ['uploadData', [`${BLOB}/containers/blobs/write`]],
    ['uploadStream', [`${BLOB}/containers/blobs/write`]],
    ['download', [`${BLOB}/containers/blobs/read`]],
    ['getProperties', [`${BLOB}/containers/blobs/read`]],
    ['listBlobsFlat', [`${BLOB}/containers/blobs/read`]],
    ['listBlobsByHierarchy', [`${BLOB}/containers/blobs/read`]],
    ['deleteIfExists', [`${BLOB}/containers/blobs/delete`]],
    ['beginCopyFromURL', [`${BLOB}/containers/blobs/read`, `${BLOB}/containers/blobs/write`]],
    [
      'getUserDelegationKey',
      [`${BLOB}/generateUserDelegationKey/action`],
      'user-delegation SAS (credentials kind "default")',
    ],
    ['generateSasUrl', [], 'signed locally with the account key'],
  ]),
  // Azure: Queue Storage
  ...other('azure', 'queue', 'queue-storage-queue.ts', [
    ['getQueueClient', [], 'local handle'],
    ['createIfNotExists', [`${QUEUE}/queues/write`]],
    ['setMetadata', [`${QUEUE}/queues/write`]],
    ['getProperties', [`${QUEUE}/queues/read`]],
    ['deleteIfExists', [`${QUEUE}/queues/delete`]],
    ['sendMessage', [`${QUEUE}/queues/messages/add/action`]],
    ['receiveMessages', [`${QUEUE}/queues/messages/process/action`]],
    ['peekMessages', [`${QUEUE}/queues/messages/read`]],
    ['updateMessage', [`${QUEUE}/queues/messages/write`]],
    ['deleteMessage', [`${QUEUE}/queues/messages/delete`]],
  ]),
  // Azure: Key Vault
  ...other('azure', 'secretStore', 'key-vault-secret-store.ts', [
    ['setSecret', [`${VAULT}/setSecret/action`]],
    ['getSecret', [`${VAULT}/getSecret/action`]],
    ['listPropertiesOfSecrets', [`${VAULT}/readMetadata/action`]],
    ['listPropertiesOfSecretVersions', [`${VAULT}/readMetadata/action`]],
    ['beginDeleteSecret', [`${VAULT}/delete`]],
    ['beginRecoverDeletedSecret', [`${VAULT}/recover/action`]],
    ['purgeDeletedSecret', [`${VAULT}/purge/action`], 'only with purgeOnDelete: true'],
  ]),
];

/** Azure operations that are data-plane (DataActions in a role definition) rather than Actions. */
export const isAzureDataAction = (permission: string) =>
  /\/blobs\/|\/messages\/|^Microsoft\.KeyVault\/vaults\/secrets\//.test(permission);

/**
 * What the warehouses need inside the database: not cloud IAM, so not in the table, but part of
 * least privilege all the same.
 */
export const SQL_GRANTS: Record<Cloud, string> = {
  aws: "Redshift: the IAM identity maps to database user `IAM:<name>` (Serverless); grant it `CREATE` on the schema (tables are created and dropped) and `USAGE`; COPY needs the namespace's IAM role (see `cloudmux provision` output).",
  gcp: 'BigQuery: covered by the IAM permissions above (BigQuery has no separate SQL grants).',
  azure:
    'Synapse: the login needs `CREATE TABLE` in the database, `ALTER`, `INSERT`, `SELECT` and `DELETE` on the schema (`GRANT CONTROL ON SCHEMA::dbo TO [cloudmux]` is the simple form), `ADMINISTER DATABASE BULK OPERATIONS` for COPY INTO, and the workspace managed identity needs Storage Blob Data Reader on the lake account.',
};
