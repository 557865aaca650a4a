import { ConfigError, messageText, openResources, parseConfig, parseProviderOptions } from '@cloudmux/core';
import {
  type BigQueryServer,
  type FakeGcs,
  fakeGcsAvailable,
  type Pstest,
  pstestAvailable,
  type SecretManagerServer,
  startBigQueryServer,
  startFakeGcs,
  startPstest,
  startSecretManagerServer,
} from '@cloudmux/emulators/gcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as gcp from './index.ts';

describe('providers.gcp options', () => {
  const fieldOf = (input: unknown) => {
    try {
      parseProviderOptions(gcp.optionsSchema, input, 'gcp');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).field;
    }
    return undefined;
  };

  it('names the field when a setting is wrong', () => {
    expect(fieldOf({})).toBe('providers.gcp.projectId');
    expect(fieldOf({ projectId: 'p', storage: {} })).toBe('providers.gcp.storage.bucket');
    expect(fieldOf({ projectId: 'p', secretManager: { replication: { userManaged: [] } } })).toBe(
      'providers.gcp.secretManager.replication.userManaged',
    );
    expect(fieldOf({ projectId: 'p', bucket: 'x' })).toBe('providers.gcp.bucket');
    expect(fieldOf({ projectId: 'p' })).toBeUndefined();
  });

  it('asks for the missing section when a resource needs it', () => {
    const options = parseProviderOptions(gcp.optionsSchema, { projectId: 'p' }, 'gcp');
    const context = { baseDir: '.', env: {} };
    expect(() => gcp.createObjectStore(options, context)).toThrow(ConfigError);
    expect(() => gcp.createWarehouse(options, context)).toThrow(ConfigError);
  });
});

const missing =
  !fakeGcsAvailable() || !pstestAvailable()
    ? 'needs fake-gcs-server and pstest-server (scripts/ci-deps.d/gcp.sh)'
    : undefined;

describe.skipIf(missing)(
  `the gcp provider chosen through config${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    let gcs: FakeGcs;
    let pubsub: Pstest;
    let bigquery: BigQueryServer;
    let secrets: SecretManagerServer;
    beforeAll(async () => {
      [gcs, pubsub, secrets] = await Promise.all([startFakeGcs(), startPstest(), startSecretManagerServer()]);
      bigquery = await startBigQueryServer({ gcsEndpoint: gcs.endpoint });
      await gcs.createBucket('cfg-bucket');
    });
    afterAll(async () => {
      await Promise.all([gcs?.stop(), pubsub?.stop(), bigquery?.stop(), secrets?.stop()]);
    });

    it('opens all four resources from providers.gcp and meters them', async () => {
      const config = parseConfig({
        resources: { objectStore: 'gcp', queue: 'gcp', warehouse: 'gcp', secretStore: 'gcp' },
        providers: {
          gcp: {
            projectId: 'cfg-project',
            storage: { bucket: 'cfg-bucket', prefix: 'cfg/', apiEndpoint: gcs.endpoint },
            pubsub: { topicPrefix: 'cfg-', apiEndpoint: pubsub.endpoint },
            bigquery: { dataset: 'cfg', apiEndpoint: bigquery.endpoint },
            secretManager: { prefix: 'cfg-', apiEndpoint: secrets.endpoint },
          },
        },
      });
      const resources = await openResources(config, { importer: async () => gcp, env: {} });
      try {
        await resources.objectStore.put('hello.txt', 'hi');
        expect(await (await resources.objectStore.get('hello.txt')).text()).toBe('hi');
        expect(resources.objectStore.uriOf('hello.txt')).toBe('gs://cfg-bucket/cfg/hello.txt');
        await resources.queue.ensureQueue('q');
        await resources.queue.send('q', 'msg');
        const [message] = await resources.queue.receive('q', { waitSeconds: 2 });
        expect(message && messageText(message)).toBe('msg');
        await resources.secretStore.put('s', 'value');
        expect((await resources.secretStore.get('s')).reveal()).toBe('value');
        expect((await resources.warehouse.query('SELECT 1 AS one')).rows).toEqual([{ one: 1n }]);
        const units = resources.meter.totalUnits();
        expect(units['gcs.operations.class-a']).toBeGreaterThan(0);
        expect(units['gcs.operations.class-b']).toBeGreaterThan(0);
        // One publish and one pull request, each at the 1,000-byte minimum.
        expect(units['pubsub.billable-bytes']).toBe(2000);
        expect(units['secretmanager.access-operations']).toBe(1);
        expect(units['bigquery.slot-ms']).toBeGreaterThan(0);
      } finally {
        await resources.close();
      }
    });
  },
);

if (missing) {
  describe('the gcp provider chosen through config', () => {
    it('needs the GCP emulators', (ctx) => ctx.skip(missing));
  });
}
