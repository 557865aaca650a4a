/** Tables of the portable schema in DuckDB: creating them and reading back what exists. */

import { DriverError, type SqlDialect, type TableSchema } from '@cloudmux/core';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { TRANSIENT_DATABASE } from './driver.ts';
import { sqlTypeOf } from './values.ts';

export interface ExistingColumn {
  name: string;
  /** As `duckdb_columns()` spells it: BIGINT, DECIMAL(38,9), JSON, … */
  sqlType: string;
  nullable: boolean;
}

const notFound = (table: string) =>
  new DriverError('NotFound', { detail: `table ${JSON.stringify(table)} does not exist` });

/**
 * Columns of a table, in order, as an unqualified name finds it: in the file's main schema, else
 * among the transient tables. NotFound when there is no such table.
 */
export async function tableColumns(connection: DuckDBConnection, table: string): Promise<ExistingColumn[]> {
  const reader = await connection.runAndReadAll(
    `SELECT database_name = current_database() AS durable, column_name, data_type, is_nullable
     FROM duckdb_columns()
     WHERE table_name = $table AND schema_name = 'main'
       AND (database_name = current_database() OR database_name = $transient)
     ORDER BY durable DESC, column_index`,
    { table, transient: TRANSIENT_DATABASE },
  );
  const rows = reader.getRows();
  if (rows.length === 0) throw notFound(table);
  const durable = rows[0]![0];
  return rows
    .filter((row) => row[0] === durable)
    .map(([, name, sqlType, nullable]) => ({
      name: String(name),
      sqlType: String(sqlType),
      nullable: nullable === true,
    }));
}

/** Appender column types of a table, by position (the appender needs DuckDB's own type objects). */
export async function appenderTypes(connection: DuckDBConnection, table: string): Promise<DuckDBType[]> {
  const appender = await connection.createAppender(table);
  try {
    return Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
  } finally {
    appender.closeSync();
  }
}

export function validateTableName(table: string): void {
  if (typeof table !== 'string' || table.length === 0 || table.length > 255 || table.includes('\0'))
    throw new DriverError('InvalidArgument', { detail: 'a table name is 1–255 characters without NUL' });
}

/** CREATE TABLE statement of the portable schema (a transient table in the in-memory database). */
export function createTableSql(dialect: SqlDialect, table: string, schema: TableSchema): string {
  if (schema.columns.length === 0)
    throw new DriverError('InvalidArgument', { detail: 'a table needs at least one column' });
  const seen = new Set<string>();
  const columns = schema.columns.map((column) => {
    const lower = column.name.toLowerCase();
    if (!column.name || seen.has(lower))
      throw new DriverError('InvalidArgument', {
        detail: `column name ${JSON.stringify(column.name)} is empty or repeated`,
      });
    seen.add(lower);
    return `${dialect.quoteIdent(column.name)} ${sqlTypeOf(column)}${column.nullable === false ? ' NOT NULL' : ''}`;
  });
  const name = schema.transient
    ? `${dialect.quoteIdent(TRANSIENT_DATABASE)}.main.${dialect.quoteIdent(table)}`
    : dialect.quoteIdent(table);
  return `CREATE TABLE IF NOT EXISTS ${name} (${columns.join(', ')})`;
}

/** Differences between an existing table and the wanted schema; empty when they agree. */
export function schemaDifferences(existing: readonly ExistingColumn[], schema: TableSchema): string[] {
  const differences: string[] = [];
  const wanted = schema.columns.map((c) => ({
    name: c.name,
    sqlType: sqlTypeOf(c),
    nullable: c.nullable !== false,
  }));
  const length = Math.max(existing.length, wanted.length);
  for (let i = 0; i < length; i++) {
    const have = existing[i];
    const want = wanted[i];
    if (!have) differences.push(`missing column ${want!.name} ${want!.sqlType}`);
    else if (!want) differences.push(`extra column ${have.name} ${have.sqlType}`);
    else if (have.name !== want.name || have.sqlType !== want.sqlType || have.nullable !== want.nullable)
      differences.push(
        `column ${i + 1} is ${have.name} ${have.sqlType}${have.nullable ? '' : ' NOT NULL'}, wanted ${want.name} ${want.sqlType}${want.nullable ? '' : ' NOT NULL'}`,
      );
  }
  return differences;
}
