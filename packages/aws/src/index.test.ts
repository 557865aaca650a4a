import { randomBytes } from 'node:crypto';
import { ConfigError, messageText, openResources, parseConfig, parseProviderOptions } from '@cloudmux/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createBucket,
  DUMMY_CREDENTIALS,
  moto,
  motoMissingReason,
  REGION,
  type RedshiftDataServer,
  s3Config,
  startRedshiftDataServer,
  stopMoto,
} from '../test/emulators.ts';
import * as aws from './index.ts';

const missing = motoMissingReason();

describe('providers.aws options', () => {
  it('names the field and the fix when a setting is wrong', () => {
    const bad = (input: unknown) => {
      try {
        parseProviderOptions(aws.optionsSchema, input, 'aws');
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as ConfigError).field;
      }
      return undefined;
    };
    expect(bad({ s3: {} })).toBe('providers.aws.s3.bucket');
    expect(bad({ redshift: { database: 'dev' } })).toBe('providers.aws.redshift');
    expect(bad({ redshift: { database: 'dev', workgroupName: 'a', clusterIdentifier: 'b' } })).toBe(
      'providers.aws.redshift',
    );
    expect(bad({ secretsManager: { recoveryWindowDays: 3 } })).toBe(
      'providers.aws.secretsManager.recoveryWindowDays',
    );
    expect(bad({ bucket: 'x' })).toBe('providers.aws.bucket');
    expect(bad({})).toBeUndefined();
  });

  it('asks for the missing section when a resource needs it', () => {
    const options = parseProviderOptions(aws.optionsSchema, {}, 'aws');
    expect(() => aws.createObjectStore(options)).toThrow(ConfigError);
    expect(() => aws.createWarehouse(options)).toThrow(ConfigError);
    const cluster = parseProviderOptions(
      aws.optionsSchema,
      { redshift: { clusterIdentifier: 'c', database: 'dev' } },
      'aws',
    );
    expect(() => aws.createWarehouse(cluster)).toThrow(ConfigError);
  });
});

describe.skipIf(missing)(
  `the aws provider chosen through config${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    let server: RedshiftDataServer;
    let endpoint: string;
    const bucket = `cloudmux-cfg-${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      endpoint = (await moto()).endpoint;
      await createBucket(endpoint, bucket);
      server = await startRedshiftDataServer({ s3: s3Config(endpoint) });
    });
    afterAll(async () => {
      await server?.stop();
      await stopMoto();
    });

    it('opens all four resources from providers.aws and meters them', async () => {
      const config = parseConfig({
        resources: { objectStore: 'aws', queue: 'aws', warehouse: 'aws', secretStore: 'aws' },
        providers: {
          aws: {
            region: REGION,
            credentials: { ...DUMMY_CREDENTIALS },
            endpoints: {
              s3: endpoint,
              sqs: endpoint,
              secretsManager: endpoint,
              redshiftData: server.endpoint,
            },
            s3: { bucket, prefix: 'cfg', forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' },
            sqs: { queuePrefix: 'cfg-' },
            redshift: {
              workgroupName: 'wg',
              database: 'dev',
              iamRoleArn: 'arn:aws:iam::1:role/r',
              pollIntervalMs: 5,
            },
            secretsManager: { prefix: 'cfg/', forceDelete: true },
          },
        },
      });
      const resources = await openResources(config, { importer: async () => aws });
      try {
        await resources.objectStore.put('hello.txt', 'hi');
        expect(await (await resources.objectStore.get('hello.txt')).text()).toBe('hi');
        await resources.queue.ensureQueue('q');
        await resources.queue.send('q', 'msg');
        const [message] = await resources.queue.receive('q', { waitSeconds: 1 });
        expect(message && messageText(message)).toBe('msg');
        await resources.secretStore.put('s', 'value');
        expect((await resources.secretStore.get('s')).reveal()).toBe('value');
        expect((await resources.warehouse.query('SELECT 1 AS one')).rows).toEqual([{ one: 1n }]);
        const units = resources.meter.totalUnits();
        expect(units['s3.requests.class-a']).toBeGreaterThan(0);
        expect(units['sqs.requests']).toBeGreaterThan(0);
        expect(units['secretsmanager.api-calls']).toBeGreaterThan(0);
        expect(units['redshift.statement-ms']).toBeGreaterThan(0);
      } finally {
        await resources.close();
      }
    });
  },
);

if (missing) {
  describe('the aws provider chosen through config', () => {
    it('needs moto', (ctx) => ctx.skip(missing));
  });
}
