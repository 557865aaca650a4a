import { HeadBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { partition } from '@aws-sdk/core/client';
import {
  fromContainerMetadata,
  fromEnv,
  fromIni,
  fromInstanceMetadata,
  fromProcess,
  fromTokenFile,
} from '@aws-sdk/credential-providers';
import { type AwsOptions, clientSettings } from '@cloudmux/aws';
import { type DoctorCheck, describeError, ok, problem, skipped, warning } from './check.ts';
import { checkClock } from './clock.ts';
import type { CloudUnderTest } from './config.ts';
import { type ProbeContext, probeThroughAdapter } from './probe.ts';

/** The queue the pipeline uses (apps/pipeline LAYOUT.queue); provision creates it with its dead-letter queue. */
export const PIPELINE_QUEUE = 'flight-events';

const CREDENTIAL_FIX =
  'run `aws configure sso` then `aws sso login --profile <name>` and set AWS_PROFILE=<name>, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role is attached (EC2 instance profile, ECS task role, EKS IRSA)';

interface Source {
  name: string;
  load: () => Promise<unknown>;
}

/** The sources of the SDK's fromNodeProviderChain, in its order, each tried on its own so the report can name them. */
function credentialSources(env: NodeJS.ProcessEnv): Source[] {
  const profile = env.AWS_PROFILE ?? 'default';
  const sources: Source[] = [
    { name: 'environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)', load: () => fromEnv()() },
    { name: `shared config/SSO profile '${profile}'`, load: () => fromIni({ profile })() },
    { name: `credential_process of profile '${profile}'`, load: () => fromProcess({ profile })() },
    { name: 'web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, EKS IRSA)', load: () => fromTokenFile()() },
  ];
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI || env.AWS_CONTAINER_CREDENTIALS_FULL_URI) {
    sources.push({ name: 'container metadata (ECS task role)', load: () => fromContainerMetadata()() });
  } else if (env.AWS_EC2_METADATA_DISABLED !== 'true') {
    sources.push({
      name: 'EC2 instance metadata (instance profile)',
      load: () => fromInstanceMetadata({ timeout: 1000, maxRetries: 0 })(),
    });
  }
  return sources;
}

export async function checkAwsCredentials(options: AwsOptions, env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  if (options.credentials) {
    return ok(
      'credentials',
      'static keys from providers.aws.credentials (meant for emulators; real deployments use the SDK chain)',
      'aws',
    );
  }
  const tried: string[] = [];
  for (const source of credentialSources(env)) {
    try {
      await source.load();
      return ok('credentials', `found: ${source.name}`, 'aws');
    } catch (error) {
      tried.push(`${source.name}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (env.AWS_EC2_METADATA_DISABLED === 'true')
    tried.push('EC2 instance metadata: disabled by AWS_EC2_METADATA_DISABLED');
  return problem('credentials', `no AWS credentials found; tried ${tried.join('; ')}`, CREDENTIAL_FIX, 'aws');
}

export function checkAwsRegion(options: AwsOptions, env: NodeJS.ProcessEnv): DoctorCheck {
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) {
    return problem(
      'region',
      'no region: providers.aws.region, AWS_REGION and AWS_DEFAULT_REGION are all unset',
      'set providers.aws.region (e.g. "eu-west-1") or AWS_REGION',
      'aws',
    );
  }
  // The SDK's partition table carries a description only for regions it knows by name.
  const known = (partition(region) as { description?: string }).description;
  return known
    ? ok('region', `${region} (${known})`, 'aws')
    : problem(
        'region',
        `'${region}' is not an AWS region this SDK knows (a typo such as eu-wset-1, or a region newer than the SDK)`,
        'set providers.aws.region to a region listed by `aws ec2 describe-regions --query "Regions[].RegionName"`, e.g. eu-west-1; for a brand-new region, update the @aws-sdk packages',
        'aws',
      );
}

const s3Client = (options: AwsOptions) =>
  new S3Client({
    ...clientSettings(options, 's3'),
    forcePathStyle: options.s3?.forcePathStyle ?? false,
    ...(options.s3?.requestChecksumCalculation
      ? { requestChecksumCalculation: options.s3.requestChecksumCalculation }
      : {}),
    maxAttempts: 1,
  });

/** HeadBucket, then the pipeline's queue: the resources provisioning creates. */
export async function checkAwsResources(target: CloudUnderTest): Promise<DoctorCheck[]> {
  const options = target.options as AwsOptions;
  const checks: DoctorCheck[] = [];
  if (target.kinds.includes('objectStore') && options.s3) {
    const s3 = s3Client(options);
    try {
      await s3.send(new HeadBucketCommand({ Bucket: options.s3.bucket }));
      checks.push(ok('resource:objectStore', `S3 bucket ${options.s3.bucket} exists`, 'aws'));
    } catch (error) {
      checks.push(
        awsResourceProblem('objectStore', `S3 HeadBucket ${options.s3.bucket}`, error, {
          NotFound: `create it: \`cloudmux provision --provider aws\` or \`aws s3api create-bucket --bucket ${options.s3.bucket}\``,
        }),
      );
    } finally {
      s3.destroy();
    }
  }
  if (target.kinds.includes('queue')) {
    const sqs = new SQSClient({ ...clientSettings(options, 'sqs'), maxAttempts: 1 });
    const name = `${options.sqs.queuePrefix}${PIPELINE_QUEUE}`;
    try {
      await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      checks.push(ok('resource:queue', `SQS queue ${name} exists`, 'aws'));
    } catch (error) {
      const missingQueue = ['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue'].includes(
        (error as { name?: string }).name ?? '',
      );
      checks.push(
        missingQueue
          ? warning(
              'resource:queue',
              `SQS queue ${name} does not exist yet (the pipeline creates it without a dead-letter queue)`,
              'run `cloudmux provision --provider aws` to create it with its dead-letter queue',
              'aws',
            )
          : awsResourceProblem('queue', `SQS GetQueueUrl ${name}`, error, {}),
      );
    } finally {
      sqs.destroy();
    }
  }
  return checks;
}

