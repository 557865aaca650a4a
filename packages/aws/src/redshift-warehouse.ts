import {
  BatchExecuteStatementCommand,
  CancelStatementCommand,
  DescribeStatementCommand,
  type DescribeStatementCommandOutput,
  ExecuteStatementCommand,
  GetStatementResultCommand,
  RedshiftDataClient,
  type RedshiftDataClientConfig,
  type SqlParameter,
} from '@aws-sdk/client-redshift-data';
import {
  type BoundStatement,
  type ColumnType,
  DriverError,
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
  type Warehouse,
  type WarehouseCapabilities,
  type WarehouseDriver,
} from '@cloudmux/core';
import { codeOf, invalidArgument, PROVIDER, withCredentialsHint } from './errors.ts';
import { copyFromS3, type Executed } from './redshift/loader.ts';
import {
  columnTypeOf,
  exactLongs,
  fieldValue,
  placeholder,
  SQL_TYPES,
  sqlErrorCode,
} from './redshift/values.ts';

export interface RedshiftWarehouseOptions {
  /** A ready client; when given, `clientConfig` is ignored and `close()` leaves it open. */
  client?: RedshiftDataClient;
  /** Settings for the client created lazily on first use (region, endpoint, credentials, …). */
  clientConfig?: RedshiftDataClientConfig;
  /** Redshift Serverless workgroup (set this or `clusterIdentifier`). */
  workgroupName?: string | undefined;
  /** Provisioned cluster (set this or `workgroupName`). */
  clusterIdentifier?: string | undefined;
  /** Provisioned clusters: database user for temporary credentials. */
  dbUser?: string | undefined;
  /** Secrets Manager ARN with database credentials. */
  secretArn?: string | undefined;
  database: string;
  /** Schema for tables. Default `public`. */
  schema?: string;
  /** IAM role Redshift assumes to read S3 in COPY. Required for `loadFromObjects`. */
  iamRoleArn?: string | undefined;
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

    loadFromObjects: (table, load) =>
      copyFromS3({ iamRoleArn: options.iamRoleArn, tableRef, execute, executeBatch, stats }, table, load),

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
