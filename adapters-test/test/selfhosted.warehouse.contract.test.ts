/**
 * Warehouse contract × self-hosted: Trino 476 over its Hive connector, the file metastore, the
 * managed tables and the lake all on MinIO. One MinIO and one Trino for the whole file (Trino takes
 * 20–40 s to start and 420–720 MB), stopped in `afterAll`; the fault group puts the fault proxy in
 * front of Trino's HTTP client protocol.
 */
import { describeUnavailable, describeWarehouseContract, uniqueName } from '@cloudmux/conformance';
import { loadConfig, openResources } from '@cloudmux/core';
import {
  MINIO_CREDENTIALS,
  MINIO_REGION,
  type RunningTrino,
  startTrino,
  trinoMissingReason,
} from '@cloudmux/emulators/selfhosted';
import {
  createSelfhostedObjectStore,
  createTrinoWarehouse,
  type TrinoWarehouseOptions,
} from '@cloudmux/selfhosted';
import * as vitest from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  minioMissingReason,
  minioOptions,
  SELFHOSTED_TEST_ENV,
  sharedBucket,
  sharedMinio,
  stopSelfhostedStack,
} from '../src/endpoints/selfhosted.ts';
import { proxiedTarget } from '../src/fault-target.ts';

const endpoint = 'emulator:trino';
const unavailable = minioMissingReason() ?? trinoMissingReason();

let trino: Promise<RunningTrino> | undefined;
/** One Trino per test file, its metastore and tables in the file's MinIO bucket. */
const sharedTrino = () => {
  trino ??= (async () =>
    startTrino({
      s3: {
        endpoint: (await sharedMinio()).endpoint,
        region: MINIO_REGION,
        ...MINIO_CREDENTIALS,
        bucket: await sharedBucket(),
      },
    }))();
  return trino;
};

const warehouseAt = (trinoEndpoint: string, extra: Partial<TrinoWarehouseOptions> = {}) =>
  createTrinoWarehouse({ endpoint: trinoEndpoint, catalog: 'lake', schema: 'contract', ...extra });

if (unavailable) {
  describeUnavailable(vitest, { provider: 'selfhosted', interface: 'warehouse', endpoint }, unavailable);
} else {
  // Started before the suites' own hooks, under a budget of its own: Trino's start-up (18–40 s on
  // two cores) can outlast the shared 120 s hook timeout when CI runs other servers beside it.
  beforeAll(() => sharedTrino().then(() => undefined), 480_000);
  afterAll(async () => {
    try {
      await (await trino)?.stop();
    } finally {
      await stopSelfhostedStack();
    }
  }, 60_000);

  describeWarehouseContract(vitest, {
    provider: 'selfhosted',
    endpoint,
    create: async () => warehouseAt((await sharedTrino()).endpoint),
    destroy: (warehouse) => warehouse.close(),
    openUrl: async () => ({ url: `trino://${new URL((await sharedTrino()).endpoint).host}/lake/contract` }),
    faults: proxiedTarget({
      upstream: async () => (await sharedTrino()).endpoint,
      mode: 'http',
      flavor: 'trino',
      create: async (proxied) => warehouseAt(proxied),
    }),
    // The lake through the provider's own object store, as the pipeline writes it.
    lake: async () =>
      createSelfhostedObjectStore(
        await minioOptions(),
        { env: SELFHOSTED_TEST_ENV },
        `${uniqueName('lake')}/`,
      ),
  });

  // What only this driver does, on the same servers: config wiring, an insert larger than one statement.
  describe('selfhosted Trino warehouse', () => {
    it('opens through config (warehouse: selfhosted) as the Trino driver, metered', async () => {
      const running = await sharedTrino();
      const env = { TRINO_PASSWORD: '' };
      const { config } = loadConfig({
        env,
        overrides: {
          resources: { warehouse: 'selfhosted' },
          providers: { selfhosted: { trino: { endpoint: running.endpoint, catalog: running.catalog } } },
        },
      });
      const resources = await openResources(config, {
        importer: (specifier) => import(specifier),
        only: ['warehouse'],
        env,
      });
      try {
        expect(resources.providers.warehouse).toBe('selfhosted');
        expect(resources.warehouse.dialect.name).toBe('trino');
        const answer = await resources.warehouse.query('SELECT @n + 1 AS n', { n: 41n });
        expect(answer.rows).toEqual([{ n: 42n }]);
        const operations = resources.meter
          .snapshot()
          .operations.map((o) => `${o.provider}:${o.resource}.${o.operation}`);
        expect(operations).toContain('selfhosted:warehouse.query');
      } finally {
        await resources.close();
      }
    });

    it('an insert too large for one statement lands whole through a staging table, or not at all', async () => {
      // 2,000 characters of SQL per statement: 300 rows need many.
      const warehouse = warehouseAt((await sharedTrino()).endpoint, { maxStatementLength: 2_000 });
      const table = `cmx_staged_${Date.now().toString(36)}`;
      const scratchTables = async () =>
        (
          await warehouse.query(
            "SELECT table_name FROM lake.information_schema.tables WHERE table_schema = 'contract'",
          )
        ).rows
          .map((r) => String(r.table_name))
          .filter((name) => name.startsWith(`${table}__`));
      try {
        await warehouse.ensureTable(table, {
          columns: [
            { name: 'id', type: 'int64' },
            { name: 'label', type: 'string' },
            { name: 'amount', type: 'decimal', precision: 5, scale: 2 },
          ],
        });
        const rows = Array.from({ length: 300 }, (_, i) => ({
          id: BigInt(i),
          label: `row '${i}'`,
          amount: '1.25',
        }));
        expect(await warehouse.insertRows(table, rows)).toEqual({ rows: 300 });
        const stored = await warehouse.query(
          `SELECT COUNT(*) AS n, SUM(id) AS total, COUNT(DISTINCT label) AS labels FROM ${table}`,
        );
        expect(stored.rows).toEqual([{ n: 300n, total: 44_850n, labels: 300n }]);
        // The last row's amount overflows DECIMAL(5, 2) in Trino's cast, after the earlier chunks
        // were sent: the call fails and none of its rows is in the table.
        const failing = [
          ...rows.map((r) => ({ ...r, id: r.id + 1_000n })),
          { id: 9_999n, label: 'x', amount: '12345.5' },
        ];
        const error = await warehouse.insertRows(table, failing).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((error as { code?: string } | undefined)?.code).toBe('InvalidArgument');
        const after = await warehouse.query(`SELECT COUNT(*) AS n FROM ${table}`);
        expect(after.rows[0]?.n).toBe(300n);
        expect(await scratchTables()).toEqual([]);
      } finally {
        await warehouse.dropTable(table);
        await warehouse.close();
      }
    }, 180_000);
  });
}
