/**
 * The self-hosted provider chosen through config, the way apps use it: CLOUDMUX_PROVIDER=selfhosted
 * makes `openResources` import @cloudmux/selfhosted, validate `providers.selfhosted` and meter each
 * resource — against a real MinIO and nats-server. Credentials and the secret key come from the
 * environment, never from the config.
 */
import { loadConfig, openResources, type Resources } from '@cloudmux/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  minioMissingReason,
  natsMissingReason,
  SELFHOSTED_TEST_ENV,
  sharedBucket,
  sharedMinio,
  sharedNats,
  stopSelfhostedStack,
} from '../src/emulators/selfhosted-stack.ts';
import { uniqueName } from '../src/harness.ts';

const missing = minioMissingReason() ?? natsMissingReason();

describe.skipIf(missing)(
  `selfhosted provider through config${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    let resources: Resources;

    beforeAll(async () => {
      const env = { ...SELFHOSTED_TEST_ENV, CLOUDMUX_PROVIDER: 'selfhosted' };
      const { config } = loadConfig({
        env,
        overrides: {
          providers: {
            selfhosted: {
              s3: { endpoint: (await sharedMinio()).endpoint, bucket: await sharedBucket(), prefix: 'lake/' },
              nats: { servers: (await sharedNats()).endpoint, streamPrefix: `${uniqueName('cfg')}-` },
            },
          },
        },
      });
      resources = await openResources(config, {
        importer: (specifier) => import(specifier),
        only: ['objectStore', 'queue', 'secretStore'],
        env,
      });
    });
    afterAll(async () => {
      await resources?.close();
      await stopSelfhostedStack();
    });

    it('opens all three resources on the stack and meters them', async () => {
      const { objectStore, queue, secretStore, meter } = resources;
      expect(resources.providers).toMatchObject({
        objectStore: 'selfhosted',
        queue: 'selfhosted',
        secretStore: 'selfhosted',
      });
      await objectStore.put('events/1.json', '{"id":1}');
      expect(await (await objectStore.get('events/1.json')).text()).toBe('{"id":1}');
      expect(objectStore.uriOf('events/1.json')).toBe(`s3://${await sharedBucket()}/lake/events/1.json`);

      await queue.ensureQueue('jobs');
      await queue.send('jobs', 'events/1.json');
      const [message] = await queue.receive('jobs', { waitSeconds: 5 });
      expect(message && new TextDecoder().decode(message.body)).toBe('events/1.json');
      await queue.ack('jobs', message!);
      await queue.deleteQueue('jobs');

      const { version } = await secretStore.put('db/password', 'hunter2');
      expect((await secretStore.get('db/password')).version).toBe(version);
      expect((await secretStore.get('db/password')).reveal()).toBe('hunter2');
      await secretStore.delete('db/password');

      const operations = meter.snapshot().operations.map((o) => `${o.provider}:${o.resource}.${o.operation}`);
      expect(operations).toEqual(
        expect.arrayContaining([
          'selfhosted:objectStore.put',
          'selfhosted:queue.send',
          'selfhosted:secretStore.put',
        ]),
      );
    });
  },
);
