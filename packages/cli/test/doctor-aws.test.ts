import { type EmulatorStack, emulatorStackUnavailable, startAwsStack } from '@cloudmux/emulator-stacks';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDoctor } from '../src/doctor/run.ts';
import { checkOf, statuses, stubNoCredentials, tempDir, writeConfig } from './helpers.ts';

const missing = emulatorStackUnavailable('aws');

describe.skipIf(missing)(
  `cloudmux doctor on the AWS emulator stack${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    let stack: EmulatorStack;
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    const awsOf = () =>
      structuredClone((stack.config.providers as Record<string, Record<string, unknown>>).aws!);
    const doctor = async (aws: Record<string, unknown>) =>
      runDoctor({
        configFile: await writeConfig(tmp.dir, { ...stack.config, providers: { aws } }),
        cwd: tmp.dir,
      });

    beforeAll(async () => {
      const started = await startAwsStack();
      if ('skipped' in started) throw new Error(started.skipped);
      stack = started;
      tmp = await tempDir();
    });
    afterAll(async () => {
      await stack?.stop();
      await tmp?.remove();
    });
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('passes on a working stack: credentials, region, bucket, warehouse and secrets through the adapters, clock', async () => {
      stubNoCredentials(tmp.dir);
      const report = await doctor(awsOf());
      expect(statuses(report)).toMatchObject({
        node: 'ok',
        config: 'ok',
        'aws credentials': 'ok',
        'aws region': 'ok',
        'aws resource:objectStore': 'ok',
        'aws access:objectStore': 'ok',
        'aws access:queue': 'ok',
        'aws access:warehouse': 'ok',
        'aws access:secretStore': 'ok',
        'aws clock': 'ok',
      });
      // The pipeline's queue is not created by the stack: a warning with the provision fix, not a failure.
      expect(checkOf(report, 'resource:queue').status).toBe('warning');
      expect(report.ok).toBe(true);
    });

    it('a missing bucket is a problem at resource:objectStore with the command that creates it', async () => {
      stubNoCredentials(tmp.dir);
      const aws = awsOf();
      (aws.s3 as Record<string, unknown>).bucket = 'cloudmux-no-such-bucket';
      const report = await doctor(aws);
      const check = checkOf(report, 'resource:objectStore');
      expect(check.status).toBe('problem');
      expect(check.fix).toContain('cloudmux provision --provider aws');
      expect(report.ok).toBe(false);
    });

    it('a misspelt region is a problem at region', async () => {
      stubNoCredentials(tmp.dir);
      const report = await doctor({ ...awsOf(), region: 'eu-wset-1' });
      expect(checkOf(report, 'region').status).toBe('problem');
      expect(report.ok).toBe(false);
    });

    it('no credentials: the chain lists what it tried with the fix, and each call names its service instead of a bare CredentialsProviderError', async () => {
      stubNoCredentials(tmp.dir);
      const { credentials: _none, ...aws } = awsOf();
      const report = await doctor(aws);
      const credentials = checkOf(report, 'credentials');
      expect(credentials.status).toBe('problem');
      // The message is the feature here: it names every source tried and how to fix it.
      expect(credentials.detail).toContain('environment (AWS_ACCESS_KEY_ID');
      expect(credentials.detail).toContain("profile 'default'");
      expect(credentials.fix).toContain('aws sso login');
      const bucket = checkOf(report, 'resource:objectStore');
      expect(bucket.status).toBe('problem');
      expect(bucket.detail).toMatch(/^S3 HeadBucket/);
      expect(bucket.fix).toContain('AWS_ACCESS_KEY_ID');
      const secrets = checkOf(report, 'access:secretStore');
      expect(secrets.status).toBe('problem');
      expect(secrets.detail).toContain('Unauthenticated');
      expect(secrets.detail).toContain('Secrets Manager');
      expect(report.ok).toBe(false);
    });

    it('every config problem at once, each with its fix', async () => {
      const aws = awsOf();
      (aws.s3 as Record<string, unknown>).partSizeBytes = 12;
      aws.sqs = { queuePrefx: 'x' };
      delete aws.redshift;
      const report = await doctor(aws);
      const problems = report.checks.filter((c) => c.check === 'config' && c.status === 'problem');
      expect(problems.map((c) => c.detail.split(':')[0]).sort()).toEqual([
        'providers.aws.s3.partSizeBytes',
        'providers.aws.sqs.queuePrefx',
      ]);
      for (const p of problems) expect(p.fix).toBeTruthy();
      expect(report.ok).toBe(false);
    });
  },
);
