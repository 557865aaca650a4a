/**
 * A wire-compatible test server for the Amazon Redshift Data API. No emulator of the Data API
 * exists, so this speaks its documented protocol (AWS JSON 1.1: `POST /` with
 * `X-Amz-Target: RedshiftData.<Operation>`) to the unmodified `@aws-sdk/client-redshift-data` and
 * executes the SQL on a real PostgreSQL engine (PGlite: Postgres compiled to WASM; Redshift is
 * Postgres-derived). `COPY … FROM 's3://…'` reads the objects from an S3 emulator.
 *
 * Operations: ExecuteStatement (named `:name` parameters), BatchExecuteStatement (one transaction,
 * sub-statement ids `<id>:<n>`), DescribeStatement, GetStatementResult (NextToken paging, typed
 * Field values), CancelStatement, ListStatements (MaxResults/NextToken paging, Status filter).
 *
 * Known divergences from Redshift (keep this list current):
 * - The engine is PostgreSQL 18 (PGlite), not Redshift: no distribution/sort keys, no leader-node-only
 *   functions, PostgreSQL's type inference for parameters, PostgreSQL's error texts.
 * - SUPER is a domain over JSONB; JSON_PARSE and GETDATE are SQL functions (JSON_SERIALIZE is PostgreSQL 18's own)
 *   defined at start-up. PartiQL navigation of SUPER values is not available.
 * - Statements run one at a time, immediately; the first DescribeStatement of each statement
 *   answers STARTED (so clients exercise their polling), later ones the real state.
 *   No queueing, no workload management, no concurrency limits, no sessions
 *   (SessionKeepAliveSeconds/SessionId are ignored).
 * - Credentials, SigV4 signatures, DbUser, SecretArn and IAM_ROLE are accepted without checks;
 *   Database is not used to pick a database (one database per server).
 * - GetStatementResult pages by a fixed row count (`pageRows`, default 1,000) instead of by
 *   the service's ~100 MB; ResultFormat CSV and GetStatementResultV2 are not implemented.
 * - COPY supports FROM 's3://bucket/prefix' (every object whose key starts with it) and
 *   MANIFEST; FORMAT AS PARQUET | CSV | JSON 'auto'; IGNOREHEADER n; DELIMITER for CSV. Other
 *   options are accepted and ignored. CSV and Parquet columns map by position, JSON by name
 *   (case-insensitive), as in Redshift. Parquet TIMESTAMP values keep millisecond precision only.
 * - Duration is measured around the engine call; ResultSize is the JSON size of the records.
 * - ListStatements lists every statement since the server started, in submission order (no 24-hour
 *   window); StatementName, RoleLevel and the target filters are ignored.
 * - SVV_TABLE_INFO is a view with the columns "table", schema, size and tbl_rows only: size is
 *   PostgreSQL's pg_total_relation_size in 1 MB blocks (rounded up), not Redshift's block count
 *   per column and slice.
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { PGlite } from '@electric-sql/pglite';
import { parquetReadObjects } from 'hyparquet';
import { type JsonHandler, serveAwsJson } from '../json-protocol.ts';
import {
  ApiError,
  field,
  numericPrecision,
  RAW_TEXT,
  SETUP_SQL,
  type Statement,
  type SubStatement,
  skipLines,
  TYPE_NAMES,
  toJson,
} from './model.ts';
import {
  bindNamedParameters,
  type CopyCommand,
  exactIntegers,
  parseCopy,
  quoteIdent,
  toText,
} from './sql.ts';

/** Parquet's GZIP pages, which Redshift's COPY reads as it reads Snappy (hyparquet decodes only Snappy itself). */
const PARQUET_DECOMPRESSORS = { GZIP: (input: Uint8Array) => gunzipSync(input) };

export interface RedshiftDataServerOptions {
  /** The S3 emulator COPY reads from. Without it COPY fails. */
  s3?: S3ClientConfig;
  /** Rows per GetStatementResult page. Default 1,000. */
  pageRows?: number;
}

export interface RedshiftDataServer {
  /** `http://127.0.0.1:<port>`: the Redshift Data client's endpoint. */
  endpoint: string;
  /** The engine, for oracles that check side effects without going through the Data API. */
  db: PGlite;
  stop(): Promise<void>;
}

