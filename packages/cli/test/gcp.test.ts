import { type EmulatorStack, emulatorStackUnavailable, startGcpStack } from '@cloudmux/emulator-stacks';
import { BigQuery } from '@google-cloud/bigquery';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runDoctor } from '../src/doctor/run.ts';
import { provisionGcp, teardownGcp } from '../src/provision/gcp.ts';
import { checkOf, statuses, stubNoCredentials, tempDir, writeConfig } from './helpers.ts';

const missing = emulatorStackUnavailable('gcp');

describe.skipIf(missing)(
  `cloudmux doctor, provision and teardown on the GCP emulator stack${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    let stack: EmulatorStack;
    let tmp: Awaited<ReturnType<typeof tempDir>>;
    const gcpOf = () =>
      structuredClone((stack.config.providers as Record<string, Record<string, unknown>>).gcp!);
    const doctor = async (gcp: Record<string, unknown>, resources = stack.config.resources) =>
      runDoctor({ configFile: await writeConfig(tmp.dir, { resources, providers: { gcp } }), cwd: tmp.dir });

    beforeAll(async () => {
      const started = await startGcpStack();
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

    it('doctor passes on the stack; the missing dataset and topic are warnings the pipeline would fix itself', async () => {
      stubNoCredentials(tmp.dir);
      const report = await doctor(gcpOf());
      expect(statuses(report)).toMatchObject({
        config: 'ok',
        'gcp credentials': 'ok',
        'gcp region': 'ok',
        'gcp resource:objectStore': 'ok',
        'gcp resource:queue': 'warning',
        'gcp access:objectStore': 'ok',
        'gcp access:warehouse': 'ok',
        'gcp access:secretStore': 'ok',
        'gcp clock': 'ok',
      });
      expect(report.ok).toBe(true);
    });

    it('doctor: a missing bucket and a malformed location are problems', async () => {
      stubNoCredentials(tmp.dir);
      const gcp = gcpOf();
      (gcp.storage as Record<string, unknown>).bucket = 'cloudmux-no-such-bucket';
      gcp.location = 'europe west1';
      const report = await doctor(gcp);
      expect(checkOf(report, 'resource:objectStore').status).toBe('problem');
      expect(checkOf(report, 'region').status).toBe('problem');
      expect(report.ok).toBe(false);
    });

    it('doctor without emulator endpoints and without credentials names what ADC tried and the fix', async () => {
      stubNoCredentials(tmp.dir);
      const report = await doctor(
        { projectId: 'cloudmux-test', storage: { bucket: 'cloudmux-lake' } },
        { objectStore: 'gcp', queue: 'local', warehouse: 'local', secretStore: 'local' },
      );
      const credentials = checkOf(report, 'credentials');
      expect(credentials.status).toBe('problem');
      expect(credentials.detail).toContain('GOOGLE_APPLICATION_CREDENTIALS (unset)');
      expect(credentials.fix).toContain('gcloud auth application-default login');
      expect(checkOf(report, 'resources').status).toBe('skipped');
      expect(report.ok).toBe(false);
    });

    it('provision creates bucket, topic with dead-letter topic, dataset and secret, idempotently; teardown removes them', async () => {
      const base = gcpOf();
      delete (base.storage as Record<string, unknown>).bucket;
      delete (base.bigquery as Record<string, unknown>).dataset;
      const input = { base, name: 'cmx-gcp', bucket: 'cmx-gcp-lake' };
      const first = await provisionGcp(input);
      expect(first.steps.map((s) => `${s.resource}:${s.action}`)).toEqual([
        'objectStore:created',
        'queue:exists',
        'secretStore:created',
        'warehouse:created',
      ]);
      // The service agent's roles for dead-lettering are printed as gcloud steps.
      expect(first.manual.some((step) => step.includes('gcloud pubsub topics add-iam-policy-binding'))).toBe(
        true,
      );
      const opts = first.options as {
        projectId: string;
        storage: { apiEndpoint: string };
        pubsub: { apiEndpoint: string; topicPrefix?: string };
        bigquery: { apiEndpoint: string };
      };
      const storage = new Storage({ projectId: opts.projectId, apiEndpoint: opts.storage.apiEndpoint });
      const pubsub = new PubSub({ projectId: opts.projectId, apiEndpoint: opts.pubsub.apiEndpoint });
      const bigquery = new BigQuery({ projectId: opts.projectId, apiEndpoint: opts.bigquery.apiEndpoint });
      try {
        expect((await storage.bucket('cmx-gcp-lake').exists())[0]).toBe(true);
        const [subscription] = await pubsub.subscription('cloudmux-flight-events').getMetadata();
        expect(subscription.deadLetterPolicy?.deadLetterTopic).toMatch(/topics\/cloudmux-flight-events-dlq$/);
        expect(subscription.deadLetterPolicy?.maxDeliveryAttempts).toBe(5);
        expect((await bigquery.dataset('cmx_gcp').exists())[0]).toBe(true);

        const second = await provisionGcp(input);
        expect(second.steps.map((s) => s.action)).toEqual(['exists', 'exists', 'exists', 'exists']);

        await storage.bucket('cmx-gcp-lake').file('flights/a.parquet').save('x');
        const gone = await teardownGcp(input);
        expect(gone.steps.map((s) => s.action)).toEqual([
          'deleted',
          'deleted',
          'deleted',
          'deleted',
          'deleted',
        ]);
        expect((await storage.bucket('cmx-gcp-lake').exists())[0]).toBe(false);
        expect((await bigquery.dataset('cmx_gcp').exists())[0]).toBe(false);
        expect((await pubsub.topic('cloudmux-flight-events').exists())[0]).toBe(false);
        const again = await teardownGcp(input);
        expect(again.steps.map((s) => s.action)).toEqual(['absent', 'absent', 'absent', 'absent', 'absent']);
      } finally {
        await pubsub.close();
      }
    });
  },
);
