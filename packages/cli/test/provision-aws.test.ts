import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  GetNamespaceCommand,
  GetWorkgroupCommand,
  RedshiftServerlessClient,
} from '@aws-sdk/client-redshift-serverless';
import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type EmulatorStack, emulatorStackUnavailable, startAwsStack } from '@cloudmux/emulator-stacks';
import { type RedshiftServerlessServer, startRedshiftServerlessServer } from '@cloudmux/emulators/aws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runProvision } from '../src/commands/provision.ts';
import { runDoctor } from '../src/doctor/run.ts';
import { provisionAws, teardownAws } from '../src/provision/aws.ts';
import { tempDir, writeConfig } from './helpers.ts';

const missing = emulatorStackUnavailable('aws');

describe.skipIf(missing)(
  `cloudmux provision/teardown on moto and the Redshift Serverless test server${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    let stack: EmulatorStack;
    let serverless: RedshiftServerlessServer;
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    let base: Record<string, unknown>;
    const clientConfig = () => ({
      region: 'us-east-1',
      endpoint: (base.endpoints as Record<string, string>).s3,
      credentials: { ...(base.credentials as { accessKeyId: string; secretAccessKey: string }) },
    });

    beforeAll(async () => {
      const started = await startAwsStack();
      if ('skipped' in started) throw new Error(started.skipped);
      stack = started;
      serverless = await startRedshiftServerlessServer({ pendingReads: 2 });
      tmp = await tempDir();
      const aws = structuredClone((stack.config.providers as Record<string, Record<string, unknown>>).aws!);
      // What a user has before provisioning: where and how to reach AWS, no resource names.
      const { s3, redshift: _redshift, ...reach } = aws;
      base = { ...reach, s3: { ...(s3 as object), bucket: undefined } };
      delete (base.s3 as Record<string, unknown>).bucket;
    });
    afterAll(async () => {
      await serverless?.stop();
      await stack?.stop();
      await tmp?.remove();
    });

    const input = (name: string) => ({
      base,
      name,
      bucket: `${name}-lake`,
      redshiftServerlessEndpoint: serverless.endpoint,
      iamEndpoint: (base.endpoints as Record<string, string>).s3,
      pollIntervalMs: 5,
    });

    it('creates bucket, queue with dead-letter queue, secret, namespace and a 4 RPU workgroup; a second run creates nothing', async () => {
      const first = await provisionAws(input('cmx-one'));
      expect(first.steps.map((s) => `${s.resource}:${s.action}`)).toEqual([
        'objectStore:created',
        'queue:exists',
        'secretStore:created',
        'warehouse:created',
        'warehouse:created',
        'warehouse:created',
      ]);
      // The COPY role exists in IAM, is attached to the namespace and is written into the config.
      const roleArn = (first.options.redshift as { iamRoleArn: string }).iamRoleArn;
      expect(roleArn).toMatch(/:role\/cmx-one-redshift-copy$/);
      // Oracle: the raw SDKs see what provision claims.
      const s3 = new S3Client({ ...clientConfig(), forcePathStyle: true });
      const sqs = new SQSClient(clientConfig());
      const secrets = new SecretsManagerClient(clientConfig());
      const rs = new RedshiftServerlessClient({ ...clientConfig(), endpoint: serverless.endpoint });
      try {
        await s3.send(new HeadBucketCommand({ Bucket: 'cmx-one-lake' }));
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'flight-events' }));
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy'] }),
        );
        const redrive = JSON.parse(Attributes!.RedrivePolicy!) as {
          deadLetterTargetArn: string;
          maxReceiveCount: number;
        };
        expect(redrive.deadLetterTargetArn).toMatch(/:flight-events-dlq$/);
        expect(Number(redrive.maxReceiveCount)).toBe(5);
        await secrets.send(new DescribeSecretCommand({ SecretId: 'pipeline-ingest-api-key' }));
        const { workgroup } = await rs.send(new GetWorkgroupCommand({ workgroupName: 'cmx-one' }));
        expect(workgroup?.baseCapacity).toBe(4);
        expect(workgroup?.namespaceName).toBe('cmx-one-ns');
        expect(workgroup?.status).toBe('AVAILABLE');
        const iam = new IAMClient({ ...clientConfig() });
        try {
          const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'cmx-one-redshift-copy' }));
          expect(Role?.Arn).toBe(roleArn);
          expect(decodeURIComponent(Role!.AssumeRolePolicyDocument!)).toContain('redshift.amazonaws.com');
        } finally {
          iam.destroy();
        }
        const { namespace } = await rs.send(new GetNamespaceCommand({ namespaceName: 'cmx-one-ns' }));
        expect(namespace?.defaultIamRoleArn).toBe(roleArn);
      } finally {
        s3.destroy();
        sqs.destroy();
        secrets.destroy();
        rs.destroy();
      }

      const creates = () => serverless.calls.filter((c) => c.operation.startsWith('Create')).length;
      const before = creates();
      const second = await provisionAws(input('cmx-one'));
      expect(second.steps.map((s) => s.action)).toEqual(Array(6).fill('exists'));
      expect(creates()).toBe(before);
      // What no API call here creates is printed as commands (the role COPY assumes).
      expect(second.manual).toEqual([]);

      await teardownAws(input('cmx-one'));
    });

    it('teardown removes it all, including objects in the bucket; a second teardown finds everything absent', async () => {
      await provisionAws(input('cmx-two'));
      const s3 = new S3Client({ ...clientConfig(), forcePathStyle: true });
      try {
        await s3.send(new PutObjectCommand({ Bucket: 'cmx-two-lake', Key: 'flights/a.parquet', Body: 'x' }));
        const gone = await teardownAws(input('cmx-two'));
        expect(gone.steps.map((s) => `${s.resource}:${s.action}`)).toEqual([
          'warehouse:deleted',
          'warehouse:deleted',
          'warehouse:deleted',
          'queue:deleted',
          'queue:deleted',
          'secretStore:deleted',
          'objectStore:deleted',
        ]);
        await expect(s3.send(new HeadBucketCommand({ Bucket: 'cmx-two-lake' }))).rejects.toMatchObject({
          $metadata: { httpStatusCode: 404 },
        });
        const again = await teardownAws(input('cmx-two'));
        expect(again.steps.map((s) => s.action)).toEqual(Array(7).fill('absent'));
      } finally {
        s3.destroy();
      }
    });

    it('the command writes cloudmux.config.json, and doctor passes on what it wrote', async () => {
      vi.stubEnv('AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS', serverless.endpoint);
      vi.stubEnv('AWS_ENDPOINT_URL_IAM', (base.endpoints as Record<string, string>).s3);
      try {
        const file = await writeConfig(tmp.dir, { providers: { aws: base } });
        await runProvision(
          'provision',
          { provider: 'aws', config: file, name: 'cmx-three', bucket: 'cmx-three-lake' },
          { pollIntervalMs: 5 },
        );
        const report = await runDoctor({ configFile: file, cwd: tmp.dir });
        expect(report.checks.filter((c) => c.status !== 'ok')).toEqual([]);
        await runProvision(
          'teardown',
          { provider: 'aws', config: file, name: 'cmx-three' },
          { pollIntervalMs: 5 },
        );
        const after = await runDoctor({ configFile: file, cwd: tmp.dir });
        expect(after.checks.find((c) => c.check === 'resource:objectStore')?.status).toBe('problem');
      } finally {
        vi.unstubAllEnvs();
      }
    });
  },
);
