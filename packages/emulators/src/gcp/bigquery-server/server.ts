/**
 * A wire-compatible BigQuery test server: the REST API v2 the Node client (`@google-cloud/bigquery`)
 * speaks, executing on DuckDB. Datasets are DuckDB schemas; tables keep their BigQuery schema
 * beside the DuckDB table; query jobs run GoogleSQL translated to DuckDB; load jobs read `gs://`
 * objects from the fake-gcs-server given at start.
 *
 * Endpoints: datasets insert/get/delete; tables insert/get/delete; tabledata.insertAll and
 * tabledata.list; jobs.insert (query and load), jobs.get, jobs.getQueryResults (paging with
 * maxResults/pageToken, `formatOptions.useInt64Timestamp`), jobs.query.
 *
 * Known divergences from the real service:
 * - Jobs run synchronously inside jobs.insert; there is no PENDING/RUNNING state, no job
 *   cancellation, no query cache, no dry runs, no sessions, no scripting, no DML statistics.
 * - GoogleSQL is translated, not implemented: backtick identifiers (`dataset.table` split at dots),
 *   '…'/"…" string literals with backslash escapes, @named parameters, the types INT64, FLOAT64,
 *   BOOL, STRING, NUMERIC, BIGNUMERIC, JSON in casts, and the functions COUNTIF, TIMESTAMP_TRUNC,
 *   DATE, APPROX_QUANTILES(x, n)[OFFSET(k)], PERCENTILE_CONT(x, p) (as quantile_cont) are mapped; everything else is passed to DuckDB as is,
 *   so DuckDB-only syntax runs here and some GoogleSQL fails with invalidQuery.
 * - NUMERIC and BIGNUMERIC are both DECIMAL(38, 9) (BigQuery's BIGNUMERIC is wider); positional
 *   parameters, ARRAY/STRUCT/GEOGRAPHY/INTERVAL/DATETIME/TIME parameters are not supported.
 * - totalBytesProcessed is estimated from the referenced tables' full row sizes with BigQuery's
 *   per-type widths (the real service counts only the referenced columns); totalBytesBilled
 *   applies the 10 MB minimum per referenced table and rounds up to the MB; totalSlotMs is the
 *   wall time of the DuckDB statement.
 * - Streaming inserts are visible at once (no streaming buffer); a row whose insertId the table
 *   saw in the last minute is dropped, as BigQuery's best-effort deduplication does (the client
 *   retries insertAll with the same ids after a lost reply); a request with an invalid row inserts
 *   nothing (as skipInvalidRows=false).
 * - Load jobs support CSV (header via skipLeadingRows, empty field = NULL), NEWLINE_DELIMITED_JSON
 *   and PARQUET into existing tables with WRITE_APPEND/WRITE_TRUNCATE/WRITE_EMPTY; no autodetect,
 *   no schema updates, no wildcard URIs, no compression options.
 * - No IAM, authentication, quotas, rate limits, table expiration, partitioning or clustering.
 */
import '../offline.ts';

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBType } from '@duckdb/node-api';

interface BqField {
  name: string;
  type: string;
  mode?: string;
  precision?: string;
  scale?: string;
}

interface TableMeta {
  fields: BqField[];
  created: number;
}

interface QueryJobResult {
  fields: BqField[];
  /** Wire values per row (strings or null), already formatted with int64 timestamps. */
  rows: Array<Array<string | null>>;
}

interface Job {
  resource: Record<string, unknown>;
  result?: QueryJobResult;
  error?: BqError;
}

class BqError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

const MB = 1024 * 1024;
/** How long an insertId deduplicates later rows (BigQuery documents "at least one minute"). */
const INSERT_ID_WINDOW_MS = 60_000;

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  500: 'INTERNAL',
};

/** BigQuery type (legacy names included) → canonical GoogleSQL name. */
function canonicalType(type: string): string {
  const t = type.toUpperCase();
  if (t === 'INTEGER') return 'INT64';
  if (t === 'FLOAT') return 'FLOAT64';
  if (t === 'BOOLEAN') return 'BOOL';
  return t;
}

