/**
 * Focused tests of the Synapse adapter on the TDS test server: transient-fault retries (the meter
 * retries reads on the documented transient error numbers, writes never; the driver has no retries
 * of its own), error numbers as codes, and the serverless data-processed metering with its 10 MB
 * minimum.
 */
import { createSynapseWarehouse } from '@cloudmux/azure';
import { expectCode } from '@cloudmux/conformance';
import { Meter, type Warehouse } from '@cloudmux/core';
import { startTdsServer, type TdsServer } from '@cloudmux/emulators/azure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('azure synapse adapter on the TDS test server', () => {
  let server: TdsServer;
  let dedicated: Warehouse;
  let serverless: Warehouse;
  const meters = {
    dedicated: new Meter({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } }),
    serverless: new Meter({ retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 } }),
  };
  const connect = (poolKind: 'dedicated' | 'serverless') =>
    createSynapseWarehouse({
      server: server.host,
      port: server.port,
      database: server.database,
      poolKind,
      authentication: { type: 'sql', user: 'cloudmux', password: 'test-server-accepts-any' },
      encrypt: false,
      meter: meters[poolKind],
    });

  beforeAll(async () => {
    server = await startTdsServer();
    dedicated = connect('dedicated');
    serverless = connect('serverless');
  });
  afterAll(async () => {
    await dedicated?.close();
    await serverless?.close();
    await server?.stop();
  });

  it('retries a read through transient faults (40613 database unavailable) and succeeds', async () => {
    await dedicated.query('SELECT 1 AS warm');
    server.injectFault(2, 40613);
    const result = await dedicated.query('SELECT 42 AS v');
    expect(result.rows).toEqual([{ v: 42n }]);
    // Both faults were met (and retried through), not skipped.
    expect(server.faultsRemaining()).toBe(0);
  });

  it('gives up after maxAttempts with a retryable Unavailable error', async () => {
    server.injectFault(5, 40501);
    const error = await expectCode(dedicated.query('SELECT 1 AS v'), 'Unavailable');
    expect(error.retryable).toBe(true);
    // maxAttempts 3: three of the five faults were met.
    expect(server.faultsRemaining()).toBe(2);
    server.injectFault(0, 0);
  });

  it('does not retry a write: it may have committed before the fault', async () => {
    await dedicated.ensureTable('synapse_once', { columns: [{ name: 'id', type: 'int64' }] });
    const before = server.statements();
    server.injectFault(1, 40613);
    await expectCode(dedicated.query('INSERT INTO [synapse_once] ([id]) SELECT 1'), 'Unavailable');
    expect(server.statements()).toBe(before);
    expect(server.faultsRemaining()).toBe(0);
    expect((await dedicated.query('SELECT COUNT(*) AS n FROM [synapse_once]')).rows[0]?.n).toBe(0n);
    await dedicated.dropTable('synapse_once');
  });

  it('maps SQL error numbers to codes: throttling (10928) is Unavailable, login failure (18456) Unauthenticated', async () => {
    server.injectFault(3, 10928);
    await expectCode(dedicated.query('SELECT 1 AS v'), 'Unavailable');
    server.injectFault(1, 18456);
    await expectCode(dedicated.query('SELECT 1 AS v'), 'Unauthenticated');
  });

  it('the T-SQL window percentile the pipeline uses runs (percentileOver)', async () => {
    const table = 'synapse_pct';
    await dedicated.ensureTable(table, {
      columns: [
        { name: 'grp', type: 'string' },
        { name: 'delay', type: 'int64' },
      ],
    });
    await dedicated.insertRows(
      table,
      [1, 2, 3, 4, 10, 20].map((delay, i) => ({ grp: i < 4 ? 'a' : 'b', delay: BigInt(delay) })),
    );
    const { fn, quoteIdent: q } = dedicated.dialect;
    const result = await dedicated.query(
      `SELECT ${q('grp')}, MAX(p) AS p FROM (SELECT ${q('grp')}, ${fn.percentileOver(fn.toFloat(q('delay')), 0.5, [q('grp')])} AS p FROM ${q(table)}) per_row GROUP BY ${q('grp')} ORDER BY ${q('grp')}`,
    );
    expect(result.rows).toEqual([
      { grp: 'a', p: 2.5 },
      { grp: 'b', p: 15 },
    ]);
    await dedicated.dropTable(table);
  });

  it('dialect.limit (TOP) works on a query, inside INSERT … SELECT and in a subquery; OFFSET … FETCH is refused', async () => {
    const { limit, quoteIdent: q } = dedicated.dialect;
    await dedicated.ensureTable('synapse_top_src', { columns: [{ name: 'n', type: 'int64' }] });
    await dedicated.ensureTable('synapse_top_dst', { columns: [{ name: 'n', type: 'int64' }] });
    await dedicated.insertRows(
      'synapse_top_src',
      [5n, 3n, 9n, 1n].map((n) => ({ n })),
    );
    const top = await dedicated.query(
      limit(`SELECT ${q('n')} FROM ${q('synapse_top_src')} ORDER BY ${q('n')} DESC`, 2),
    );
    expect(top.rows).toEqual([{ n: 9n }, { n: 5n }]);
    await dedicated.query(
      `INSERT INTO ${q('synapse_top_dst')} (${q('n')}) ${limit(`SELECT ${q('n')} FROM ${q('synapse_top_src')} ORDER BY ${q('n')}`, 3)}`,
    );
    const nested = await dedicated.query(
      `SELECT SUM(${q('n')}) AS total FROM (${limit(`SELECT ${q('n')} FROM ${q('synapse_top_dst')} ORDER BY ${q('n')}`, 2)}) s`,
    );
    expect(nested.rows).toEqual([{ total: 4n }]);
    await expectCode(
      dedicated.query(
        `SELECT ${q('n')} FROM ${q('synapse_top_src')} ORDER BY 1 OFFSET 0 ROWS FETCH NEXT 1 ROWS ONLY`,
      ),
      'InvalidArgument',
    );
    await dedicated.dropTable('synapse_top_src');
    await dedicated.dropTable('synapse_top_dst');
  });

  it('a serverless pool refuses to create or write tables with Unsupported', async () => {
    await expectCode(
      serverless.ensureTable('nope', { columns: [{ name: 'id', type: 'int64' }] }),
      'Unsupported',
    );
    await expectCode(serverless.insertRows('nope', [{ id: 1n }]), 'Unsupported');
  });

  it('meters serverless data processed with the 10 MB (10^6-byte MB) minimum per query; dedicated counts statements only', async () => {
    // learn.microsoft.com/azure/synapse-analytics/sql/data-processed: rounded up to the MB, 10 MB minimum per query.
    meters.serverless.reset();
    await serverless.query('SELECT 1 AS v');
    const units = meters.serverless.totalUnits();
    expect(units['synapse.serverless.bytes-billed']).toBe(10_000_000);
    expect(units['synapse.serverless.queries']).toBe(1);
    expect(units['synapse.serverless.bytes-processed']).toBeGreaterThan(0);
    meters.dedicated.reset();
    await dedicated.query('SELECT 1 AS v');
    expect(meters.dedicated.totalUnits()['synapse.serverless.bytes-billed']).toBeUndefined();
    expect(meters.dedicated.totalUnits()['synapse.dedicated.statements']).toBe(1);
  });
});
