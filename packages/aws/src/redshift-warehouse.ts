import { randomUUID } from 'node:crypto';
import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  type ColumnMetadata,
  DescribeStatementCommand,
  type DescribeStatementCommandOutput,
  ExecuteStatementCommand,
  type Field,
  GetStatementResultCommand,
  RedshiftDataClient,
  type RedshiftDataClientConfig,
  type SqlParameter,
} from '@aws-sdk/client-redshift-data';
import {
  type BoundStatement,
  type Column,
  type ColumnType,
  DriverError,
  type DriverLoadOptions,
  type ErrorCode,
  type LoadResult,
  type OperationSource,
  portableWarehouse,
  type QueryResult,
  type ResultColumn,
  type Row,
  redshiftDialect,
  reportUsage,
  rewriteNamedParameters,
  type StatementStats,
  type TableSchema,
  Timestamp,
  type TypedValue,
  timestampText,
  type Warehouse,
  type WarehouseCapabilities,
  type WarehouseDriver,
} from '@cloudmux/core';
import { codeOf, invalidArgument, PROVIDER, withCredentialsHint } from './errors.ts';

export interface RedshiftWarehouseOptions {
  /** A ready client; when given, `clientConfig` is ignored and `close()` leaves it open. */
  client?: RedshiftDataClient;
  /** Settings for the client created lazily on first use (region, endpoint, credentials, …). */
  clientConfig?: RedshiftDataClientConfig;
  /** Redshift Serverless workgroup (set this or `clusterIdentifier`). */
  workgroupName?: string;
  /** Provisioned cluster (set this or `workgroupName`). */
  clusterIdentifier?: string;
  /** Provisioned clusters: database user for temporary credentials. */
  dbUser?: string;
  /** Secrets Manager ARN with database credentials. */
  secretArn?: string;
  database: string;
  /** Schema for tables. Default `public`. */
  schema?: string;
  /** IAM role Redshift assumes to read S3 in COPY. Required for `loadFromObjects`. */
  iamRoleArn?: string;
  /** First DescribeStatement poll delay, doubled up to `maxPollIntervalMs`. Default 50. */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Cancel and fail with Timeout after this long. Default 15 minutes. */
  statementTimeoutMs?: number;
  /** Rows per SQL statement in `insertRows` (bounded further by the 100 KB SQL limit). Default 500. */
  insertBatchRows?: number;
  /** Where calls are metered (a `Meter`); unmetered when omitted (the registry adds its own). */
  meter?: OperationSource;
}

const CAPABILITIES: WarehouseCapabilities = {
  loadParquet: true,
  loadCsv: true,
  loadNdjson: true,
  loadReplace: true,
  // The Data API reports duration, rows and result size, not bytes scanned or billed.
  bytesScannedStats: false,
  bytesBilledStats: false,
  jsonType: true,
  decimalType: true,
  microsecondTimestamps: true,
};

const SQL_TYPES: Record<ColumnType, (c: Column) => string> = {
  string: () => 'VARCHAR(65535)',
  int64: () => 'BIGINT',
  float64: () => 'DOUBLE PRECISION',
  bool: () => 'BOOLEAN',
  timestamp: () => 'TIMESTAMP',
  date: () => 'DATE',
  decimal: (c) => `DECIMAL(${c.precision ?? 38}, ${c.scale ?? 9})`,
  json: () => 'SUPER',
};

/** information_schema / Data API type names → portable column types. */
function columnTypeOf(typeName: string | undefined): ColumnType | 'unknown' {
  const t = (typeName ?? '').toLowerCase();
  if (/^(int[248]?|bigint|integer|smallint)$/.test(t)) return 'int64';
  if (/^(float[48]?|double precision|real)$/.test(t)) return 'float64';
  if (/^(bool|boolean)$/.test(t)) return 'bool';
  if (/^(varchar|bpchar|char|text|character varying|character|name)$/.test(t)) return 'string';
  if (/^timestamp( without time zone)?$/.test(t) || t === 'timestamptz' || t === 'timestamp with time zone')
    return 'timestamp';
  if (t === 'date') return 'date';
  if (t === 'numeric' || t === 'decimal') return 'decimal';
  if (t === 'super' || t === 'jsonb' || t === 'json') return 'json';
  return 'unknown';
}