function duckType(field: Pick<BqField, 'type'>): string {
  switch (canonicalType(field.type)) {
    case 'INT64':
      return 'BIGINT';
    case 'FLOAT64':
      return 'DOUBLE';
    case 'BOOL':
      return 'BOOLEAN';
    case 'STRING':
      return 'VARCHAR';
    case 'TIMESTAMP':
      return 'TIMESTAMP';
    case 'DATE':
      return 'DATE';
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return 'DECIMAL(38, 9)';
    case 'JSON':
      return 'JSON';
    case 'BYTES':
      return 'BLOB';
    default:
      throw new BqError(400, 'invalid', `unsupported type ${field.type}`);
  }
}

function bqTypeOf(type: DuckDBType): string {
  const name = String(type);
  if ((type as { alias?: string }).alias === 'JSON') return 'JSON';
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT)$/.test(name))
    return 'INT64';
  if (/^(DOUBLE|FLOAT)$/.test(name)) return 'FLOAT64';
  if (name === 'BOOLEAN') return 'BOOL';
  if (name.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  if (name === 'DATE') return 'DATE';
  if (name.startsWith('DECIMAL')) return 'NUMERIC';
  if (name === 'BLOB') return 'BYTES';
  return 'STRING';
}

/** Bytes per value as BigQuery's pricing counts them. */
function valueBytes(type: string, value: string | null): number {
  if (value === null) return 0;
  switch (canonicalType(type)) {
    case 'BOOL':
      return 1;
    case 'NUMERIC':
      return 16;
    case 'BIGNUMERIC':
      return 32;
    case 'STRING':
    case 'JSON':
    case 'BYTES':
      return 2 + Buffer.byteLength(value);
    default:
      return 8;
  }
}

/** A DuckDB value → BigQuery's wire text (TIMESTAMP as int64 microseconds). */
function wireValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && value !== null && 'micros' in value) {
    return String((value as { micros: bigint }).micros);
  }
  return String(value);
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Normalises a timestamp literal to DuckDB's `YYYY-MM-DD HH:MM:SS.ffffff` in UTC. */
function timestampText(value: unknown): string {
  if (typeof value === 'number') {
    const micros = BigInt(Math.round(value * 1e6));
    return microsToText(micros);
  }
  const text = String(value).trim();
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d{1,9})?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/i.exec(
    text,
  );
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return `${text} 00:00:00`;
    throw new BqError(400, 'invalid', `Could not parse '${text}' as a timestamp`);
  }
  const time = (m[2] as string).length === 5 ? `${m[2]}:00` : (m[2] as string);
  const fraction = (m[3] ?? '').slice(0, 7);
  const zone = m[4];
  if (zone && !/^(Z|UTC|[+-]00:?00)$/i.test(zone)) {
    const ms = Date.parse(
      `${m[1]}T${time}${fraction.slice(0, 4)}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`,
    );
    if (Number.isNaN(ms)) throw new BqError(400, 'invalid', `Could not parse '${text}' as a timestamp`);
    const extra = BigInt((fraction.slice(4) || '0').padEnd(3, '0'));
    return microsToText(BigInt(ms) * 1000n + extra);
  }
  return `${m[1]} ${time}${fraction}`;
}

