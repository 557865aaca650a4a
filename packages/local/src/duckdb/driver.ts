/**
 * The part of the DuckDB warehouse that executes: one database instance, a small pool of
 * connections, `@name` parameters compiled to DuckDB's `$name`, results read column-wise.
 *
 * A DuckDB database file admits one writing process at a time (DuckDB holds an exclusive file
 * lock; a second process gets Unavailable). The pipeline therefore runs the warehouse in one
 * process; inside it, every warehouse opened on the same file shares one instance.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  type BoundStatement,
  DriverError,
  duckdbDialect,
  type QueryResult,
  type ResultColumn,
  type Row,
  rewriteNamedParameters,
} from '@cloudmux/core';
import { type DuckDBConnection, DuckDBInstance, type DuckDBResult, type DuckDBType } from '@duckdb/node-api';
import { translateDuckDbError } from './errors.ts';
import { columnReaderFor, parameterBinding, portableTypeOf, rowsFromColumns } from './values.ts';

export interface DuckDbDriverOptions {
  /** Database file, or ':memory:' for a private in-memory database. */
  file: string;
  /** DuckDB worker threads; DuckDB's default is one per core. */
  threads?: number;
  /**
   * DuckDB's `memory_limit` (`'512MB'`, `'2GiB'`): what its buffer pool may hold before larger
   * operations spill to a temporary directory beside the database file. DuckDB's default is 80 % of
   * the machine's RAM, which an embedded engine sharing a laptop rarely wants; ours is
   * DEFAULT_MEMORY_LIMIT. Raise it for large interactive queries: quantiles and other holistic
   * aggregates cannot spill and run slower near the limit.
   */
  memoryLimit?: string;
}

/**
 * The buffer pool's bound when none is configured. The warehouse shares its process with the app (in
 * the pipeline: ingest, the batch and serving), so its cache should not grow with the data. Measured
 * on 3M-flight pipeline runs (peak RSS of the run process): DuckDB's default 873 MB, 256MB 787–831
 * MB, 128MB 612–682 MB — but 128MB doubled the 30M-event run's views step (15 → 31 s), whose
 * quantiles cannot spill; 256MB is the compromise.
 */
export const DEFAULT_MEMORY_LIMIT = '256MB';

/**
 * The in-memory database that holds transient tables: filling one skips what a table in the file
 * costs (its compression and blocks written to disk), and its rows go with the instance. DuckDB
 * lets one transaction write to one database, so a statement that writes a transient table and a
 * table of the file together is refused.
 */
export const TRANSIENT_DATABASE = 'cloudmux_transient';

interface SharedInstance {
  instance: Promise<DuckDBInstance>;
  refs: number;
}

// Two DuckDB instances on one file in one process would both pass the (per-process) file lock and
// corrupt it; warehouses on the same file share an instance, closed with the last of them.
const sharedInstances = new Map<string, SharedInstance>();

const MAX_IDLE_CONNECTIONS = 4;

export interface DuckDbDriver {
  /** Runs one statement (or a script without parameters) and reads the whole result. */
  query<R extends Row = Row>(statement: BoundStatement, operation: string): Promise<QueryResult<R>>;
  /** Streams a result in pages of `pageSize` rows, on a connection of its own. */
  pages<R extends Row = Row>(statement: BoundStatement, pageSize: number): AsyncIterable<QueryResult<R>>;
  /** Runs `fn` on one connection inside BEGIN … COMMIT (ROLLBACK when it throws). */
  transaction<T>(operation: string, fn: (connection: DuckDBConnection) => Promise<T>): Promise<T>;
  /** Runs `fn` on a pooled connection. */
  withConnection<T>(operation: string, fn: (connection: DuckDBConnection) => Promise<T>): Promise<T>;
  /** The DuckDB instance once a connection opened it. */
  native(): DuckDBInstance | undefined;
  close(): Promise<void>;
}