/** Redshift timestamps come as `YYYY-MM-DD HH:MM:SS[.ffffff][+00]`; kept to the microsecond. */
function parseTimestamp(text: string): Timestamp {
  const m =
    /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?)?/.exec(
      text,
    );
  if (!m) return Timestamp.fromDate(new Date(text));
  const seconds =
    BigInt(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))) /
    1000n;
  const micros = BigInt((m[7] ?? '').padEnd(6, '0') || '0');
  const offset = m[8] ? (m[8] === '-' ? -1n : 1n) * (BigInt(m[9]!) * 3600n + BigInt(m[10] ?? '0') * 60n) : 0n;
  return new Timestamp((seconds - offset) * 1_000_000n + micros);
}

function fieldValue(field: Field, column: ColumnMetadata | undefined): unknown {
  if (field.isNull) return null;
  const type = columnTypeOf(column?.typeName);
  if (field.longValue !== undefined) return BigInt(field.longValue);
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.blobValue !== undefined) return field.blobValue;
  const text = field.stringValue ?? '';
  switch (type) {
    case 'timestamp':
      return parseTimestamp(text);
    case 'json':
      return JSON.parse(text);
    case 'int64':
      return BigInt(text);
    case 'float64':
      return Number(text);
    default:
      return text;
  }
}

/** Maps a failed statement's database message to a code; the message itself is kept. */
function sqlErrorCode(message: string): ErrorCode {
  if (/permission denied/i.test(message)) return 'PermissionDenied';
  if (/already exists/i.test(message)) return 'AlreadyExists';
  if (/does not exist/i.test(message)) return 'NotFound';
  if (/could not serialize|deadlock|serializable isolation/i.test(message)) return 'Unavailable';
  return 'InvalidArgument';
}

interface Executed {
  id: string;
  description: DescribeStatementCommandOutput;
  durationMs: number;
}

export function createRedshiftWarehouse(options: RedshiftWarehouseOptions): Warehouse {
  return portableWarehouse(createRedshiftWarehouseDriver(options), { meter: options.meter });
}

