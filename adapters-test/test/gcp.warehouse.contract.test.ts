/**
 * Warehouse contract × BigQuery: the REST v2 test server on DuckDB (adapters-test/src/emulators/
 * bigquery-server.ts) with loads read from fake-gcs-server by default, a real project with
 * CLOUDMUX_LIVE_GCP=1. Each run uses its own dataset, deleted with its contents afterwards.
 */

import { describeUnavailable, describeWarehouseContract, uniqueName } from '@cloudmux/conformance';
import { createBigQueryWarehouse, createGcsObjectStore } from '@cloudmux/gcp';
import { BigQuery } from '@google-cloud/bigquery';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import {
  bigqueryEndpoint,
  EMULATOR_PROJECT,
  gcpLive,
  gcpLiveConfig,
  gcpUnavailableReason,
  sharedBigQuery,
  sharedFakeGcs,
} from '../src/endpoints/gcp.ts';
import { LIVE_NO_FAULTS, proxiedTarget } from '../src/fault-target.ts';

const unavailable = gcpUnavailableReason({ fakeGcs: true });
const dataset = uniqueName('cmx').replaceAll('-', '_');

async function connection() {
  if (gcpLive) {
    const live = gcpLiveConfig() as Exclude<ReturnType<typeof gcpLiveConfig>, string>;
    return { projectId: live.projectId, location: live.location, bucket: live.bucket };
  }
  const server = await sharedBigQuery.get();
  return { projectId: EMULATOR_PROJECT, location: 'US', apiEndpoint: server.endpoint };
}

if (unavailable) {
  describeUnavailable(
    vitest,
    { provider: 'gcp', interface: 'warehouse', endpoint: bigqueryEndpoint },
    unavailable,
  );
} else {
  afterAll(async () => {
    await sharedBigQuery.stop();
    await sharedFakeGcs.stop();
  });
  describeWarehouseContract(vitest, {
    provider: 'gcp',
    endpoint: bigqueryEndpoint,
    async create() {
      const c = await connection();
      return createBigQueryWarehouse({
        projectId: c.projectId,
        dataset,
        location: c.location,
        ...(c.apiEndpoint ? { apiEndpoint: c.apiEndpoint } : {}),
      });
    },
    async openUrl() {
      const c = await connection();
      const query = new URLSearchParams({ location: c.location });
      if (c.apiEndpoint) query.set('endpoint', c.apiEndpoint);
      return { url: `bigquery://${c.projectId}/${dataset}?${query}` };
    },
    async destroy(warehouse) {
      await warehouse.close();
      const c = await connection();
      const client = new BigQuery({
        projectId: c.projectId,
        ...(c.apiEndpoint ? { apiEndpoint: c.apiEndpoint } : {}),
      });
      await client.dataset(dataset).delete({ force: true });
    },
    ...(gcpLive
      ? { noFaultsReason: LIVE_NO_FAULTS }
      : {
          faults: proxiedTarget({
            upstream: async () => (await sharedBigQuery.get()).endpoint,
            mode: 'http',
            flavor: 'gcp',
            create: async (apiEndpoint) =>
              createBigQueryWarehouse({ projectId: EMULATOR_PROJECT, dataset, location: 'US', apiEndpoint }),
          }),
        }),
    async lake() {
      if (gcpLive) {
        const live = gcpLiveConfig() as Exclude<ReturnType<typeof gcpLiveConfig>, string>;
        return createGcsObjectStore({
          bucket: live.bucket,
          prefix: `${dataset}/`,
          projectId: live.projectId,
        });
      }
      const emulator = await sharedFakeGcs.get();
      const bucket = uniqueName('cmx-lake');
      await emulator.createBucket(bucket);
      return createGcsObjectStore({ bucket, projectId: EMULATOR_PROJECT, apiEndpoint: emulator.endpoint });
    },
  });
}
