/**
 * Warehouse contract × Azure Synapse SQL: against the wire-compatible TDS test server (DuckDB
 * underneath) with Azurite as the lake, or a real Synapse pool with CLOUDMUX_LIVE_AZURE=1.
 */

import { DefaultAzureCredential } from '@azure/identity';
import { createBlobObjectStore, createSynapseWarehouse } from '@cloudmux/azure';
import { describeUnavailable, describeWarehouseContract, uniqueName } from '@cloudmux/conformance';
import {
  type AzuriteInstance,
  azuriteEntry,
  startAzurite,
  startTdsServer,
  type TdsServer,
} from '@cloudmux/emulators/azure';
import * as vitest from 'vitest';
import { afterAll } from 'vitest';
import { AZURE_LIVE, liveEnv } from '../src/endpoints/azure.ts';
import { LIVE_NO_FAULTS, proxiedTarget } from '../src/fault-target.ts';

let azurite: Promise<AzuriteInstance> | undefined;
let tds: Promise<TdsServer> | undefined;
afterAll(async () => {
  await (await tds)?.stop();
  await (await azurite)?.stop();
});

const endpoint = AZURE_LIVE ? 'live' : 'emulator:tds-server';
if (!AZURE_LIVE && !azuriteEntry()) {
  describeUnavailable(
    vitest,
    { provider: 'azure', interface: 'warehouse', endpoint },
    'azurite (the lake for COPY INTO) is not installed (a devDependency of adapters-test: run pnpm install)',
  );
} else {
  describeWarehouseContract(vitest, {
    provider: 'azure',
    endpoint,
    async create() {
      if (AZURE_LIVE) {
        return createSynapseWarehouse({
          server: liveEnv('AZURE_SYNAPSE_SERVER'),
          database: liveEnv('AZURE_SYNAPSE_DATABASE'),
          poolKind: process.env.AZURE_SYNAPSE_POOL === 'serverless' ? 'serverless' : 'dedicated',
          authentication: { type: 'token', credential: new DefaultAzureCredential() },
        });
      }
      tds ??= startTdsServer();
      const server = await tds;
      return createSynapseWarehouse({
        server: server.host,
        port: server.port,
        database: server.database,
        authentication: { type: 'sql', user: 'cloudmux', password: 'test-server-accepts-any' },
        // The test server speaks TDS without TLS; a real endpoint always encrypts.
        encrypt: false,
        loadCredential: 'sas',
      });
    },
    async destroy(warehouse) {
      await warehouse.close();
    },
    async openUrl() {
      if (AZURE_LIVE) {
        const pool = process.env.AZURE_SYNAPSE_POOL === 'serverless' ? 'serverless' : 'dedicated';
        return {
          url: `synapse://${liveEnv('AZURE_SYNAPSE_SERVER')}/${liveEnv('AZURE_SYNAPSE_DATABASE')}?pool=${pool}`,
        };
      }
      tds ??= startTdsServer();
      const server = await tds;
      // SQL authentication reads the password from the variable the URL names, never from the URL.
      return {
        url: `synapse://${server.host}:${server.port}/${server.database}?user=cloudmux&passwordEnv=CMX_TDS_PASSWORD&encrypt=false&loadCredential=sas`,
        env: { CMX_TDS_PASSWORD: 'test-server-accepts-any' },
      };
    },
    ...(AZURE_LIVE
      ? { noFaultsReason: LIVE_NO_FAULTS }
      : {
          faults: proxiedTarget({
            upstream: async () => {
              tds ??= startTdsServer();
              const server = await tds;
              return `${server.host}:${server.port}`;
            },
            mode: 'tcp',
            create: async (_endpoint, proxy) =>
              createSynapseWarehouse({
                server: proxy.host,
                port: proxy.port,
                database: (await tds!).database,
                authentication: { type: 'sql', user: 'cloudmux', password: 'test-server-accepts-any' },
                encrypt: false,
                loadCredential: 'sas',
              }),
          }),
        }),
    async lake() {
      if (AZURE_LIVE) {
        return createBlobObjectStore({
          accountUrl: liveEnv('AZURE_BLOB_ACCOUNT_URL'),
          credential: new DefaultAzureCredential(),
          container: liveEnv('AZURE_BLOB_CONTAINER'),
          prefix: `${uniqueName('lake')}/`,
        });
      }
      azurite ??= startAzurite();
      return createBlobObjectStore({
        connectionString: (await azurite).connectionString,
        container: uniqueName('lake'),
      });
    },
  });
}
