/**
 * The Redshift Data API test server, driven by the unmodified SDK: the protocol details the
 * Redshift adapter relies on (statement lifecycle, paging, typed fields, batch sub-statements,
 * service errors) behave as the Data API documents them.
 */
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  type DescribeStatementCommandOutput,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  paginateListStatements,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bindNamedParameters,
  type RedshiftDataServer,
  startRedshiftDataServer,
} from './redshift-data-server.ts';

const target = { WorkgroupName: 'wg', Database: 'dev' };

describe('Redshift Data API test server (PGlite) through @aws-sdk/client-redshift-data', () => {
  let server: RedshiftDataServer;
  let client: RedshiftDataClient;

  beforeAll(async () => {
    server = await startRedshiftDataServer({ pageRows: 3 });
    client = new RedshiftDataClient({
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  });
  afterAll(async () => {
    client?.destroy();
    await server?.stop();
  });

  async function finish(id: string): Promise<{ first: string; last: DescribeStatementCommandOutput }> {
    let first: string | undefined;
    for (;;) {
      const description = await client.send(new DescribeStatementCommand({ Id: id }));
      first ??= description.Status;
      if (description.Status === 'FINISHED' || description.Status === 'FAILED') {
        return { first: first ?? '', last: description };
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  it('runs a statement asynchronously and pages typed results with NextToken', async () => {
    const { Id } = await client.send(
      new ExecuteStatementCommand({
        ...target,
        Sql: "SELECT g AS n, g * 1.5 AS f, g % 2 = 0 AS even, 'row ' || g AS s, NULL::int AS nothing, :big::bigint AS big FROM generate_series(1, 7) AS g ORDER BY g",
        Parameters: [{ name: 'big', value: '9007199254740993' }],
      }),
    );
    const { first, last } = await finish(Id!);
    expect(first).toBe('STARTED');
    expect(last).toMatchObject({ Status: 'FINISHED', HasResultSet: true, ResultRows: 7 });
    expect(last.Duration).toBeGreaterThan(0);
    const pages = [];
    let token: string | undefined;
    do {
      const page = await client.send(new GetStatementResultCommand({ Id, NextToken: token }));
      pages.push(page);
      token = page.NextToken;
    } while (token);
    expect(pages.map((p) => p.Records?.length)).toEqual([3, 3, 1]);
    expect(pages[0]?.TotalNumRows).toBe(7);
    expect(pages[0]?.ColumnMetadata?.map((c) => c.typeName)).toEqual([
      'int4',
      'numeric',
      'bool',
      'varchar',
      'int4',
      'int8',
    ]);
    expect(pages[0]?.Records?.[1]).toEqual([
      { longValue: 2 },
      { stringValue: '3.0' },
      { booleanValue: true },
      { stringValue: 'row 2' },
      { isNull: true },
      // As the service writes it; plain JSON.parse rounds it (the adapter keeps it exact).
      { longValue: 9007199254740992 },
    ]);
  });

  it('reports SQL errors as a FAILED statement carrying the database message', async () => {
    const { Id } = await client.send(
      new ExecuteStatementCommand({ ...target, Sql: 'SELECT * FROM nowhere' }),
    );
    const { last } = await finish(Id!);
    expect(last.Status).toBe('FAILED');
    expect(last.Error).toMatch(/relation "nowhere" does not exist/);
  });

  it('runs a batch in one transaction with sub-statement ids', async () => {
    const { Id } = await client.send(
      new BatchExecuteStatementCommand({
        ...target,
        Sqls: [
          'CREATE TABLE batch_t (x int)',
          'INSERT INTO batch_t VALUES (1), (2)',
          'SELECT count(*) AS c FROM batch_t',
        ],
      }),
    );
    const { last } = await finish(Id!);
    expect(last.SubStatements?.map((s) => [s.Id, s.Status])).toEqual([
      [`${Id}:1`, 'FINISHED'],
      [`${Id}:2`, 'FINISHED'],
      [`${Id}:3`, 'FINISHED'],
    ]);
    expect(last.SubStatements?.[1]?.ResultRows).toBe(2);
    const result = await client.send(new GetStatementResultCommand({ Id: `${Id}:3` }));
    expect(result.Records).toEqual([[{ longValue: 2 }]]);
    const failing = await client.send(
      new BatchExecuteStatementCommand({ ...target, Sqls: ['INSERT INTO batch_t VALUES (3)', 'SELEC oops'] }),
    );
    expect((await finish(failing.Id!)).last.Status).toBe('FAILED');
    const count = await server.db.query<{ c: number }>('SELECT count(*)::int AS c FROM batch_t');
    expect(count.rows[0]?.c).toBe(2);
  });

  it('answers service errors the SDK turns into typed exceptions', async () => {
    const names = await Promise.all([
      client
        .send(new DescribeStatementCommand({ Id: '00000000-0000-0000-0000-000000000000' }))
        .catch((e) => e.name),
      client
        .send(
          new ExecuteStatementCommand({
            WorkgroupName: 'wg',
            ClusterIdentifier: 'c',
            Database: 'dev',
            Sql: 'SELECT 1',
          }),
        )
        .catch((e) => e.name),
      client
        .send(
          new ExecuteStatementCommand({
            ...target,
            Sql: 'SELECT :a',
            Parameters: [{ name: 'b', value: '1' }],
          }),
        )
        .catch((e) => e.name),
    ]);
    expect(names).toEqual(['ResourceNotFoundException', 'ValidationException', 'ValidationException']);
  });

  it('lists every statement it received with ListStatements, paged, batches with their sub-statements', async () => {
    const listed = async () => {
      const all = [];
      for await (const page of paginateListStatements({ client, pageSize: 2 }, {})) {
        expect(page.Statements?.length ?? 0).toBeLessThanOrEqual(2);
        all.push(...(page.Statements ?? []));
      }
      return all;
    };
    const before = await listed();
    const single = await client.send(new ExecuteStatementCommand({ ...target, Sql: 'SELECT 41 + 1' }));
    const batch = await client.send(
      new BatchExecuteStatementCommand({ ...target, Sqls: ['SELECT 1', 'SELECT 2'] }),
    );
    await finish(single.Id!);
    await finish(batch.Id!);
    const after = await listed();
    expect(after.length).toBe(before.length + 2);
    expect(after.slice(-2)).toMatchObject([
      { Id: single.Id, QueryString: 'SELECT 41 + 1', IsBatchStatement: false, Status: 'FINISHED' },
      { Id: batch.Id, QueryStrings: ['SELECT 1', 'SELECT 2'], IsBatchStatement: true, Status: 'FINISHED' },
    ]);
  });

  it('reports a table size in 1 MB blocks through SVV_TABLE_INFO', async () => {
    const run = async (sql: string) =>
      finish((await client.send(new ExecuteStatementCommand({ ...target, Sql: sql }))).Id!);
    await run(
      "CREATE TABLE sized AS SELECT g AS n, repeat('x', 100) AS s FROM generate_series(1, 30000) AS g",
    );
    const { last } = await run(`SELECT size FROM svv_table_info WHERE "table" = 'sized'`);
    expect(last.Status).toBe('FINISHED');
    const result = await client.send(new GetStatementResultCommand({ Id: last.Id }));
    // 30,000 rows of ~130 bytes: more than 3 MB, fewer than 10.
    const blocks = Number(result.Records?.[0]?.[0]?.longValue);
    expect(blocks).toBeGreaterThan(3);
    expect(blocks).toBeLessThan(10);
  });

  it('binds :name outside literals, dollar quotes and :: casts, one placeholder per name', () => {
    const sql = "SELECT :a, ':b', $$ :c $$, $x$ :d $x$, x::int, :a -- :e";
    expect(bindNamedParameters(sql, [{ name: 'a', value: '1' }])).toEqual({
      text: "SELECT $1, ':b', $$ :c $$, $x$ :d $x$, x::int, $1 -- :e",
      values: ['1'],
    });
  });
});
