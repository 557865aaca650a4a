/**
 * Query and load jobs and streaming inserts (tabledata.insertAll with insertId deduplication),
 * run synchronously on the engine's DuckDB.
 */

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import type { Engine } from './engine.ts';
import { translateDuckError, translateSql } from './sql.ts';
import {
  BqError,
  type BqField,
  bqTypeOf,
  duckType,
  INSERT_ID_WINDOW_MS,
  type Job,
  literal,
  MB,
  type QueryJobResult,
  sqlString,
  wireValue,
} from './values.ts';

export function createJobs(engine: Engine) {
  const {
    options,
    jobs,
    scratch,
    withConnection,
    ident,
    dataset,
    table,
    referencedTables,
    tableBytes,
    parameterLiteral,
  } = engine;
  async function runQuery(
    project: string,
    config: Record<string, unknown>,
  ): Promise<{ result: QueryJobResult; stats: Record<string, unknown> }> {
    if (config.useLegacySql === true) throw new BqError(400, 'invalid', 'legacy SQL is not supported here');
    const defaultDataset = (config.defaultDataset as { datasetId?: string } | undefined)?.datasetId;
    const sql = translateSql(
      String(config.query ?? ''),
      parameterLiteral((config.queryParameters as Array<Record<string, unknown>>) ?? []),
    );
    return withConnection(async (c) => {
      if (defaultDataset) {
        dataset(defaultDataset);
        await c.run(`SET search_path = ${sqlString(defaultDataset)}`);
      }
      const started = performance.now();
      let reader: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
      try {
        reader = await c.runAndReadAll(sql);
      } catch (error) {
        throw translateDuckError(error);
      }
      const slotMs = Math.max(1, Math.round(performance.now() - started));
      const names = reader.columnNames();
      const types = reader.columnTypes();
      const fields: BqField[] = names.map((name, index) => ({
        name,
        type: bqTypeOf(types[index] as DuckDBType),
        mode: 'NULLABLE',
      }));
      const rows = reader.getRows().map((row) => row.map(wireValue));
      const refs = referencedTables(sql, defaultDataset);
      let processed = 0;
      for (const ref of refs) processed += await tableBytes(c, ref.datasetId, ref.tableId);
      const billed = refs.length === 0 ? 0 : Math.max(refs.length * 10 * MB, Math.ceil(processed / MB) * MB);
      return {
        result: { fields, rows },
        stats: {
          totalBytesProcessed: String(processed),
          totalBytesBilled: String(billed),
          totalSlotMs: String(slotMs),
          cacheHit: false,
          statementType: 'SELECT',
          referencedTables: refs.map((r) => ({
            projectId: project,
            datasetId: r.datasetId,
            tableId: r.tableId,
          })),
        },
      };
    });
  }

  async function fetchObject(uri: string, target: string): Promise<number> {
    const m = /^gs:\/\/([^/]+)\/(.+)$/.exec(uri);
    if (!m) throw new BqError(400, 'invalid', `Invalid source URI ${uri}`);
    if (!options.gcsEndpoint)
      throw new BqError(400, 'invalid', 'this server was started without a GCS endpoint');
    if (uri.includes('*'))
      throw new BqError(400, 'invalid', 'wildcard URIs are not supported by this server');
    const response = await fetch(
      `${options.gcsEndpoint}/storage/v1/b/${encodeURIComponent(m[1] as string)}/o/${encodeURIComponent(m[2] as string)}?alt=media`,
    );
    if (response.status === 404) throw new BqError(404, 'notFound', `Not found: URI ${uri}`);
    if (!response.ok) throw new BqError(500, 'backendError', `reading ${uri}: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    await writeFile(target, bytes);
    return bytes.byteLength;
  }

  async function runLoad(config: Record<string, unknown>): Promise<Record<string, unknown>> {
    const destination = config.destinationTable as { datasetId: string; tableId: string };
    const meta = table(destination.datasetId, destination.tableId);
    const uris = (config.sourceUris as string[] | undefined) ?? [];
    if (uris.length === 0) throw new BqError(400, 'invalid', 'sourceUris is required');
    const format = String(config.sourceFormat ?? 'CSV');
    const disposition = String(config.writeDisposition ?? 'WRITE_APPEND');
    const dir = await mkdtemp(join(scratch, 'load-'));
    try {
      let inputBytes = 0;
      const files: string[] = [];
      for (const [index, uri] of uris.entries()) {
        const file = join(dir, `part-${index}`);
        inputBytes += await fetchObject(uri, file);
        files.push(file);
      }
      const list = `[${files.map(sqlString).join(', ')}]`;
      const columns = meta.fields.map((f) => `${sqlString(f.name)}: ${sqlString(duckType(f))}`).join(', ');
      let source: string;
      if (format === 'CSV') {
        const skip = Number(config.skipLeadingRows ?? 0);
        source = `read_csv(${list}, columns = {${columns}}, header = false, skip = ${skip}, auto_detect = false, delim = ${sqlString(String(config.fieldDelimiter ?? ','))}, quote = '"', escape = '"', nullstr = '')`;
      } else if (format === 'NEWLINE_DELIMITED_JSON') {
        source = `read_json(${list}, format = 'newline_delimited', columns = {${columns}})`;
      } else if (format === 'PARQUET') {
        source = `read_parquet(${list})`;
      } else {
        throw new BqError(400, 'invalid', `unsupported sourceFormat ${format}`);
      }
      const select = meta.fields.map((f) => `CAST(${ident(f.name)} AS ${duckType(f)})`).join(', ');
      const target = `${ident(destination.datasetId)}.${ident(destination.tableId)}`;
      return await withConnection(async (c) => {
        await c.run('BEGIN TRANSACTION');
        try {
          if (disposition === 'WRITE_EMPTY') {
            const count = await c.runAndReadAll(`SELECT COUNT(*) FROM ${target}`);
            if (Number(count.getRows()[0]?.[0]) > 0)
              throw new BqError(409, 'duplicate', 'table is not empty');
          }
          if (disposition === 'WRITE_TRUNCATE') await c.run(`DELETE FROM ${target}`);
          const inserted = await c.run(
            `INSERT INTO ${target} (${meta.fields.map((f) => ident(f.name)).join(', ')}) SELECT ${select} FROM ${source}`,
          );
          await c.run('COMMIT');
          return {
            inputFiles: String(files.length),
            inputFileBytes: String(inputBytes),
            outputRows: String(inserted.rowsChanged),
            outputBytes: String(inputBytes),
          };
        } catch (error) {
          await c.run('ROLLBACK');
          if (error instanceof BqError) throw error;
          const translated = translateDuckError(error);
          // A malformed file is an invalid load, not an invalid query.
          throw new BqError(
            translated.status,
            translated.status === 404 ? 'notFound' : 'invalid',
            translated.message,
          );
        }
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function insertJob(project: string, body: Record<string, unknown>): Promise<Job> {
    const reference = (body.jobReference as { jobId?: string; location?: string } | undefined) ?? {};
    const jobId = reference.jobId ?? randomUUID();
    if (jobs.has(jobId)) throw new BqError(409, 'duplicate', `Already Exists: Job ${project}:${jobId}`);
    const configuration = (body.configuration as Record<string, Record<string, unknown>>) ?? {};
    const started = Date.now();
    const job: Job = {
      resource: {
        kind: 'bigquery#job',
        id: `${project}:${jobId}`,
        jobReference: { projectId: project, jobId, location: reference.location ?? 'US' },
        configuration,
      },
    };
    let statistics: Record<string, unknown> = {};
    try {
      if (configuration.query) {
        const { result, stats } = await runQuery(project, configuration.query);
        job.result = result;
        statistics = {
          totalBytesProcessed: stats.totalBytesProcessed,
          totalSlotMs: stats.totalSlotMs,
          query: stats,
        };
      } else if (configuration.load) {
        statistics = { load: await runLoad(configuration.load) };
      } else {
        throw new BqError(400, 'invalid', 'only query and load jobs are supported here');
      }
    } catch (error) {
      job.error = error instanceof BqError ? error : translateDuckError(error);
    }
    job.resource.statistics = {
      creationTime: String(started),
      startTime: String(started),
      endTime: String(Date.now()),
      ...statistics,
    };
    job.resource.status = job.error
      ? {
          state: 'DONE',
          errorResult: { reason: job.error.reason, message: job.error.message },
          errors: [{ reason: job.error.reason, message: job.error.message }],
        }
      : { state: 'DONE' };
    jobs.set(jobId, job);
    return job;
  }

  function queryResults(job: Job, query: URLSearchParams) {
    if (job.error) throw job.error;
    const result = job.result;
    if (!result) throw new BqError(400, 'invalid', 'not a query job');
    const offset = Number(query.get('pageToken') ?? query.get('startIndex') ?? 0);
    const maxResults = query.get('maxResults');
    const size = maxResults === null ? 100_000 : Math.max(0, Number(maxResults));
    const slice = result.rows.slice(offset, offset + size);
    const next = offset + size < result.rows.length ? String(offset + size) : undefined;
    const stats = (job.resource.statistics as { query?: Record<string, unknown> }).query ?? {};
    return {
      kind: 'bigquery#getQueryResultsResponse',
      jobReference: job.resource.jobReference,
      schema: { fields: result.fields },
      rows: slice.map((row) => ({ f: row.map((v) => ({ v })) })),
      totalRows: String(result.rows.length),
      ...(next ? { pageToken: next } : {}),
      jobComplete: true,
      totalBytesProcessed: stats.totalBytesProcessed,
      cacheHit: false,
    };
  }

  /** insertIds of the last minute per table, with their expiry (BigQuery keeps them "at least one minute"). */
  const insertIds = new Map<string, Map<string, number>>();
  function recentInsertIds(tableKey: string): Map<string, number> {
    let ids = insertIds.get(tableKey);
    if (!ids) {
      ids = new Map();
      insertIds.set(tableKey, ids);
    }
    const now = Date.now();
    for (const [id, expires] of ids) if (expires <= now) ids.delete(id);
    return ids;
  }

  function insertAll(datasetId: string, tableId: string, body: Record<string, unknown>): Promise<unknown> {
    const meta = table(datasetId, tableId);
    const tableKey = `${datasetId}.${tableId}`;
    const seen = recentInsertIds(tableKey);
    const rows = ((body.rows as Array<{ json?: Record<string, unknown>; insertId?: string }>) ?? []).filter(
      (row) => !(row.insertId && seen.has(row.insertId)),
    );
    const byName = new Map(meta.fields.map((f) => [f.name.toLowerCase(), f]));
    const insertErrors: Array<{ index: number; errors: Array<Record<string, string>> }> = [];
    const values: string[] = [];
    rows.forEach((row, index) => {
      const json = row.json ?? {};
      try {
        for (const key of Object.keys(json)) {
          if (!byName.has(key.toLowerCase())) {
            if (body.ignoreUnknownValues) continue;
            throw new BqError(400, 'invalid', `no such field: ${key}.`);
          }
        }
        const cells = meta.fields.map((field) => {
          const value = json[field.name];
          if ((value === null || value === undefined) && field.mode === 'REQUIRED') {
            throw new BqError(400, 'invalid', `Missing required field: ${field.name}.`);
          }
          return literal(field.type, value);
        });
        values.push(`(${cells.join(', ')})`);
      } catch (error) {
        const e = error instanceof BqError ? error : new BqError(400, 'invalid', String(error));
        insertErrors.push({ index, errors: [{ reason: e.reason, location: '', message: e.message }] });
      }
    });
    if (insertErrors.length > 0) {
      // skipInvalidRows=false: the valid rows are not inserted either and are reported as stopped.
      const failed = new Set(insertErrors.map((e) => e.index));
      rows.forEach((_, index) => {
        if (!failed.has(index))
          insertErrors.push({ index, errors: [{ reason: 'stopped', location: '', message: '' }] });
      });
      return Promise.resolve({ kind: 'bigquery#tableDataInsertAllResponse', insertErrors });
    }
    if (values.length === 0) return Promise.resolve({ kind: 'bigquery#tableDataInsertAllResponse' });
    return withConnection(async (c) => {
      try {
        await c.run(`INSERT INTO ${ident(datasetId)}.${ident(tableId)} VALUES ${values.join(', ')}`);
      } catch (error) {
        throw translateDuckError(error);
      }
      const expires = Date.now() + INSERT_ID_WINDOW_MS;
      for (const row of rows) if (row.insertId) seen.set(row.insertId, expires);
      return { kind: 'bigquery#tableDataInsertAllResponse' };
    });
  }

  return { runQuery, fetchObject, runLoad, insertJob, queryResults, insertAll };
}

export type Jobs = ReturnType<typeof createJobs>;
