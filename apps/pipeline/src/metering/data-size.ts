/**
 * How big the run's data is where it rests: objects in the lake, message bodies on the queue, and
 * the flights table as the warehouse engine itself reports it. The table size is asked for with one
 * statement per SQL dialect through the portable `query` (no interface method exists for it); an
 * engine that cannot answer gives `null` and a note saying why, never a guess.
 */
import { CloudmuxError, type ObjectStore, type Queue, type Warehouse } from '@cloudmux/core';
import { LAYOUT } from '../layout.ts';

export interface DataSize {
  /** Objects under the lake prefix after the run, and their bytes. */
  lakeBytes: number;
  lakeObjects: number;
  /** Message body bytes enqueued (successful sends only). */
  queueBytes: number;
  /** The flights table as the engine reports it; null when it cannot say (see the note). */
  warehouseBytes: number | null;
  warehouseBytesNote?: string;
}

export async function lakeSize(store: ObjectStore): Promise<{ lakeBytes: number; lakeObjects: number }> {
  let lakeBytes = 0;
  let lakeObjects = 0;
  for await (const info of store.listAll({ prefix: LAYOUT.lakePrefix })) {
    lakeBytes += info.size;
    lakeObjects++;
  }
  return { lakeBytes, lakeObjects };
}

/**
 * A view of `queue` that adds up the body bytes of every message it enqueued. The adapters' own
 * byte counts differ by provider (some include attributes, the local queue reports none), so the
 * pipeline counts what it put on the queue itself.
 */
export function countingQueue(queue: Queue): { queue: Queue; enqueuedBytes: () => number } {
  let bytes = 0;
  const size = (body: string | Uint8Array) =>
    typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  const counted = new Proxy(queue, {
    get(target, property, receiver) {
      if (property === 'sendBatch' || property === 'sendAll') {
        return async (...args: Parameters<Queue['sendBatch']>) => {
          const results = await target[property](...args);
          results.forEach((result, index) => {
            if (result.ok) bytes += size(args[1][index]!.body);
          });
          return results;
        };
      }
      if (property === 'send') {
        return async (...args: Parameters<Queue['send']>) => {
          const result = await target.send(...args);
          bytes += size(args[1]);
          return result;
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
  return { queue: counted, enqueuedBytes: () => bytes };
}

interface SizeStatement {
  /** Statements to run first (e.g. a checkpoint so the table's blocks are on disk). */
  before?: string[];
  sql: (table: string) => string;
  /** The engine's answer (at least one row) → bytes. */
  bytes: (rows: Array<Record<string, unknown>>) => number;
  /** What the figure is, in the engine's terms. */
  note: string;
}

const MIB = 1_048_576;
const KB = 1_024;
// Sources: DuckDB pragma_storage_info / pragma_database_size; Redshift SVV_TABLE_INFO (size in 1 MB
// blocks); BigQuery __TABLES__ (size_bytes, as tables.get numBytes); Synapse DBCC PDW_SHOWSPACEUSED
// (https://learn.microsoft.com/sql/t-sql/database-console-commands/dbcc-pdw-showspaceused-transact-sql).
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

const SIZE_STATEMENTS: Record<string, SizeStatement> = {
  duckdb: {
    before: ['CHECKPOINT'],
    // Blocks holding the table's column segments × the block size; additional_block_ids hold
    // segments that span blocks.
    sql: (table) =>
      `SELECT COUNT(DISTINCT b) * (SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()) AS bytes FROM (` +
      `SELECT block_id AS b FROM pragma_storage_info(${literal(table)}) WHERE persistent AND block_id >= 0 ` +
      `UNION ALL SELECT UNNEST(additional_block_ids) AS b FROM pragma_storage_info(${literal(table)}) WHERE persistent)`,
    bytes: ([row]) => Number(row?.bytes ?? 0),
    note: 'DuckDB: storage blocks holding the table (pragma_storage_info) × block size; a block shared with another table counts whole',
  },
  redshift: {
    sql: (table) => `SELECT size FROM svv_table_info WHERE "table" = ${literal(table)}`,
    bytes: ([row]) => Number(row?.size ?? 0) * MIB,
    note: 'Redshift: SVV_TABLE_INFO.size (1 MB blocks) × 1 MiB',
  },
  bigquery: {
    sql: (table) => `SELECT size_bytes FROM __TABLES__ WHERE table_id = ${literal(table)}`,
    bytes: ([row]) => Number(row?.size_bytes ?? 0),
    note: 'BigQuery: __TABLES__.size_bytes (the table resource numBytes: logical bytes)',
  },
  trino: {
    // The Hive connector's hidden columns: each row names the file holding it and that file's size.
    sql: (table) =>
      `SELECT SUM(size) AS bytes FROM (SELECT DISTINCT "$path" AS path, "$file_size" AS size FROM "${table.replaceAll('"', '""')}")`,
    bytes: ([row]) => Number(row?.bytes ?? 0),
    note: 'Trino (Hive connector): sizes of the Parquet files holding the table ("$file_size" over distinct "$path"); an empty table has no file',
  },
  tsql: {
    // Dedicated SQL pools answer one row per distribution; serverless pools do not support it.
    sql: (table) => `DBCC PDW_SHOWSPACEUSED("${table.replaceAll('"', '')}")`,
    bytes: (rows) => rows.reduce((sum, row) => sum + Number(row.data_space ?? 0), 0) * KB,
    note: 'Synapse: DBCC PDW_SHOWSPACEUSED data_space (KB) summed over distributions × 1,024',
  },
};

/** The table's bytes as its engine reports them, or null with the reason. */
export async function warehouseTableBytes(
  warehouse: Warehouse,
  table: string = LAYOUT.table,
): Promise<{ bytes: number | null; note: string }> {
  const dialect = warehouse.dialect.name;
  const statement = SIZE_STATEMENTS[dialect];
  if (!statement) return { bytes: null, note: `no size statement for the ${dialect} dialect` };
  try {
    for (const sql of statement.before ?? []) await warehouse.query(sql);
    const result = await warehouse.query(statement.sql(table));
    if (result.rows.length === 0)
      return { bytes: null, note: `${statement.note}: the engine returned no row for ${table}` };
    return { bytes: statement.bytes(result.rows), note: statement.note };
  } catch (error) {
    // The emulators' engines lack some catalog views; the run's result says so instead of failing.
    if (!CloudmuxError.isInstance(error)) throw error;
    return {
      bytes: null,
      note: `${statement.note}: the ${warehouse.provider} engine could not answer (${error.code}: ${error.message.slice(0, 200)})`,
    };
  }
}