function microsToText(micros: bigint): string {
  const ms = Number((micros - (((micros % 1000n) + 1000n) % 1000n)) / 1000n);
  const rest = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${rest.toString().padStart(6, '0')}`;
}

/** A typed SQL literal for a JSON-API value of a column or parameter type. */
function literal(type: string, value: unknown): string {
  if (value === null || value === undefined) return `CAST(NULL AS ${duckType({ type })})`;
  const t = canonicalType(type);
  switch (t) {
    case 'INT64': {
      const text = String(value);
      if (!/^-?\d+$/.test(text))
        throw new BqError(400, 'invalid', `Cannot convert value to integer: ${text}`);
      return `CAST(${sqlString(text)} AS BIGINT)`;
    }
    case 'FLOAT64': {
      const text = String(value);
      if (!/^(-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|NaN|-?Infinity|-?inf)$/.test(text)) {
        throw new BqError(400, 'invalid', `Cannot convert value to floating point: ${text}`);
      }
      return `CAST(${sqlString(text)} AS DOUBLE)`;
    }
    case 'BOOL': {
      const text = String(value).toLowerCase();
      if (text !== 'true' && text !== 'false')
        throw new BqError(400, 'invalid', `Cannot convert value to boolean`);
      return text;
    }
    case 'TIMESTAMP':
      return `CAST(${sqlString(timestampText(value))} AS TIMESTAMP)`;
    case 'DATE': {
      const text = String(value);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text))
        throw new BqError(400, 'invalid', `Could not parse '${text}' as a date`);
      return `CAST(${sqlString(text)} AS DATE)`;
    }
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return `CAST(${sqlString(String(value))} AS DECIMAL(38, 9))`;
    case 'JSON':
      return `CAST(${sqlString(typeof value === 'string' ? value : JSON.stringify(value))} AS JSON)`;
    case 'STRING':
      return sqlString(typeof value === 'string' ? value : JSON.stringify(value));
    default:
      throw new BqError(400, 'invalid', `unsupported type ${type}`);
  }
}

const TYPE_WORDS: Record<string, string> = {
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
  NUMERIC: 'DECIMAL(38, 9)',
  BIGNUMERIC: 'DECIMAL(38, 9)',
  BOOL: 'BOOLEAN',
  STRING: 'VARCHAR',
};
const UNIT_WORDS = new Set([
  'MICROSECOND',
  'MILLISECOND',
  'SECOND',
  'MINUTE',
  'HOUR',
  'DAY',
  'WEEK',
  'MONTH',
  'QUARTER',
  'YEAR',
]);

/**
 * GoogleSQL → DuckDB. Walks the text once so literals, comments and quoted identifiers are never
 * rewritten; parameters become typed literals (values are escaped, never spliced raw).
 */
export function translateSql(sql: string, parameter: (name: string) => string): string {
  let out = '';
  let i = 0;
  let lastWord = '';
  while (i < sql.length) {
    const ch = sql[i] as string;
    if (ch === "'" || ch === '"') {
      const triple = sql.startsWith(ch.repeat(3), i);
      const close = triple ? ch.repeat(3) : ch;
      let j = i + close.length;
      let text = '';
      while (j < sql.length && !sql.startsWith(close, j)) {
        if (sql[j] === '\\' && j + 1 < sql.length) {
          const next = sql[j + 1] as string;
          text += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
          j += 2;
        } else {
          text += sql[j];
          j++;
        }
      }
      if (j >= sql.length) throw new BqError(400, 'invalidQuery', 'Syntax error: Unclosed string literal');
      out += sqlString(text);
      i = j + close.length;
      lastWord = '';
    } else if (ch === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end === -1) throw new BqError(400, 'invalidQuery', 'Syntax error: Unclosed identifier literal');
      const parts = sql.slice(i + 1, end).split('.');
      // project.dataset.table → dataset.table (one project per server).
      out += (parts.length === 3 ? parts.slice(1) : parts)
        .map((p) => `"${p.replaceAll('"', '""')}"`)
        .join('.');
      i = end + 1;
      lastWord = '';
    } else if (ch === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (ch === '#') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      out += ' ';
    } else if (ch === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      let end = i + 1;
      while (end < sql.length && /\w/.test(sql[end] as string)) end++;
      out += parameter(sql.slice(i + 1, end));
      i = end;
      lastWord = '';
    } else if (/[A-Za-z_]/.test(ch)) {
      let end = i;
      while (end < sql.length && /\w/.test(sql[end] as string)) end++;
      const word = sql.slice(i, end);
      const upper = word.toUpperCase();
      if (TYPE_WORDS[upper] && lastWord === 'AS') out += TYPE_WORDS[upper];
      else if (upper === 'COUNTIF') out += 'count_if';
      // BigQuery's PERCENTILE_CONT(x, p) OVER (…) is DuckDB's quantile_cont(x, p) OVER (…).
      else if (upper === 'PERCENTILE_CONT' && sql[end] === '(') out += 'quantile_cont';
      else if (upper === 'DATE' && sql[end] === '(') out += 'bq_date';
      else if (UNIT_WORDS.has(upper) && /^\s*\)/.test(sql.slice(end)) && /,\s*$/.test(out))
        out += `'${word.toLowerCase()}'`;
      else out += word;
      lastWord = upper;
      i = end;
    } else if (ch === '[' && /^\[\s*(SAFE_)?OFFSET\s*\(\s*(\d+)\s*\)\s*\]/i.test(sql.slice(i))) {
      const m = /^\[\s*(SAFE_)?OFFSET\s*\(\s*(\d+)\s*\)\s*\]/i.exec(sql.slice(i)) as RegExpExecArray;
      out += `[${Number(m[2]) + 1}]`;
      i += m[0].length;
    } else {
      out += ch;
      if (!/\s/.test(ch)) lastWord = '';
      i++;
    }
  }
  return out;
}

