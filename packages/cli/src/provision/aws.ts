import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  ConflictException,
  CreateNamespaceCommand,
  CreateWorkgroupCommand,
  DeleteNamespaceCommand,
  DeleteWorkgroupCommand,
  GetNamespaceCommand,
  GetWorkgroupCommand,
  RedshiftServerlessClient,
  ResourceNotFoundException,
  UpdateNamespaceCommand,
} from '@aws-sdk/client-redshift-serverless';
import {
  CreateBucketCommand,
  type CreateBucketCommandInput,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { type AwsOptionsInput, awsOptionsSchema, clientSettings, sdkCredentials } from '@cloudmux/aws';
import { parseProviderOptions } from '@cloudmux/core';
import {
  ensureApiKeySecret,
  ensurePipelineQueue,
  openCloud,
  type ProvisionContext,
  type ProvisionResult,
  removeApiKeySecret,
  removePipelineQueues,
  Steps,
} from './step.ts';

/** The smallest Redshift Serverless base capacity (RPUs); see docs/live.md for what it costs. */
export const BASE_RPU = 4;

export interface AwsProvisionInput {
  /** `providers.aws` as it stands (region, endpoints, credentials…); names below are added to it. */
  base: AwsOptionsInput | Record<string, unknown>;
  /** Prefix of every name created. Default `cloudmux`. */
  name?: string;
  /** Bucket name (global across AWS); default from the base, else `<name>-lake-<random>`. */
  bucket?: string;
  /** Redshift Serverless endpoint override (emulators); else the SDK's (AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS works too). */
  redshiftServerlessEndpoint?: string;
  /** IAM endpoint override (emulators); else the SDK's (AWS_ENDPOINT_URL_IAM works too). */
  iamEndpoint?: string;
  /** Delay between GetWorkgroup polls while the workgroup is created or deleted. Default 5 s. */
  pollIntervalMs?: number;
  /** Give up waiting for the workgroup after this long. Default 20 minutes. */
  waitTimeoutMs?: number;
}

interface AwsNames {
  bucket: string;
  /** The role Redshift assumes to COPY from the bucket. */
  copyRole: string;
  namespace: string;
  workgroup: string;
  database: string;
}

function namesOf(input: AwsProvisionInput): AwsNames {
  const base = input.base as AwsOptionsInput;
  const name = input.name ?? 'cloudmux';
  return {
    bucket: input.bucket ?? base.s3?.bucket ?? `${name}-lake-${Math.random().toString(36).slice(2, 10)}`,
    copyRole: `${name}-redshift-copy`,
    namespace: `${name}-ns`,
    workgroup: base.redshift?.workgroupName ?? name,
    database: base.redshift?.database ?? 'dev',
  };
}

/** The provider section with the provisioned names filled in (and validated by the provider's schema). */
function withNames(input: AwsProvisionInput, names: AwsNames): Record<string, unknown> {
  const base = input.base as AwsOptionsInput;
  const options: AwsOptionsInput = {
    ...base,
    s3: { ...base.s3, bucket: names.bucket },
    redshift: { ...base.redshift, workgroupName: names.workgroup, database: names.database },
  };
  parseProviderOptions(awsOptionsSchema, options, 'aws');
  return options as Record<string, unknown>;
}

function clients(input: AwsProvisionInput, options: Record<string, unknown>) {
  const parsed = parseProviderOptions(awsOptionsSchema, options, 'aws');
  const s3 = new S3Client({
    ...clientSettings(parsed, 's3'),
    forcePathStyle: parsed.s3?.forcePathStyle ?? false,
    ...(parsed.s3?.requestChecksumCalculation
      ? { requestChecksumCalculation: parsed.s3.requestChecksumCalculation }
      : {}),
  });
  const serverless = new RedshiftServerlessClient({
    ...(parsed.region ? { region: parsed.region } : {}),
    ...(parsed.credentials ? { credentials: sdkCredentials(parsed.credentials) } : {}),
    ...(input.redshiftServerlessEndpoint ? { endpoint: input.redshiftServerlessEndpoint } : {}),
  });
  const iam = new IAMClient({
    ...(parsed.region ? { region: parsed.region } : {}),
    ...(parsed.credentials ? { credentials: sdkCredentials(parsed.credentials) } : {}),
    ...(input.iamEndpoint ? { endpoint: input.iamEndpoint } : {}),
  });
  return { parsed, s3, serverless, iam };
}

/**
 * Creates, idempotently, what the AWS provider needs: the S3 bucket, the SQS queue with its
 * dead-letter queue, the Redshift Serverless namespace and workgroup (4 RPU base), and the pipeline's
 * API key in Secrets Manager. The IAM role COPY assumes is printed as commands.
 */
export async function provisionAws(
  input: AwsProvisionInput,
  context: ProvisionContext = {},
): Promise<ProvisionResult> {
  const names = namesOf(input);
  const options = withNames(input, names);
  const steps = new Steps(context.onStep);
  const { parsed, s3, serverless, iam } = clients(input, options);
  try {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: names.bucket }));
      steps.add('objectStore', 'exists', `S3 bucket ${names.bucket}`);
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404)
        throw error;
      const create: CreateBucketCommandInput = { Bucket: names.bucket };
      // us-east-1 is the one region that takes no LocationConstraint.
      if (parsed.region && parsed.region !== 'us-east-1') {
        create.CreateBucketConfiguration = { LocationConstraint: parsed.region as never };
      }
      await s3.send(new CreateBucketCommand(create));
      steps.add('objectStore', 'created', `S3 bucket ${names.bucket}`);
    }

    const resources = await openCloud('aws', options, ['queue', 'secretStore'], context);
    try {
      await ensurePipelineQueue(resources, steps, 'SQS queue');
      await ensureApiKeySecret(resources, steps, 'Secrets Manager');
    } finally {
      await resources.close();
    }

    const roleArn = await ensureCopyRole(iam, names, steps);
    (options.redshift as Record<string, unknown>).iamRoleArn = roleArn;
    try {
      const { namespace } = await serverless.send(
        new GetNamespaceCommand({ namespaceName: names.namespace }),
      );
      // The service lists roles as `IamRole(applyStatus=…, iamRoleArn=<arn>)`; a substring match reads either form.
      if (!namespace?.iamRoles?.some((role) => role.includes(roleArn))) {
        await serverless.send(
          new UpdateNamespaceCommand({
            namespaceName: names.namespace,
            iamRoles: [roleArn],
            defaultIamRoleArn: roleArn,
          }),
        );
      }
      steps.add(
        'warehouse',
        'exists',
        `Redshift Serverless namespace ${names.namespace} (COPY role attached)`,
      );
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      await serverless.send(
        new CreateNamespaceCommand({
          namespaceName: names.namespace,
          dbName: names.database,
          iamRoles: [roleArn],
          defaultIamRoleArn: roleArn,
        }),
      );
      steps.add(
        'warehouse',
        'created',
        `Redshift Serverless namespace ${names.namespace} (database ${names.database}, COPY role attached)`,
      );
    }
    let created = false;
    try {
      await serverless.send(new GetWorkgroupCommand({ workgroupName: names.workgroup }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      try {
        await serverless.send(
          new CreateWorkgroupCommand({
            workgroupName: names.workgroup,
            namespaceName: names.namespace,
            baseCapacity: BASE_RPU,
            publiclyAccessible: false,
          }),
        );
        created = true;
      } catch (createError) {
        // Another provision run created it between our Get and Create: it exists, which is the goal.
        if (!(createError instanceof ConflictException)) throw createError;
      }
    }
    const status = await waitForWorkgroup(serverless, names.workgroup, 'AVAILABLE', withPoll(input, context));
    steps.add(
      'warehouse',
      created ? 'created' : 'exists',
      `Redshift Serverless workgroup ${names.workgroup} (${BASE_RPU} RPU base, ${status})`,
    );
  } finally {
    s3.destroy();
    serverless.destroy();
    iam.destroy();
  }
  return { options, steps: steps.list, manual: [] };
}