export async function startRedshiftDataServer(
  options: RedshiftDataServerOptions = {},
): Promise<RedshiftDataServer> {
  const db = await PGlite.create();
  await db.exec(SETUP_SQL);
  const pageRows = options.pageRows ?? 1000;
  const s3 = options.s3 ? new S3Client(options.s3) : undefined;
  const statements = new Map<string, Statement>();
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  async function readObject(bucket: string, key: string): Promise<Uint8Array> {
    if (!s3) throw new Error('COPY needs the server to be started with an S3 endpoint');
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return response.Body!.transformToByteArray();
  }

  async function copySources(copy: CopyCommand): Promise<Array<{ bucket: string; key: string }>> {
    if (!s3) throw new Error('COPY needs the server to be started with an S3 endpoint');
    if (copy.manifest) {
      const manifest = JSON.parse(new TextDecoder().decode(await readObject(copy.bucket, copy.key))) as {
        entries: Array<{ url: string; mandatory?: boolean }>;
      };
      return manifest.entries.map((entry) => {
        const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(entry.url);
        if (!m) throw new Error(`manifest entry ${entry.url} is not an s3:// URL`);
        return { bucket: m[1]!, key: m[2]! };
      });
    }
    const keys: Array<{ bucket: string; key: string }> = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: copy.bucket, Prefix: copy.key, ContinuationToken: token }),
      );
      for (const entry of page.Contents ?? []) keys.push({ bucket: copy.bucket, key: entry.Key! });
      token = page.NextContinuationToken;
    } while (token);
    if (!keys.length)
      throw new Error(`S3ServiceException: The specified S3 prefix '${copy.key}' does not exist`);
    return keys;
  }

  async function targetColumns(
    tx: Pick<PGlite, 'query'>,
    copy: CopyCommand,
  ): Promise<Array<{ name: string; type: string }>> {
    const result = await tx.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [copy.table],
    );
    if (!copy.columns) return result.rows;
    const wanted = copy.columns.map((c) => c.replace(/^"|"$/g, '').replaceAll('""', '"'));
    return wanted.map((name) => {
      const column = result.rows.find((r) => r.name === name || r.name === name.toLowerCase());
      if (!column) throw new Error(`column "${name}" of relation "${copy.table}" does not exist`);
      return column;
    });
  }

  async function runCopy(tx: Pick<PGlite, 'query'>, copy: CopyCommand): Promise<number> {
    const columns = await targetColumns(tx, copy);
    let loaded = 0;
    for (const source of await copySources(copy)) {
      const data = await readObject(source.bucket, source.key);
      let rows: Array<Array<string | null>>;
      if (copy.format === 'csv') {
        const result = await tx.query(
          `COPY ${copy.table} (${columns.map((c) => quoteIdent(c.name)).join(', ')}) FROM '/dev/blob' WITH (FORMAT csv, DELIMITER '${copy.delimiter.replaceAll("'", "''")}')`,
          [],
          { blob: new Blob([skipLines(data, copy.ignoreHeader)]) },
        );
        loaded += result.affectedRows ?? 0;
        continue;
      }
      if (copy.format === 'json') {
        const lower = columns.map((c) => c.name.toLowerCase());
        rows = new TextDecoder()
          .decode(data)
          .split('\n')
          .filter((line) => line.trim())
          .map((line) => {
            const record = JSON.parse(line, exactIntegers) as Record<string, unknown>;
            const byLower = new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
            return lower.map((c) => toText(byLower.get(c)));
          });
      } else {
        const buffer = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
        // Redshift reads every Parquet codec; hyparquet decodes only Snappy itself.
        const records = await parquetReadObjects({ file: buffer, compressors: PARQUET_DECOMPRESSORS });
        // Parquet columns map to table columns by position, as in Redshift.
        rows = records.map((record) => {
          const values = Object.values(record);
          return columns.map((_, i) => toText(values[i]));
        });
      }
      loaded += await insertText(tx, copy.table, columns, rows);
    }
    return loaded;
  }

  async function insertText(
    tx: Pick<PGlite, 'query'>,
    table: string,
    columns: Array<{ name: string; type: string }>,
    rows: Array<Array<string | null>>,
  ): Promise<number> {
    const perStatement = Math.max(1, Math.floor(30_000 / Math.max(1, columns.length)));
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const values: Array<string | null> = [];
      const tuples = chunk.map((row) => {
        const placeholders = row.map((value, i) => {
          values.push(value);
          return `$${values.length}::${columns[i]!.type}`;
        });
        return `(${placeholders.join(', ')})`;
      });
      await tx.query(
        `INSERT INTO ${table} (${columns.map((c) => quoteIdent(c.name)).join(', ')}) VALUES ${tuples.join(', ')}`,
        values,
      );
    }
    return rows.length;
  }

  async function execute(tx: Pick<PGlite, 'query'>, sub: SubStatement, parameters?: Statement['parameters']) {
    const started = process.hrtime.bigint();
    try {
      const copy = parseCopy(sub.sql);
      if (copy) {
        sub.resultRows = await runCopy(tx, copy);
      } else {
        const bound = bindNamedParameters(sub.sql, parameters);
        const result = await tx.query<unknown[]>(bound.text, bound.values, {
          rowMode: 'array',
          parsers: RAW_TEXT,
        });
        if (result.fields.length) {
          sub.result = result;
          sub.resultRows = result.rows.length;
          sub.resultSize = Buffer.byteLength(JSON.stringify(result.rows));
        } else {
          sub.resultRows = result.affectedRows ?? 0;
        }
      }
      sub.status = 'FINISHED';
    } catch (error) {
      sub.status = 'FAILED';
      sub.error = error instanceof ApiError ? error.message : `ERROR: ${(error as Error).message}`;
      throw error;
    } finally {
      sub.durationNs = Number(process.hrtime.bigint() - started);
      sub.updatedAt = Date.now() / 1000;
    }
  }

  function newSub(id: string, sql: string): SubStatement {
    const now = Date.now() / 1000;
    return {
      id,
      sql,
      status: 'SUBMITTED',
      resultRows: -1,
      resultSize: 0,
      durationNs: 0,
      createdAt: now,
      updatedAt: now,
    };
  }

  function submit(input: Record<string, unknown>, sqls: string[], batch: boolean): Statement {
    if (!input.Database && !input.SecretArn)
      throw new ApiError('ValidationException', 'Database is required.');
    if (Boolean(input.WorkgroupName) === Boolean(input.ClusterIdentifier)) {
      throw new ApiError('ValidationException', 'Specify exactly one of ClusterIdentifier or WorkgroupName.');
    }
    const id = randomUUID();
    const parameters = input.Parameters as Statement['parameters'];
    if (parameters && batch)
      throw new ApiError('ValidationException', 'BatchExecuteStatement takes no Parameters.');
    if (parameters) bindNamedParameters(sqls[0]!, parameters);
    const statement: Statement = {
      ...newSub(id, sqls.join('; ')),
      ...(parameters ? { parameters } : {}),
      ...(batch ? { subs: sqls.map((sql, i) => newSub(`${id}:${i + 1}`, sql)) } : {}),
      described: 0,
      database: String(input.Database ?? 'dev'),
      target: input.WorkgroupName
        ? { WorkgroupName: String(input.WorkgroupName) }
        : { ClusterIdentifier: String(input.ClusterIdentifier) },
    };
    statements.set(id, statement);
    void serial(async () => {
      statement.status = 'STARTED';
      const started = process.hrtime.bigint();
      try {
        if (statement.subs) {
          await db.transaction(async (tx) => {
            for (const sub of statement.subs!) await execute(tx, sub);
          });
          for (const sub of statement.subs) if (sub.status === 'STARTED') sub.status = 'ABORTED';
          statement.status = 'FINISHED';
          statement.resultRows = statement.subs.at(-1)?.resultRows ?? -1;
        } else {
          await execute(db, statement, statement.parameters);
        }
      } catch {
        statement.status = 'FAILED';
        statement.error ??= statement.subs?.find((s) => s.error)?.error ?? 'ERROR: statement failed';
        for (const sub of statement.subs ?? []) if (sub.status !== 'FAILED') sub.status = 'ABORTED';
      } finally {
        statement.durationNs = Number(process.hrtime.bigint() - started);
        statement.updatedAt = Date.now() / 1000;
      }
    });
    return statement;
  }

  function find(id: unknown): { statement: Statement; sub: SubStatement } {
    const [base, subIndex] = String(id ?? '').split(':');
    const statement = statements.get(base ?? '');
    if (!statement) throw new ApiError('ResourceNotFoundException', `Query does not exist: ${String(id)}`);
    if (subIndex === undefined) return { statement, sub: statement };
    const sub = statement.subs?.[Number(subIndex) - 1];
    if (!sub) throw new ApiError('ResourceNotFoundException', `Query does not exist: ${String(id)}`);
    return { statement, sub };
  }

  function describe(sub: SubStatement) {
    return {
      Id: sub.id,
      Status: sub.status,
      QueryString: sub.sql,
      CreatedAt: sub.createdAt,
      UpdatedAt: sub.updatedAt,
      Duration: sub.status === 'FINISHED' || sub.status === 'FAILED' ? sub.durationNs : -1,
      ResultRows: sub.resultRows,
      ResultSize: sub.resultSize,
      HasResultSet: Boolean(sub.result),
      RedshiftQueryId: 0,
      ...(sub.error ? { Error: sub.error } : {}),
    };
  }

  const handlers: Record<string, JsonHandler> = {
    ExecuteStatement(input) {
      if (typeof input.Sql !== 'string' || !input.Sql)
        throw new ApiError('ValidationException', 'Sql is required.');
      const s = submit(input, [input.Sql], false);
      return { Id: s.id, CreatedAt: s.createdAt, Database: s.database, ...s.target };
    },
    BatchExecuteStatement(input) {
      const sqls = input.Sqls as string[] | undefined;
      if (!Array.isArray(sqls) || !sqls.length || sqls.length > 40) {
        throw new ApiError('ValidationException', 'Sqls must hold 1 to 40 statements.');
      }
      const s = submit(input, sqls, true);
      return { Id: s.id, CreatedAt: s.createdAt, Database: s.database, ...s.target };
    },
    DescribeStatement(input) {
      const { statement, sub } = find(input.Id);
      // The first answer is always STARTED, so every client goes through its polling loop.
      const view =
        statement.described++ === 0 && sub === statement
          ? { ...describe(sub), Status: 'STARTED' }
          : describe(sub);
      return {
        ...view,
        Database: statement.database,
        ...statement.target,
        ...(statement.parameters ? { QueryParameters: statement.parameters } : {}),
        ...(statement.subs && sub === statement ? { SubStatements: statement.subs.map(describe) } : {}),
        ...(statement.subs && sub === statement
          ? { HasResultSet: statement.subs.some((s) => s.result) }
          : {}),
      };
    },
    CancelStatement(input) {
      const { statement } = find(input.Id);
      const running = statement.status === 'SUBMITTED' || statement.status === 'STARTED';
      if (running) statement.status = 'ABORTED';
      return { Status: running };
    },
    ListStatements(input) {
      const max = input.MaxResults === undefined ? 100 : Number(input.MaxResults);
      if (!Number.isInteger(max) || max < 0 || max > 100)
        throw new ApiError('ValidationException', 'MaxResults must be between 0 and 100.');
      const status = String(input.Status ?? 'ALL');
      const offset = input.NextToken
        ? Number(Buffer.from(String(input.NextToken), 'base64url').toString())
        : 0;
      const matching = [...statements.values()].filter((s) => status === 'ALL' || s.status === status);
      const page = matching.slice(offset, offset + (max || 100));
      const next = offset + page.length < matching.length ? offset + page.length : undefined;
      return {
        Statements: page.map((s) => ({
          Id: s.id,
          Status: s.status,
          CreatedAt: s.createdAt,
          UpdatedAt: s.updatedAt,
          IsBatchStatement: Boolean(s.subs),
          ...(s.subs ? { QueryStrings: s.subs.map((sub) => sub.sql) } : { QueryString: s.sql }),
          ...(s.parameters ? { QueryParameters: s.parameters } : {}),
        })),
        ...(next !== undefined ? { NextToken: Buffer.from(String(next)).toString('base64url') } : {}),
      };
    },
    GetStatementResult(input) {
      const { sub } = find(input.Id);
      if (sub.status !== 'FINISHED') {
        throw new ApiError('ValidationException', `Query ${sub.id} has status ${sub.status}, not FINISHED.`);
      }
      if (!sub.result)
        throw new ApiError('ResourceNotFoundException', `Query ${sub.id} does not have a result.`);
      const offset = input.NextToken
        ? Number(Buffer.from(String(input.NextToken), 'base64url').toString())
        : 0;
      const fields = sub.result.fields;
      const rows = sub.result.rows.slice(offset, offset + pageRows);
      const next = offset + pageRows < sub.result.rows.length ? offset + pageRows : undefined;
      return {
        ColumnMetadata: fields.map((f) => ({
          name: f.name,
          label: f.name,
          typeName: TYPE_NAMES[f.dataTypeID] ?? 'varchar',
          ...numericPrecision(f),
          nullable: 1,
          isSigned: true,
        })),
        Records: rows.map((row) =>
          (row as Array<string | null>).map((value, i) => field(fields[i]!.dataTypeID, value)),
        ),
        TotalNumRows: sub.result.rows.length,
        ...(next !== undefined ? { NextToken: Buffer.from(String(next)).toString('base64url') } : {}),
      };
    },
  };

  const server = await serveAwsJson({ service: 'RedshiftData', handlers, toJson });
  return {
    endpoint: server.endpoint,
    db,
    async stop() {
      await server.close();
      await queue;
      s3?.destroy();
      await db.close();
    },
  };
}