/** Harmless list calls with the permissions the adapters need; the warehouse and secrets through the adapters themselves. */
export async function checkAwsPermissions(
  target: CloudUnderTest,
  context: ProbeContext,
): Promise<DoctorCheck[]> {
  const options = target.options as AwsOptions;
  const checks: DoctorCheck[] = [];
  if (target.kinds.includes('objectStore') && options.s3) {
    const s3 = s3Client(options);
    try {
      await s3.send(
        new ListObjectsV2Command({ Bucket: options.s3.bucket, MaxKeys: 1, Prefix: options.s3.prefix }),
      );
      checks.push(ok('access:objectStore', `S3 ListObjectsV2 on ${options.s3.bucket} allowed`, 'aws'));
    } catch (error) {
      checks.push(
        awsResourceProblem('objectStore', `S3 ListObjectsV2 ${options.s3.bucket}`, error, {}, 'access'),
      );
    } finally {
      s3.destroy();
    }
  }
  if (target.kinds.includes('queue')) {
    const sqs = new SQSClient({ ...clientSettings(options, 'sqs'), maxAttempts: 1 });
    try {
      await sqs.send(
        new ListQueuesCommand({ QueueNamePrefix: options.sqs.queuePrefix || PIPELINE_QUEUE, MaxResults: 1 }),
      );
      checks.push(ok('access:queue', 'SQS ListQueues allowed', 'aws'));
    } catch (error) {
      checks.push(awsResourceProblem('queue', 'SQS ListQueues', error, {}, 'access'));
    } finally {
      sqs.destroy();
    }
  }
  for (const kind of ['warehouse', 'secretStore'] as const) {
    if (target.kinds.includes(kind)) checks.push(await probeThroughAdapter('aws', kind, context));
  }
  return checks;
}

export async function checkAwsClock(options: AwsOptions, env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const endpoint = options.endpoints.s3 ?? (region ? `https://s3.${region}.amazonaws.com` : undefined);
  if (!endpoint) return skipped('clock', 'no S3 endpoint without a region', 'aws');
  // AWS rejects SigV4 requests more than 15 minutes off (RequestTimeTooSkewed).
  return checkClock('aws', endpoint, 15 * 60);
}

const POLICY_FIX =
  'grant the calls listed in docs/policies/aws.json (attach it to the role or user the credentials belong to)';

function awsResourceProblem(
  kind: string,
  call: string,
  error: unknown,
  fixes: { NotFound?: string },
  prefix: 'resource' | 'access' = 'resource',
): DoctorCheck {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  const detail = `${call} failed: ${describeError(error)}${status ? ` (HTTP ${status})` : ''}`;
  if (name === 'CredentialsProviderError') return problem(`${prefix}:${kind}`, detail, CREDENTIAL_FIX, 'aws');
  if (status === 404 || name === 'NotFound' || name === 'NoSuchBucket') {
    return problem(
      `${prefix}:${kind}`,
      detail,
      fixes.NotFound ?? 'create it with `cloudmux provision --provider aws`',
      'aws',
    );
  }
  if (status === 403 || /AccessDenied/.test(name))
    return problem(`${prefix}:${kind}`, detail, POLICY_FIX, 'aws');
  if (/InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|InvalidClientTokenId/.test(name)) {
    return problem(`${prefix}:${kind}`, detail, `the credentials were rejected: ${CREDENTIAL_FIX}`, 'aws');
  }
  return problem(
    `${prefix}:${kind}`,
    detail,
    'check the endpoint and region in providers.aws and the network path to AWS',
    'aws',
  );
}
