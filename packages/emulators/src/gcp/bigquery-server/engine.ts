/**
 * The BigQuery test server's state: one in-memory DuckDB (datasets are schemas), the datasets'
 * tables with their BigQuery schemas, the jobs run so far, and the lookups every request shares.
 */

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { BigQueryServerOptions } from './server.ts';
import { MACROS } from './sql.ts';
import { BqError, type Job, literal, type TableMeta, valueBytes, wireValue } from './values.ts';

/** Starts DuckDB with the GoogleSQL macros and holds what the jobs and routes read. */
export async function createEngine(options: BigQueryServerOptions) {
  const instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run("SET TimeZone = 'UTC'");
  for (const macro of MACROS) await setup.run(macro);
  setup.closeSync();
  const datasets = new Map<string, { location: string; created: number; tables: Map<string, TableMeta> }>();
  const jobs = new Map<string, Job>();
  const scratch = await mkdtemp(join(tmpdir(), 'bq-server-'));

  const withConnection = async <T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> => {
    const connection = await instance.connect();
    try {
      await connection.run("SET TimeZone = 'UTC'");
      return await fn(connection);
    } finally {
      connection.closeSync();
    }
  };
  const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const dataset = (id: string) => {
    const found = datasets.get(id);
    if (!found) throw new BqError(404, 'notFound', `Not found: Dataset ${id}`);
    return found;
  };
  const table = (datasetId: string, tableId: string) => {
    const found = dataset(datasetId).tables.get(tableId);
    if (!found) throw new BqError(404, 'notFound', `Not found: Table ${datasetId}.${tableId}`);
    return found;
  };
  const tableResource = (
    project: string,
    datasetId: string,
    tableId: string,
    meta: TableMeta,
    numRows?: number,
  ) => ({
    kind: 'bigquery#table',
    id: `${project}:${datasetId}.${tableId}`,
    tableReference: { projectId: project, datasetId, tableId },
    schema: { fields: meta.fields },
    type: 'TABLE',
    creationTime: String(meta.created),
    ...(numRows !== undefined ? { numRows: String(numRows) } : {}),
  });

  /** Referenced tables of a statement: quoted identifiers that name a table of the dataset. */
  function referencedTables(sql: string, defaultDataset: string | undefined) {
    const refs = new Map<string, { datasetId: string; tableId: string }>();
    for (const m of sql.matchAll(/"((?:[^"]|"")+)"(?:\."((?:[^"]|"")+)")?/g)) {
      const [a, b] = [m[1]?.replaceAll('""', '"'), m[2]?.replaceAll('""', '"')];
      const [datasetId, tableId] = b ? [a, b] : [defaultDataset, a];
      if (datasetId && tableId && datasets.get(datasetId)?.tables.has(tableId)) {
        refs.set(`${datasetId}.${tableId}`, { datasetId, tableId });
      }
    }
    return [...refs.values()];
  }

  async function tableBytes(c: DuckDBConnection, datasetId: string, tableId: string): Promise<number> {
    const meta = table(datasetId, tableId);
    const reader = await c.runAndReadAll(`SELECT * FROM ${ident(datasetId)}.${ident(tableId)}`);
    let bytes = 0;
    for (const row of reader.getRows()) {
      row.forEach((value, index) => {
        bytes += valueBytes(meta.fields[index]?.type ?? 'STRING', wireValue(value));
      });
    }
    return bytes;
  }

  function parameterLiteral(parameters: Array<Record<string, unknown>>) {
    const byName = new Map<string, Record<string, unknown>>();
    for (const p of parameters) byName.set(String(p.name ?? '').toLowerCase(), p);
    return (name: string) => {
      const p = byName.get(name.toLowerCase());
      if (!p) throw new BqError(400, 'invalidQuery', `Query parameter '${name}' not found`);
      const type = String((p.parameterType as { type?: string } | undefined)?.type ?? 'STRING');
      const value = (p.parameterValue as { value?: unknown } | undefined)?.value;
      return literal(type, value);
    };
  }

  return {
    options,
    instance,
    datasets,
    jobs,
    scratch,
    withConnection,
    ident,
    dataset,
    table,
    tableResource,
    referencedTables,
    tableBytes,
    parameterLiteral,
  };
}

export type Engine = Awaited<ReturnType<typeof createEngine>>;
