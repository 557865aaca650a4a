/**
 * The Azure provider chosen through config, the way apps use it: `openResources` imports
 * @cloudmux/azure, validates `providers.azure`, and wraps each resource in the meter — against
 * Azurite and the TDS test server. (Key Vault is left out: its test server's certificate is trusted
 * only through a client option that config does not carry.)
 */

import { uniqueName } from '@cloudmux/conformance';
import { openResources, parseConfig, type Resources } from '@cloudmux/core';
import {
  type AzuriteInstance,
  azuriteEntry,
  startAzurite,
  startTdsServer,
  type TdsServer,
} from '@cloudmux/emulators/azure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const missing = azuriteEntry()
  ? undefined
  : 'azurite is not installed (a dependency of @cloudmux/emulators: run pnpm install)';

describe.skipIf(missing)(
  `azure provider through openResources${missing ? ` — skipped: ${missing}` : ''}`,
  () => {
    let azurite: AzuriteInstance;
    let tds: TdsServer;
    let resources: Resources;

    beforeAll(async () => {
      [azurite, tds] = await Promise.all([startAzurite(), startTdsServer()]);
      const config = parseConfig({
        resources: { objectStore: 'azure', queue: 'azure', warehouse: 'azure', secretStore: 'local' },
        providers: {
          azure: {
            blob: { container: uniqueName('cfg'), prefix: 'lake/' },
            queue: { queuePrefix: 'cfg-' },
            synapse: {
              server: tds.host,
              port: tds.port,
              database: tds.database,
              authentication: { type: 'sql', user: 'cloudmux' },
              encrypt: false,
              loadCredential: 'sas',
            },
          },
        },
      });
      resources = await openResources(config, {
        importer: (specifier) => import(specifier),
        only: ['objectStore', 'queue', 'warehouse'],
        // Secrets come from the environment, never from the config file.
        env: {
          AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
          AZURE_SQL_PASSWORD: 'test-server-accepts-any',
        },
      });
    });
    afterAll(async () => {
      await resources?.close();
      await tds?.stop();
      await azurite?.stop();
    });

    it('runs a small lake → queue → warehouse flow and meters Azure billable units', async () => {
      const { objectStore, queue, warehouse, meter } = resources;
      expect(resources.providers).toMatchObject({ objectStore: 'azure', queue: 'azure', warehouse: 'azure' });
      await objectStore.put('events/1.csv', 'id,name\n1,a\n2,b\n', { contentType: 'text/csv' });
      const queueName = uniqueName('landed');
      await queue.ensureQueue(queueName);
      await queue.send(queueName, JSON.stringify({ key: 'events/1.csv' }));
      const [message] = await queue.receive(queueName, { waitSeconds: 5 });
      const { key } = JSON.parse(new TextDecoder().decode(message!.body)) as { key: string };
      const table = uniqueName('events').replaceAll('-', '_');
      await warehouse.ensureTable(table, {
        columns: [
          { name: 'id', type: 'int64' },
          { name: 'name', type: 'string' },
        ],
      });
      const load = await warehouse.loadFromObjects(table, {
        source: objectStore,
        keys: [key],
        format: 'csv',
      });
      expect(load.rowsLoaded).toBe(2);
      await queue.ack(queueName, message!);
      const count = await warehouse.query(`SELECT COUNT(*) AS n FROM ${warehouse.dialect.quoteIdent(table)}`);
      expect(count.rows[0]?.n).toBe(2n);
      await warehouse.dropTable(table);

      const units = meter.totalUnits();
      expect(units['blob.operations.write']).toBeGreaterThanOrEqual(1);
      expect(units['queue.operations']).toBeGreaterThanOrEqual(4);
      expect(meter.summary().map((s) => s.provider)).toContain('azure');
    });

    it('a load naming a file that is not there fails with NotFound naming it, and loads nothing', async () => {
      const { objectStore, warehouse } = resources;
      await objectStore.put('events/present.csv', 'id,name\n1,a\n', { contentType: 'text/csv' });
      const table = uniqueName('missing').replaceAll('-', '_');
      await warehouse.ensureTable(table, {
        columns: [
          { name: 'id', type: 'int64' },
          { name: 'name', type: 'string' },
        ],
      });
      const load = warehouse.loadFromObjects(table, {
        source: objectStore,
        keys: ['events/present.csv', 'events/absent.csv'],
        format: 'csv',
      });
      await expect(load).rejects.toMatchObject({ code: 'NotFound' });
      await expect(load).rejects.toThrow(/events\/absent\.csv/);
      const count = await warehouse.query(`SELECT COUNT(*) AS n FROM ${warehouse.dialect.quoteIdent(table)}`);
      expect(count.rows[0]?.n).toBe(0n);
      await warehouse.dropTable(table);
    });
  },
);