const MACROS = [
  'CREATE OR REPLACE MACRO timestamp_trunc(x, u) AS date_trunc(u, x)',
  'CREATE OR REPLACE MACRO bq_date(x) AS CAST(x AS DATE)',
  'CREATE OR REPLACE MACRO approx_quantiles(x, n) AS quantile_disc(x, list_transform(range(n + 1), i -> i / n))',
];

function translateDuckError(error: unknown): BqError {
  const message = error instanceof Error ? error.message : String(error);
  if (/^Catalog Error: (Table|Schema) with name/i.test(message)) {
    return new BqError(404, 'notFound', `Not found: ${message.split('\n')[0]}`);
  }
  if (/^(Parser|Binder|Catalog|Conversion|Invalid Input|Constraint|Not implemented) Error/i.test(message)) {
    return new BqError(
      400,
      message.startsWith('Conversion') ? 'invalid' : 'invalidQuery',
      message.split('\n')[0] ?? message,
    );
  }
  return new BqError(500, 'internalError', message.split('\n')[0] ?? message);
}

export interface BigQueryServerOptions {
  /** fake-gcs-server endpoint load jobs read `gs://` URIs from. */
  gcsEndpoint?: string;
}

export interface BigQueryServer {
  /** `http://127.0.0.1:<port>`: the client's apiEndpoint. */
  endpoint: string;
  stop(): Promise<void>;
}