/** Removes everything provisionAws created; each step is a no-op when its resource is already gone. */
export async function teardownAws(
  input: AwsProvisionInput,
  context: ProvisionContext = {},
): Promise<ProvisionResult> {
  const names = namesOf(input);
  const options = withNames(input, names);
  const steps = new Steps(context.onStep);
  const { s3, serverless, iam } = clients(input, options);
  try {
    try {
      await serverless.send(new DeleteWorkgroupCommand({ workgroupName: names.workgroup }));
      await waitForWorkgroup(serverless, names.workgroup, 'gone', withPoll(input, context));
      steps.add('warehouse', 'deleted', `Redshift Serverless workgroup ${names.workgroup}`);
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      steps.add('warehouse', 'absent', `Redshift Serverless workgroup ${names.workgroup}`);
    }
    try {
      await serverless.send(new DeleteNamespaceCommand({ namespaceName: names.namespace }));
      await waitForNamespaceGone(serverless, names.namespace, withPoll(input, context));
      steps.add('warehouse', 'deleted', `Redshift Serverless namespace ${names.namespace}`);
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      steps.add('warehouse', 'absent', `Redshift Serverless namespace ${names.namespace}`);
    }

    try {
      await iam.send(new DeleteRolePolicyCommand({ RoleName: names.copyRole, PolicyName: COPY_POLICY }));
      await iam.send(new DeleteRoleCommand({ RoleName: names.copyRole }));
      steps.add('warehouse', 'deleted', `IAM role ${names.copyRole}`);
    } catch (error) {
      if (!(error instanceof NoSuchEntityException)) throw error;
      steps.add('warehouse', 'absent', `IAM role ${names.copyRole}`);
    }

    const resources = await openCloud('aws', options, ['queue', 'secretStore'], context);
    try {
      await removePipelineQueues(resources, steps, 'SQS queue');
      await removeApiKeySecret(resources, steps, 'Secrets Manager');
    } finally {
      await resources.close();
    }

    try {
      await emptyBucket(s3, names.bucket);
      await s3.send(new DeleteBucketCommand({ Bucket: names.bucket }));
      steps.add('objectStore', 'deleted', `S3 bucket ${names.bucket} and every object in it`);
    } catch (error) {
      const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name !== 'NoSuchBucket' && e.$metadata?.httpStatusCode !== 404) throw error;
      steps.add('objectStore', 'absent', `S3 bucket ${names.bucket}`);
    }
  } finally {
    s3.destroy();
    serverless.destroy();
    iam.destroy();
  }
  return { options, steps: steps.list, manual: [] };
}