export function createDuckDbDriver(options: DuckDbDriverOptions): DuckDbDriver {
  const key = options.file === ':memory:' ? undefined : resolve(options.file);
  const idle: DuckDBConnection[] = [];
  let shared: SharedInstance | undefined;
  let closed = false;
  let nativeInstance: DuckDBInstance | undefined;

  const instance = (): Promise<DuckDBInstance> => {
    if (closed) throw new DriverError('InvalidArgument', { detail: 'the DuckDB warehouse is closed' });
    if (!shared) {
      const existing = key === undefined ? undefined : sharedInstances.get(key);
      if (existing) {
        existing.refs++;
        shared = existing;
      } else {
        // Nothing is downloaded at run time: the extensions used (parquet, json, icu) are built in.
        const config: Record<string, string> = { autoinstall_known_extensions: 'false' };
        if (options.threads) config.threads = String(options.threads);
        config.memory_limit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
        // Rows come back in no promised order without ORDER BY, as on every cloud warehouse; not
        // keeping insertion order lets DuckDB stream an INSERT … SELECT (a load from Parquet)
        // instead of buffering it: measured on the 3M-flight load, less memory and no slower.
        config.preserve_insertion_order = 'false';
        const created: SharedInstance = {
          // A first run on a fresh checkout has no state directory yet.
          instance: (key === undefined
            ? Promise.resolve()
            : mkdir(dirname(key), { recursive: true }).then(() => {})
          ).then(() => DuckDBInstance.create(options.file, config)),
          refs: 1,
        };
        created.instance.catch(() => {
          if (key !== undefined && sharedInstances.get(key) === created) sharedInstances.delete(key);
        });
        if (key !== undefined) sharedInstances.set(key, created);
        shared = created;
      }
    }
    return shared.instance;
  };

  const acquire = async (operation: string): Promise<DuckDBConnection> => {
    const pooled = idle.pop();
    if (pooled) return pooled;
    try {
      const opened = await instance();
      nativeInstance = opened;
      const connection = await opened.connect();
      // UTC sessions: TIMESTAMP WITH TIME ZONE values (Parquet timestamps adjusted to UTC) cast to
      // the portable TIMESTAMP without shifting by the machine's zone.
      await connection.run("SET TimeZone = 'UTC'");
      // Transient tables (TableSchema.transient) live in an in-memory database attached to the
      // instance (shared by its connections); unqualified names find them after the file's own.
      await connection.run(
        `ATTACH IF NOT EXISTS ':memory:' AS ${TRANSIENT_DATABASE}; ` +
          `SET search_path = 'main,${TRANSIENT_DATABASE}.main'`,
      );
      return connection;
    } catch (error) {
      throw translateDuckDbError(error, operation);
    }
  };

  const release = (connection: DuckDBConnection, reusable: boolean) => {
    if (reusable && !closed && idle.length < MAX_IDLE_CONNECTIONS) idle.push(connection);
    else connection.closeSync();
  };

  const withConnection = async <T>(
    operation: string,
    fn: (c: DuckDBConnection) => Promise<T>,
  ): Promise<T> => {
    const connection = await acquire(operation);
    let ok = false;
    try {
      const value = await fn(connection);
      ok = true;
      return value;
    } finally {
      // After a failure the session may sit in an aborted transaction: never hand it out again.
      release(connection, ok);
    }
  };

  /** Executes, streaming or materialized, with parameters bound; DuckDB errors become DriverErrors with their code. */
  const execute = async (
    connection: DuckDBConnection,
    statement: BoundStatement,
    operation: string,
    streaming: boolean,
  ): Promise<DuckDBResult> => {
    const { sql } = statement;
    const compiled = compileParameters(statement);
    try {
      if (!compiled) return streaming ? await connection.stream(sql) : await connection.run(sql);
      const prepared = await connection.prepare(compiled.sql);
      try {
        for (const [name, binding] of compiled.bindings) {
          prepared.bindValue(prepared.parameterIndex(name), binding.value, binding.type);
        }
        return streaming ? await prepared.stream() : await prepared.run();
      } finally {
        prepared.destroySync();
      }
    } catch (error) {
      throw translateDuckDbError(error, operation);
    }
  };

  return {
    withConnection,
    native: () => nativeInstance,

    async query<R extends Row = Row>(statement: BoundStatement, operation: string) {
      const startedAt = performance.now();
      return withConnection(operation, async (connection) => {
        const result = await execute(connection, statement, operation, false);
        const reader = new ColumnAccumulator(result);
        try {
          for (;;) {
            const chunk = await result.fetchChunk();
            if (!chunk || chunk.rowCount === 0) break;
            reader.add(chunk);
          }
        } catch (error) {
          throw translateDuckDbError(error, operation);
        }
        const rows = reader.take(reader.length) as R[];
        return {
          columns: reader.columns,
          rows,
          stats: { durationMs: performance.now() - startedAt, rows: rows.length },
        };
      });
    },

    async *pages<R extends Row = Row>(statement: BoundStatement, pageSize: number) {
      const operation = 'queryPages';
      const startedAt = performance.now();
      const connection = await acquire(operation);
      // A streaming result ties up its connection; one abandoned mid-stream is not reused.
      let finished = false;
      try {
        const result = await execute(connection, statement, operation, true);
        const reader = new ColumnAccumulator(result);
        let yielded = 0;
        let done = false;
        while (!done) {
          let chunk: Awaited<ReturnType<DuckDBResult['fetchChunk']>>;
          try {
            chunk = await result.fetchChunk();
          } catch (error) {
            throw translateDuckDbError(error, operation);
          }
          if (!chunk || chunk.rowCount === 0) done = true;
          else reader.add(chunk);
          while (reader.length >= pageSize || (done && (reader.length > 0 || yielded === 0))) {
            const rows = reader.take(Math.min(pageSize, reader.length)) as R[];
            yielded++;
            yield {
              columns: reader.columns,
              rows,
              stats: { durationMs: performance.now() - startedAt, rows: rows.length },
            };
            if (rows.length === 0) break;
          }
        }
        finished = true;
      } finally {
        release(connection, finished);
      }
    },

    async transaction<T>(operation: string, fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
      const connection = await acquire(operation);
      let reusable = true;
      try {
        await connection.run('BEGIN TRANSACTION');
        let value: T;
        try {
          value = await fn(connection);
        } catch (error) {
          try {
            await connection.run('ROLLBACK');
          } catch {
            // A failed COMMIT or a connection DuckDB already rolled back: drop it rather than reuse it.
            reusable = false;
          }
          throw error;
        }
        await connection.run('COMMIT');
        return value;
      } catch (error) {
        throw translateDuckDbError(error, operation);
      } finally {
        release(connection, reusable);
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const connection of idle.splice(0)) connection.closeSync();
      const mine = shared;
      shared = undefined;
      if (!mine) return;
      mine.refs--;
      if (mine.refs > 0) return;
      if (key !== undefined && sharedInstances.get(key) === mine) sharedInstances.delete(key);
      try {
        (await mine.instance).closeSync();
      } catch {
        // The instance never opened (e.g. the file was locked): there is nothing to close.
      }
    },
  };
}