export function createRedshiftWarehouseDriver(options: RedshiftWarehouseOptions): WarehouseDriver {
  if (Boolean(options.workgroupName) === Boolean(options.clusterIdentifier)) {
    throw invalidArgument('warehouse', 'create', 'set exactly one of workgroupName or clusterIdentifier');
  }
  if (!options.database) throw invalidArgument('warehouse', 'create', 'a database is required');
  const schema = options.schema ?? 'public';
  const pollStart = options.pollIntervalMs ?? 50;
  const pollMax = options.maxPollIntervalMs ?? 2000;
  const timeoutMs = options.statementTimeoutMs ?? 15 * 60_000;
  const insertBatchRows = options.insertBatchRows ?? 500;
  const ownsClient = !options.client;
  let client: RedshiftDataClient | undefined = options.client;
  const rsd = () => {
    client ??= withCredentialsHint(new RedshiftDataClient(options.clientConfig ?? {}), 'warehouse');
    return client;
  };
  const target = {
    Database: options.database,
    ...(options.workgroupName ? { WorkgroupName: options.workgroupName } : {}),
    ...(options.clusterIdentifier ? { ClusterIdentifier: options.clusterIdentifier } : {}),
    ...(options.dbUser ? { DbUser: options.dbUser } : {}),
    ...(options.secretArn ? { SecretArn: options.secretArn } : {}),
  };
  const q = redshiftDialect.quoteIdent;
  const tableRef = (table: string) => {
    return `${q(schema)}.${q(table)}`;
  };
  const columnCache = new Map<string, Array<{ name: string; type: ColumnType | 'unknown' }>>();

  /** Polls DescribeStatement with exponential backoff until the statement ends. */
  async function wait(id: string, started: number): Promise<DescribeStatementCommandOutput> {
    for (let delay = pollStart; ; delay = Math.min(delay * 2, pollMax)) {
      const description = await rsd().send(new DescribeStatementCommand({ Id: id }));
      switch (description.Status) {
        case 'FINISHED':
          return description;
        case 'FAILED': {
          const message = description.Error ?? 'statement failed';
          throw new DriverError(sqlErrorCode(message), { detail: message });
        }
        case 'ABORTED':
          throw new DriverError('Internal', { detail: `statement ${id} was aborted` });
      }
      if (Date.now() - started > timeoutMs) {
        await rsd()
          .send(new CancelStatementCommand({ Id: id }))
          .catch(() => undefined);
        throw new DriverError('Timeout', {
          detail: `statement ${id} did not finish within ${timeoutMs} ms (cancelled)`,
        });
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  function meter(description: DescribeStatementCommandOutput) {
    const durationMs = Math.max(0, (description.Duration ?? 0) / 1e6);
    reportUsage({
      bytesOut: Math.max(0, description.ResultSize ?? 0),
      units: {
        'redshift.statements': 1,
        'redshift.statement-ms': durationMs,
        'redshift.result-rows': Math.max(0, description.HasResultSet ? (description.ResultRows ?? 0) : 0),
        'redshift.result-bytes': Math.max(0, description.ResultSize ?? 0),
      },
    });
  }

  async function execute(sql: string, parameters: SqlParameter[]): Promise<Executed> {
    const started = Date.now();
    reportUsage({ bytesIn: Buffer.byteLength(sql) });
    const response = await rsd().send(
      new ExecuteStatementCommand({
        ...target,
        Sql: sql,
        ...(parameters.length ? { Parameters: parameters } : {}),
      }),
    );
    const id = response.Id!;
    const description = await wait(id, started);
    meter(description);
    return { id, description, durationMs: Date.now() - started };
  }

  async function executeBatch(sqls: string[]): Promise<Executed> {
    const started = Date.now();
    reportUsage({ bytesIn: sqls.reduce((n, s) => n + Buffer.byteLength(s), 0) });
    const response = await rsd().send(new BatchExecuteStatementCommand({ ...target, Sqls: sqls }));
    const id = response.Id!;
    const description = await wait(id, started);
    meter(description);
    return { id, description, durationMs: Date.now() - started };
  }

  function stats(executed: Executed): StatementStats {
    const rows = executed.description.ResultRows;
    return {
      durationMs: executed.durationMs,
      computeMs: Math.max(0, (executed.description.Duration ?? 0) / 1e6),
      statementId: executed.id,
      ...(rows !== undefined && rows >= 0 ? { rows } : {}),
    };
  }

  /** Result pages as the Data API returns them (GetStatementResult with NextToken). */
  async function* resultPages(id: string) {
    let token: string | undefined;
    do {
      const command = new GetStatementResultCommand({ Id: id, ...(token ? { NextToken: token } : {}) });
      command.middlewareStack.addRelativeTo(exactLongs, {
        relation: 'after',
        toMiddleware: 'deserializerMiddleware',
        name: 'cloudmuxExactLongs',
      });
      const page = await rsd().send(command);
      const metadata = page.ColumnMetadata ?? [];
      const columns: ResultColumn[] = metadata.map((c) => ({
        name: c.name ?? '',
        type: columnTypeOf(c.typeName),
      }));
      const rows = (page.Records ?? []).map((record) => {
        const row: Row = {};
        record.forEach((field, i) => {
          row[columns[i]?.name ?? `column${i}`] = fieldValue(field, metadata[i]);
        });
        return row;
      });
      yield { columns, rows };
      token = page.NextToken;
    } while (token);
  }

  /** `@name` → `:name`, cast to the typed value's SQL type (Data API parameters are all text). */
  function compile(statement: BoundStatement): { sql: string; parameters: SqlParameter[] } {
    const parameters: SqlParameter[] = [];
    const placeholders = new Map<string, string>();
    for (const [name, value] of statement.parameters) {
      placeholders.set(name, placeholder(value, name, parameters));
    }
    const text = rewriteNamedParameters(
      statement.sql,
      (name) => placeholders.get(name) ?? `:${name}`,
      redshiftDialect.parameterSyntax,
    );
    return { sql: text, parameters };
  }

  async function tableColumns(table: string) {
    const cached = columnCache.get(table);
    if (cached) return cached;
    const executed = await execute(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = :schema AND table_name = :table ORDER BY ordinal_position',
      [
        { name: 'schema', value: schema },
        { name: 'table', value: table },
      ],
    );
    const columns: Array<{ name: string; type: ColumnType | 'unknown' }> = [];
    for await (const page of resultPages(executed.id)) {
      for (const row of page.rows) {
        columns.push({ name: String(row.column_name), type: columnTypeOf(String(row.data_type)) });
      }
    }
    if (columns.length) columnCache.set(table, columns);
    return columns;
  }

  const driver: WarehouseDriver = {
    provider: PROVIDER,
    capabilities: CAPABILITIES,
    dialect: redshiftDialect,
    errorCode: codeOf,
    native: rsd,

    async ensureTable(table, tableSchema: TableSchema) {
      const existing = await tableColumns(table);
      if (existing.length) {
        const same =
          existing.length === tableSchema.columns.length &&
          tableSchema.columns.every(
            (c, i) => existing[i]?.name === c.name.toLowerCase() && existing[i]?.type === c.type,
          );
        if (!same) {
          throw new DriverError('InvalidArgument', {
            detail: `table ${table} exists with other columns (${existing.map((c) => `${c.name} ${c.type}`).join(', ')})`,
          });
        }
        return;
      }
      const columns = tableSchema.columns.map(
        (c) => `${q(c.name)} ${SQL_TYPES[c.type](c)}${c.nullable === false ? ' NOT NULL' : ''}`,
      );
      await execute(`CREATE TABLE IF NOT EXISTS ${tableRef(table)} (${columns.join(', ')})`, []);
      columnCache.delete(table);
    },

    async describeTable(table) {
      const columns = await tableColumns(table);
      return columns.length ? columns : undefined;
    },

    async insertRows(table, columns, rows) {
      const names = columns.map((c) => c.name);
      let inserted = 0;
      for (let start = 0; start < rows.length; ) {
        const parameters: SqlParameter[] = [];
        const tuples: string[] = [];
        let size = 0;
        let index = start;
        // The Data API caps SQL text at 100 KB; stay well below with the parameters' share too.
        for (; index < rows.length && index - start < insertBatchRows && size < 60_000; index++) {
          const before = parameters.length;
          const tuple = `(${rows[index]!.map((value) => placeholder(value, `p${parameters.length}`, parameters)).join(', ')})`;
          for (let p = before; p < parameters.length; p++) {
            size += parameters[p]!.value!.length + parameters[p]!.name!.length;
          }
          size += tuple.length;
          tuples.push(tuple);
        }
        const executed = await execute(
          `INSERT INTO ${tableRef(table)} (${names.map(q).join(', ')}) VALUES ${tuples.join(', ')}`,
          parameters,
        );
        inserted += Math.max(0, executed.description.ResultRows ?? tuples.length);
        start = index;
      }
      return inserted;
    },

    async loadFromObjects(table, load: DriverLoadOptions): Promise<LoadResult> {
      if (!options.iamRoleArn) {
        throw new DriverError('InvalidArgument', {
          detail:
            'loadFromObjects needs providers.aws.redshift.iamRoleArn (the role COPY assumes to read S3)',
        });
      }
      if (!load.source.uriOf('x').startsWith('s3://')) {
        throw new DriverError('InvalidArgument', {
          detail: 'Redshift COPY reads from S3: the source must be an S3 store',
        });
      }
      const format = {
        parquet: 'FORMAT AS PARQUET',
        csv: "FORMAT AS CSV IGNOREHEADER 1 TIMEFORMAT 'auto'",
        ndjson: "FORMAT AS JSON 'auto' TIMEFORMAT 'auto'",
      }[load.format];
      const files = load.keys.length;
      let from: string;
      let manifestKey: string | undefined;
      if (load.prefix === undefined) {
        // Exact keys need a manifest: a plain S3 path in COPY is a prefix and could match more.
        manifestKey = `.cloudmux/manifests/${randomUUID()}.manifest`;
        const manifest = {
          entries: load.keys.map((key) => ({ url: load.source.uriOf(key), mandatory: true })),
        };
        await load.source.put(manifestKey, JSON.stringify(manifest), { contentType: 'application/json' });
        from = `'${load.source.uriOf(manifestKey).replaceAll("'", "''")}' MANIFEST`;
      } else {
        // The portable layer listed the prefix (and refused an empty one); COPY reads it natively.
        from = `'${load.source.uriOf(load.prefix).replaceAll("'", "''")}'`;
      }
      const copy = `COPY ${tableRef(table)} FROM ${from} IAM_ROLE '${options.iamRoleArn.replaceAll("'", "''")}' ${format}`;
      try {
        // Replace deletes and loads in one transaction (TRUNCATE would commit on its own in Redshift).
        const executed =
          load.mode === 'replace'
            ? await executeBatch([`DELETE FROM ${tableRef(table)}`, copy])
            : await execute(copy, []);
        const copied =
          load.mode === 'replace'
            ? (executed.description.SubStatements?.at(-1)?.ResultRows ?? 0)
            : (executed.description.ResultRows ?? 0);
        return {
          rowsLoaded: Math.max(0, copied),
          files,
          stats: { ...stats(executed), rows: Math.max(0, copied) },
        };
      } finally {
        if (manifestKey) await load.source.delete(manifestKey);
      }
    },

    async query(statement): Promise<QueryResult> {
      const bound = compile(statement);
      const executed = await execute(bound.sql, bound.parameters);
      const rows: Row[] = [];
      let columns: ResultColumn[] = [];
      if (executed.description.HasResultSet) {
        for await (const page of resultPages(executed.id)) {
          columns = page.columns;
          rows.push(...page.rows);
        }
      }
      return { columns, rows, stats: stats(executed) };
    },

    async *queryPages(statement, pageSize) {
      const bound = compile(statement);
      const executed = await execute(bound.sql, bound.parameters);
      const statementStats = stats(executed);
      if (!executed.description.HasResultSet) {
        yield { columns: [], rows: [], stats: statementStats };
        return;
      }
      let buffer: Row[] = [];
      let columns: ResultColumn[] = [];
      for await (const page of resultPages(executed.id)) {
        columns = page.columns;
        buffer.push(...page.rows);
        while (buffer.length >= pageSize) {
          yield { columns, rows: buffer.slice(0, pageSize), stats: statementStats };
          buffer = buffer.slice(pageSize);
        }
      }
      if (buffer.length || !statementStats.rows) yield { columns, rows: buffer, stats: statementStats };
    },

    async dropTable(table) {
      await execute(`DROP TABLE IF EXISTS ${tableRef(table)}`, []);
      columnCache.delete(table);
    },

    async close() {
      if (ownsClient) client?.destroy();
      client = undefined;
    },
  };
  return driver;
}

/**
 * The Data API writes BIGINT values as JSON numbers (`longValue`), which JSON.parse rounds beyond
 * 2^53. Before the SDK parses a GetStatementResult response, long integers of 16+ digits are
 * rewritten as `stringValue`, which `fieldValue` turns into an exact bigint for int64 columns.
 */
type ResultMiddleware = Parameters<GetStatementResultCommand['middlewareStack']['addRelativeTo']>[0];
const exactLongs: ResultMiddleware = ((next: (args: unknown) => Promise<{ response: unknown }>) =>
  async (args: unknown) => {
    const result = await next(args);
    const response = result.response as { body?: unknown };
    const body = response.body;
    if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
      const chunks: Buffer[] = [];
      for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
      const text = Buffer.concat(chunks).toString('utf8');
      response.body = Buffer.from(text.replace(/"longValue"\s*:\s*(-?\d{16,})/g, '"stringValue":"$1"'));
    }
    return result;
  }) as unknown as ResultMiddleware;

function sqlType(type: ColumnType): string {
  return SQL_TYPES[type]({ name: '', type });
}

/** Decimal parameters keep their own scale (the column default of 9 would round finer values). */
const decimalType = (text: string) => `DECIMAL(38, ${Math.min(/\.(\d+)/.exec(text)?.[1]?.length ?? 0, 37)})`;

/**
 * The SQL for one typed value, pushing its text parameter onto `parameters` when it has one. Data
 * API parameters are strings (an empty one is refused, so the empty string is a literal), cast to
 * the value's type; timestamps travel as UTC text with six fractional digits.
 */
function placeholder(value: TypedValue, name: string, parameters: SqlParameter[]): string {
  if (value.value === null) {
    return value.type === 'bytes' ? 'CAST(NULL AS VARBYTE)' : `CAST(NULL AS ${sqlType(value.type)})`;
  }
  const bind = (text: string, wrap: (p: string) => string) => {
    if (text === '') return wrap("''");
    parameters.push({ name, value: text });
    return wrap(`:${name}`);
  };
  switch (value.type) {
    case 'string':
      return bind(value.value, (p) => p);
    case 'int64':
      return bind(value.value.toString(), (p) => `CAST(${p} AS BIGINT)`);
    case 'float64':
      return bind(String(value.value), (p) => `CAST(${p} AS DOUBLE PRECISION)`);
    case 'bool':
      return bind(String(value.value), (p) => `CAST(${p} AS BOOLEAN)`);
    case 'timestamp':
      return bind(timestampText(value.value), (p) => `CAST(${p} AS TIMESTAMP)`);
    case 'date':
      return bind(value.value, (p) => `CAST(${p} AS DATE)`);
    case 'decimal': {
      const type = decimalType(value.value);
      return bind(value.value, (p) => `CAST(${p} AS ${type})`);
    }
    case 'json':
      return bind(value.value, (p) => `JSON_PARSE(${p})`);
    case 'bytes':
      return bind(Buffer.from(value.value).toString('hex'), (p) => `FROM_HEX(${p})`);
  }
}