const withPoll = (input: AwsProvisionInput, context: ProvisionContext): AwsProvisionInput => ({
  ...input,
  pollIntervalMs: input.pollIntervalMs ?? context.pollIntervalMs ?? 5000,
});

const COPY_POLICY = 'read-lake';

/** The role Redshift assumes for COPY, allowed to read the lake bucket and nothing else. */
async function ensureCopyRole(iam: IAMClient, names: AwsNames, steps: Steps): Promise<string> {
  let arn: string | undefined;
  let created = false;
  try {
    arn = (await iam.send(new GetRoleCommand({ RoleName: names.copyRole }))).Role?.Arn;
  } catch (error) {
    if (!(error instanceof NoSuchEntityException)) throw error;
    const trust = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'redshift.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    };
    arn = (
      await iam.send(
        new CreateRoleCommand({
          RoleName: names.copyRole,
          AssumeRolePolicyDocument: JSON.stringify(trust),
          Description: 'Redshift COPY reads the cloudmux lake (created by cloudmux provision)',
        }),
      )
    ).Role?.Arn;
    created = true;
  }
  // Put every time: idempotent, and it repairs a policy edited by hand.
  const read = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:ListBucket'],
        Resource: [`arn:aws:s3:::${names.bucket}`, `arn:aws:s3:::${names.bucket}/*`],
      },
    ],
  };
  await iam.send(
    new PutRolePolicyCommand({
      RoleName: names.copyRole,
      PolicyName: COPY_POLICY,
      PolicyDocument: JSON.stringify(read),
    }),
  );
  if (!arn) throw new Error(`IAM returned no ARN for role ${names.copyRole}`);
  steps.add(
    'warehouse',
    created ? 'created' : 'exists',
    `IAM role ${names.copyRole} (COPY reads s3://${names.bucket})`,
  );
  return arn;
}

async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        KeyMarker: keyMarker,
        VersionIdMarker: versionIdMarker,
      }),
    );
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
      Key: v.Key!,
      ...(v.VersionId && v.VersionId !== 'null' ? { VersionId: v.VersionId } : {}),
    }));
    if (objects.length)
      await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (keyMarker);
}

async function waitForWorkgroup(
  client: RedshiftServerlessClient,
  workgroupName: string,
  want: 'AVAILABLE' | 'gone',
  input: AwsProvisionInput,
): Promise<string> {
  const deadline = Date.now() + (input.waitTimeoutMs ?? 20 * 60_000);
  for (;;) {
    let status: string;
    try {
      const { workgroup } = await client.send(new GetWorkgroupCommand({ workgroupName }));
      status = workgroup?.status ?? 'UNKNOWN';
    } catch (error) {
      if (want === 'gone' && error instanceof ResourceNotFoundException) return 'gone';
      throw error;
    }
    if (status === want) return status;
    if (Date.now() > deadline) {
      throw new Error(
        `Redshift Serverless workgroup ${workgroupName} is still ${status}; rerun the command to keep waiting`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, input.pollIntervalMs ?? 5000));
  }
}

async function waitForNamespaceGone(
  client: RedshiftServerlessClient,
  namespaceName: string,
  input: AwsProvisionInput,
): Promise<void> {
  const deadline = Date.now() + (input.waitTimeoutMs ?? 20 * 60_000);
  for (;;) {
    try {
      await client.send(new GetNamespaceCommand({ namespaceName }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Redshift Serverless namespace ${namespaceName} is still being deleted; rerun teardown to keep waiting`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, input.pollIntervalMs ?? 5000));
  }
}