/** `@name` → `$name`, cast where the binding needs it; undefined when the SQL has no parameters. */
function compileParameters(
  statement: BoundStatement,
): { sql: string; bindings: Map<string, ReturnType<typeof parameterBinding>> } | undefined {
  if (statement.parameters.size === 0) return undefined;
  const bindings = new Map<string, ReturnType<typeof parameterBinding>>();
  for (const [name, value] of statement.parameters) bindings.set(name, parameterBinding(value));
  const rewritten = rewriteNamedParameters(
    statement.sql,
    (name) => {
      const cast = bindings.get(name)?.cast;
      return cast ? `CAST($${name} AS ${cast})` : `$${name}`;
    },
    duckdbDialect.parameterSyntax,
  );
  return { sql: rewritten, bindings };
}

/** Collects converted columns chunk by chunk and hands them out as rows. */
class ColumnAccumulator {
  readonly columns: ResultColumn[];
  readonly #names: string[];
  readonly #readers: ReturnType<typeof columnReaderFor>[];
  #data: unknown[][];

  constructor(result: DuckDBResult) {
    this.#names = result.deduplicatedColumnNames();
    const types: DuckDBType[] = result.columnTypes();
    this.columns = this.#names.map((name, i) => ({ name, type: portableTypeOf(types[i]!) }));
    this.#readers = types.map(columnReaderFor);
    this.#data = this.#names.map(() => []);
  }

  get length(): number {
    return this.#data[0]?.length ?? 0;
  }

  add(chunk: Parameters<ReturnType<typeof columnReaderFor>>[0]): void {
    for (let c = 0; c < this.#readers.length; c++) this.#readers[c]!(chunk, c, this.#data[c]!);
  }

  take(count: number): Row[] {
    if (count === this.length) {
      const rows = rowsFromColumns(this.#names, this.#data, count);
      this.#data = this.#names.map(() => []);
      return rows;
    }
    const taken = this.#data.map((column) => column.splice(0, count));
    return rowsFromColumns(this.#names, taken, count);
  }
}
