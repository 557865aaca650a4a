import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BigQueryServer, startBigQueryServer } from './server.ts';
import { translateSql } from './sql.ts';

const noParams = (name: string): string => {
  throw new Error(`unexpected parameter ${name}`);
};

describe('GoogleSQL → DuckDB translation', () => {
  it('re-quotes literals and identifiers and never rewrites inside them', () => {
    expect(translateSql("SELECT 'it\\'s @x', \"dq\" FROM `ds.t` -- @c\n", noParams)).toBe(
      `SELECT 'it''s @x', 'dq' FROM "ds"."t" \n`,
    );
    expect(translateSql('SELECT 1 /* @x */ FROM `p.ds.t`', noParams)).toBe('SELECT 1   FROM "ds"."t"');
  });

  it('maps parameters, casts and functions', () => {
    const sql = translateSql(
      'SELECT CAST(@v AS FLOAT64), COUNTIF(x > 1), TIMESTAMP_TRUNC(ts, HOUR), DATE(ts), EXTRACT(HOUR FROM ts), APPROX_QUANTILES(x, 100)[OFFSET(50)]',
      (name) => `<${name}>`,
    );
    expect(sql).toBe(
      "SELECT CAST(<v> AS DOUBLE), count_if(x > 1), TIMESTAMP_TRUNC(ts, 'hour'), bq_date(ts), EXTRACT(HOUR FROM ts), APPROX_QUANTILES(x, 100)[51]",
    );
  });

  it('rejects an unclosed literal as an invalid query', () => {
    expect(() => translateSql("SELECT 'open", noParams)).toThrow(/Unclosed/);
  });
});

/** The fields of BigQuery's REST responses these checks read. */
interface Wire {
  error?: { errors?: Array<{ reason?: string }> };
  insertErrors?: Array<{ errors?: Array<{ reason?: string }> }>;
  schema?: { fields?: Array<{ type?: string }> };
  rows?: unknown[];
  pageToken?: string;
}

describe('BigQuery test server over REST', () => {
  let server: BigQueryServer;
  const base = () => `${server.endpoint}/bigquery/v2/projects/p`;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, json: (response.status === 204 ? {} : await response.json()) as Wire };
  };
  beforeAll(async () => {
    server = await startBigQueryServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers jobs.query with typed wire values and pages tabledata.list', async () => {
    expect((await call('POST', '/datasets', { datasetReference: { datasetId: 'd' } })).status).toBe(200);
    expect(
      (await call('POST', '/datasets', { datasetReference: { datasetId: 'd' } })).json.error?.errors?.[0]
        ?.reason,
    ).toBe('duplicate');
    await call('POST', '/datasets/d/tables', {
      tableReference: { tableId: 't' },
      schema: {
        fields: [
          { name: 'n', type: 'INTEGER', mode: 'REQUIRED' },
          { name: 'at', type: 'TIMESTAMP' },
        ],
      },
    });
    const inserted = await call('POST', '/datasets/d/tables/t/insertAll', {
      rows: [1, 2, 3].map((n) => ({ json: { n: String(n), at: '2024-01-02T03:04:05.123456Z' } })),
    });
    expect(inserted.json.insertErrors).toBeUndefined();
    const query = await call('POST', '/queries', {
      query: 'SELECT n, `at` FROM `d.t` WHERE n >= @min ORDER BY n',
      useLegacySql: false,
      parameterMode: 'NAMED',
      queryParameters: [{ name: 'min', parameterType: { type: 'INT64' }, parameterValue: { value: '2' } }],
    });
    expect(query.json.schema?.fields?.map((f) => f.type)).toEqual(['INT64', 'TIMESTAMP']);
    expect(query.json.rows).toEqual([
      { f: [{ v: '2' }, { v: '1704164645123456' }] },
      { f: [{ v: '3' }, { v: '1704164645123456' }] },
    ]);
    const page = await call('GET', '/datasets/d/tables/t/data?maxResults=2');
    expect(page.json.rows).toHaveLength(2);
    expect(page.json.pageToken).toBe('2');
    const bad = await call('POST', '/datasets/d/tables/t/insertAll', {
      rows: [{ json: { n: '1', nope: 1 } }],
    });
    expect(bad.json.insertErrors?.[0]?.errors?.[0]?.reason).toBe('invalid');
    const missing = await call('GET', '/datasets/d/tables/absent');
    expect(missing.status).toBe(404);
    expect(missing.json.error?.errors?.[0]?.reason).toBe('notFound');
  });
});