export async function startBigQueryServer(options: BigQueryServerOptions = {}): Promise<BigQueryServer> {
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

  async function route(method: string, path: string, query: URLSearchParams, body: Record<string, unknown>) {
    const parts = path
      .replace(/^\/bigquery\/v2\//, '')
      .split('/')
      .map(decodeURIComponent);
    if (parts[0] !== 'projects' || !parts[1]) throw new BqError(404, 'notFound', `no route for ${path}`);
    const project = parts[1];
    const [, , collection, id, sub, subId, action] = parts;
    if (collection === 'datasets') {
      if (!id) {
        if (method === 'POST') {
          const datasetId = String(
            (body.datasetReference as { datasetId?: string } | undefined)?.datasetId ?? '',
          );
          if (!/^\w{1,1024}$/.test(datasetId)) throw new BqError(400, 'invalid', 'invalid dataset id');
          if (datasets.has(datasetId))
            throw new BqError(409, 'duplicate', `Already Exists: Dataset ${project}:${datasetId}`);
          await withConnection((c) => c.run(`CREATE SCHEMA ${ident(datasetId)}`));
          const location = String(body.location ?? 'US');
          datasets.set(datasetId, { location, created: Date.now(), tables: new Map() });
          return {
            kind: 'bigquery#dataset',
            id: `${project}:${datasetId}`,
            datasetReference: { projectId: project, datasetId },
            location,
          };
        }
        if (method === 'GET')
          return {
            datasets: [...datasets.keys()].map((d) => ({
              datasetReference: { projectId: project, datasetId: d },
            })),
          };
      } else if (!sub) {
        const ds = dataset(id);
        if (method === 'GET')
          return {
            kind: 'bigquery#dataset',
            id: `${project}:${id}`,
            datasetReference: { projectId: project, datasetId: id },
            location: ds.location,
          };
        if (method === 'DELETE') {
          if (ds.tables.size > 0 && query.get('deleteContents') !== 'true') {
            throw new BqError(400, 'resourceInUse', `Dataset ${project}:${id} is still in use`);
          }
          await withConnection((c) => c.run(`DROP SCHEMA ${ident(id)} CASCADE`));
          datasets.delete(id);
          return undefined;
        }
      } else if (sub === 'tables') {
        const ds = dataset(id);
        if (!subId && method === 'POST') {
          const tableId = String((body.tableReference as { tableId?: string } | undefined)?.tableId ?? '');
          if (!/^[\w-]{1,1024}$/.test(tableId)) throw new BqError(400, 'invalid', 'invalid table id');
          if (ds.tables.has(tableId))
            throw new BqError(409, 'duplicate', `Already Exists: Table ${project}:${id}.${tableId}`);
          const fields = ((body.schema as { fields?: BqField[] } | undefined)?.fields ?? []).map((f) => ({
            ...f,
            type: canonicalType(f.type),
            mode: f.mode ?? 'NULLABLE',
          }));
          if (fields.length === 0) throw new BqError(400, 'invalid', 'a table needs a schema');
          const columns = fields.map(
            (f) => `${ident(f.name)} ${duckType(f)}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}`,
          );
          await withConnection((c) =>
            c.run(`CREATE TABLE ${ident(id)}.${ident(tableId)} (${columns.join(', ')})`),
          );
          const meta = { fields, created: Date.now() };
          ds.tables.set(tableId, meta);
          return tableResource(project, id, tableId, meta, 0);
        }
        if (subId && !action) {
          const meta = table(id, subId);
          if (method === 'GET') {
            const count = await withConnection((c) =>
              c.runAndReadAll(`SELECT COUNT(*) FROM ${ident(id)}.${ident(subId)}`),
            );
            return tableResource(project, id, subId, meta, Number(count.getRows()[0]?.[0] ?? 0));
          }
          if (method === 'DELETE') {
            await withConnection((c) => c.run(`DROP TABLE ${ident(id)}.${ident(subId)}`));
            ds.tables.delete(subId);
            return undefined;
          }
        }
        if (subId && action === 'insertAll' && method === 'POST') return insertAll(id, subId, body);
        if (subId && action === 'data' && method === 'GET') {
          const meta = table(id, subId);
          const job = await insertJob(project, {
            configuration: { query: { query: `SELECT * FROM \`${id}.${subId}\`` } },
          });
          const page = queryResults(job, query) as { rows: unknown; totalRows: string; pageToken?: string };
          return {
            kind: 'bigquery#tableDataList',
            rows: page.rows,
            totalRows: page.totalRows,
            ...(page.pageToken ? { pageToken: page.pageToken } : {}),
            schema: { fields: meta.fields },
          };
        }
      }
    } else if (collection === 'jobs') {
      if (!id && method === 'POST') return (await insertJob(project, body)).resource;
      if (id && method === 'GET') {
        const job = jobs.get(id);
        if (!job) throw new BqError(404, 'notFound', `Not found: Job ${project}:${id}`);
        return job.resource;
      }
    } else if (collection === 'queries') {
      if (!id && method === 'POST') {
        const job = await insertJob(project, {
          jobReference: { location: body.location },
          configuration: {
            query: {
              query: body.query,
              useLegacySql: body.useLegacySql,
              defaultDataset: body.defaultDataset,
              queryParameters: body.queryParameters,
              parameterMode: body.parameterMode,
            },
          },
        });
        const params = new URLSearchParams();
        if (body.maxResults !== undefined) params.set('maxResults', String(body.maxResults));
        return queryResults(job, params);
      }
      if (id && method === 'GET') {
        const job = jobs.get(id);
        if (!job) throw new BqError(404, 'notFound', `Not found: Job ${project}:${id}`);
        return queryResults(job, query);
      }
    }
    throw new BqError(404, 'notFound', `no route for ${method} ${path}`);
  }

  const readBody = async (request: IncomingMessage): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return {};
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new BqError(400, 'parseError', 'request body is not JSON');
    }
  };

  const send = (response: ServerResponse, status: number, payload: unknown) => {
    if (payload === undefined) {
      response.writeHead(status === 200 ? 204 : status).end();
      return;
    }
    const text = JSON.stringify(payload);
    response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(text);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    readBody(request)
      .then((body) => route(request.method ?? 'GET', url.pathname, url.searchParams, body))
      .then((payload) => send(response, 200, payload))
      .catch((error: unknown) => {
        const e = error instanceof BqError ? error : new BqError(500, 'internalError', String(error));
        send(response, e.status, {
          error: {
            code: e.status,
            message: e.message,
            errors: [{ message: e.message, domain: 'global', reason: e.reason }],
            status: STATUS_NAMES[e.status] ?? 'UNKNOWN',
          },
        });
      });
  });
  const port = await new Promise<number>((resolvePort) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolvePort(typeof address === 'object' && address ? address.port : 0);
    }),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      await new Promise<void>((resolveStop) => server.close(() => resolveStop()));
      server.closeAllConnections();
      instance.closeSync();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
