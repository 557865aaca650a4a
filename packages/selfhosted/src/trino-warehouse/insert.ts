/**
 * The part of the Trino warehouse that inserts rows. The rows travel as one JSON document of texts
 * inside a single string literal, and Trino casts each text back to its column's type:
 *
 *   INSERT INTO t (a, b) SELECT CAST(c0 AS bigint), c1
 *   FROM UNNEST(CAST(json_parse('[["1","x"],…]') AS ARRAY(ROW(c0 VARCHAR, c1 VARCHAR)))) AS r(c0, c1)
 *
 * One statement is all or nothing. Rows whose statement would outgrow the server's limit on SQL
 * text (`query.max-length`) go to a staging table chunk by chunk, and one `INSERT … SELECT` copies
 * them in, since the Hive connector has no multi-statement transactions.
 */
import { randomBytes } from 'node:crypto';
import type { TypedValue } from '@cloudmux/core';
import type { LoaderContext } from './loader.ts';
import { withScratchTables } from './scratch.ts';
import { fromText, quoteText, textOf } from './values.ts';

export interface InsertContext extends Pick<LoaderContext, 'execute' | 'tableRef' | 'quoteIdent'> {
  /** The longest SQL text one statement may have. */
  maxLength: number;
}

type ColumnTypes = ReadonlyArray<{ name: string; sqlType: string }>;

function insertStatement(
  q: (name: string) => string,
  target: string,
  columns: ColumnTypes,
  rowsJson: string,
) {
  const fields = columns.map((_, i) => `c${i}`);
  return (
    `INSERT INTO ${target} (${columns.map((c) => q(c.name)).join(', ')}) ` +
    `SELECT ${columns.map((c, i) => fromText(fields[i]!, c.sqlType)).join(', ')} ` +
    `FROM UNNEST(CAST(json_parse(${quoteText(rowsJson)}) AS ARRAY(ROW(${fields.map((f) => `${f} VARCHAR`).join(', ')})))) ` +
    `AS r(${fields.join(', ')})`
  );
}

/** The rows as JSON arrays of at most `maxLength` characters of SQL each (a row never splits). */
function chunksOf(rows: readonly (readonly TypedValue[])[], overhead: number, maxLength: number): string[] {
  const chunks: string[] = [];
  let current: string[] = [];
  let length = overhead;
  for (const row of rows) {
    const text = JSON.stringify(row.map(textOf));
    // Quotes are doubled inside the SQL literal.
    const cost = text.length + (text.match(/'/g)?.length ?? 0) + 1;
    if (current.length && length + cost > maxLength) {
      chunks.push(`[${current.join(',')}]`);
      current = [];
      length = overhead;
    }
    current.push(text);
    length += cost;
  }
  if (current.length) chunks.push(`[${current.join(',')}]`);
  return chunks;
}

/** Inserts every row into `table` (whose columns and Trino types are `columns`), all or nothing. */
export async function insertRows(
  context: InsertContext,
  table: string,
  columns: ColumnTypes,
  rows: readonly (readonly TypedValue[])[],
  signal: AbortSignal | undefined,
): Promise<number> {
  const { execute, tableRef, quoteIdent: q } = context;
  const overhead = insertStatement(q, tableRef(table), columns, '[]').length + 64;
  const chunks = chunksOf(rows, overhead, context.maxLength);
  if (chunks.length === 1) {
    const finished = await execute(insertStatement(q, tableRef(table), columns, chunks[0]!), signal);
    return finished.updateCount ?? rows.length;
  }
  const staging = `${table}__insert_${randomBytes(4).toString('hex')}`;
  // Dropped without the caller's signal: an aborted insert still removes its staging table.
  const drop = (name: string) => execute(`DROP TABLE IF EXISTS ${tableRef(name)}`, undefined);
  return withScratchTables(drop, [staging], async () => {
    await execute(
      `CREATE TABLE ${tableRef(staging)} (LIKE ${tableRef(table)}) WITH (format = 'PARQUET')`,
      signal,
    );
    for (const chunk of chunks) await execute(insertStatement(q, tableRef(staging), columns, chunk), signal);
    const names = columns.map((c) => q(c.name)).join(', ');
    const finished = await execute(
      `INSERT INTO ${tableRef(table)} (${names}) SELECT ${names} FROM ${tableRef(staging)}`,
      signal,
    );
    return finished.updateCount ?? rows.length;
  });
}
