/**
 * ObjectStore contract × Cloud Storage: fake-gcs-server by default, a real bucket with
 * CLOUDMUX_LIVE_GCP=1. Each run writes under a fresh bucket (emulator) or a unique prefix (live).
 */

import { describeObjectStoreContract, describeUnavailable, uniqueName } from '@cloudmux/conformance';
import type { ObjectStore } from '@cloudmux/core';
import { throwawayServiceAccount } from '@cloudmux/emulators/gcp';
import { createGcsObjectStore } from '@cloudmux/gcp';
import { Storage } from '@google-cloud/storage';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import {
  EMULATOR_PROJECT,
  gcpLive,
  gcpLiveConfig,
  gcpUnavailableReason,
  gcsEndpoint,
  sharedFakeGcs,
} from '../src/endpoints/gcp.ts';
import { LIVE_NO_FAULTS, proxiedTarget } from '../src/fault-target.ts';

const unavailable = gcpUnavailableReason({ fakeGcs: true });

/** The raw client behind each store, for the oracle. */
const raw = new WeakMap<ObjectStore, { storage: Storage; bucket: string; prefix: string }>();

if (unavailable) {
  describeUnavailable(
    vitest,
    { provider: 'gcp', interface: 'objectStore', endpoint: gcsEndpoint },
    unavailable,
  );
} else {
  afterAll(() => sharedFakeGcs.stop());
  describeObjectStoreContract(vitest, {
    provider: 'gcp',
    endpoint: gcsEndpoint,
    async create() {
      if (gcpLive) {
        const live = gcpLiveConfig() as Exclude<ReturnType<typeof gcpLiveConfig>, string>;
        const prefix = `${uniqueName('cmx-contract')}/`;
        const storage = new Storage({ projectId: live.projectId });
        const store = createGcsObjectStore({
          bucket: live.bucket,
          prefix,
          projectId: live.projectId,
          storage,
        });
        raw.set(store, { storage, bucket: live.bucket, prefix });
        return store;
      }
      const emulator = await sharedFakeGcs.get();
      const bucket = uniqueName('cmx-gcs');
      await emulator.createBucket(bucket);
      // A throwaway key lets the client sign V4 URLs locally; the emulator does not check them.
      const storage = new Storage({
        projectId: EMULATOR_PROJECT,
        apiEndpoint: emulator.endpoint,
        credentials: throwawayServiceAccount(),
      });
      const store = createGcsObjectStore({ bucket, storage });
      raw.set(store, { storage, bucket, prefix: '' });
      return store;
    },
    async openUrl(store) {
      if (gcpLive) {
        const live = gcpLiveConfig() as Exclude<ReturnType<typeof gcpLiveConfig>, string>;
        return { url: `${store.location}?projectId=${encodeURIComponent(live.projectId)}` };
      }
      const emulator = await sharedFakeGcs.get();
      const query = new URLSearchParams({ projectId: EMULATOR_PROJECT, endpoint: emulator.endpoint });
      return { url: `${store.location}?${query}` };
    },
    async destroy(store) {
      const client = raw.get(store);
      if (client) {
        await client.storage.bucket(client.bucket).deleteFiles({ prefix: client.prefix, force: true });
      }
      await store.close();
    },
    ...(gcpLive
      ? { noFaultsReason: LIVE_NO_FAULTS }
      : {
          faults: proxiedTarget({
            upstream: async () => (await sharedFakeGcs.get()).endpoint,
            mode: 'http',
            flavor: 'gcp',
            create: async (apiEndpoint) => {
              const bucket = uniqueName('cmx-gcs-faults');
              await (await sharedFakeGcs.get()).createBucket(bucket);
              return createGcsObjectStore({ bucket, projectId: EMULATOR_PROJECT, apiEndpoint });
            },
          }),
        }),
    oracle: (store) => ({
      async rawGet(key) {
        const client = raw.get(store);
        if (!client) throw new Error('no raw client for this store');
        const file = client.storage.bucket(client.bucket).file(client.prefix + key);
        const [exists] = await file.exists();
        if (!exists) return undefined;
        const [bytes] = await file.download({ validation: false });
        return new Uint8Array(bytes);
      },
    }),
    endpointGaps: gcpLive
      ? {}
      : {
          copyCreateOnly:
            'fake-gcs-server 1.56 ignores ifGenerationMatch on objects.rewrite, so a create-only copy overwrites',
        },
    skipCases: gcpLive
      ? {}
      : {
          'pagination with a delimiter returns every common prefix exactly once':
            'fake-gcs-server 1.56 applies maxResults to items only and returns every prefix on every page (fakestorage/object.go ListObjects); GCS counts items and prefixes together',
        },
    invalidKeys: ['line\nbreak', 'carriage\rreturn', '.', '..', 'x'.repeat(1025)],
  });
}
