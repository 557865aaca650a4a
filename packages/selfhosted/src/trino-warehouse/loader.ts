/**
 * The part of the Trino warehouse that moves lake files in, the way Hive users do it: an external
 * table over the directory holding the objects (Parquet, CSV or JSON lines, read by Trino's own
 * readers straight from the S3 store), then one `INSERT … SELECT` into the managed table, filtered
 * by the hidden `"$path"` column to exactly the objects asked for. The external table is dropped
 * afterwards (dropping an external table leaves its files alone).
 *
 * Replace: the Hive connector cannot overwrite an unpartitioned table whose files it writes
 * straight to S3 ("Overwriting unpartitioned table not supported when writing directly to target
 * directory"), and it has no multi-statement transactions. So a replace first materialises the
 * new rows in a staging table — every cast and every file read happens there, and a bad file
 * fails the load with the old contents untouched — then `DELETE`s the table and copies the staged
 * rows in. A reader running between those two statements sees the table empty; a crash between
 * them leaves it empty until the (idempotent) replace is run again. Stated in the README.
 */
import { randomBytes } from 'node:crypto';
import { DriverError, type DriverLoadOptions, type LoadResult } from '@cloudmux/core';
import type { FinishedStatement } from './protocol.ts';
import { withScratchTables } from './scratch.ts';
import { quoteText } from './values.ts';

/** What the loader needs from the driver. */
export interface LoaderContext {
  /** Runs one statement to its end. */
  execute(sql: string, signal: AbortSignal | undefined): Promise<FinishedStatement>;
  /** The fully qualified, quoted name of a table in the driver's schema. */
  tableRef(table: string): string;
  quoteIdent(identifier: string): string;
  /** The table's columns with their Trino types, in order. */
  columnTypes(
    table: string,
    signal: AbortSignal | undefined,
  ): Promise<ReadonlyArray<{ name: string; sqlType: string }>>;
}

const invalid = (detail: string) => new DriverError('InvalidArgument', { detail });

/** Hive lists no file or folder whose name starts with '_' or '.', so such an object would be skipped silently. */
const HIDDEN_SEGMENT = /(^|\/)[_.]/;

/** The deepest directory holding every URI (the external table's location). */
function commonDirectory(uris: readonly string[]): string {
  let prefix = uris[0]!;
  for (const uri of uris) {
    let i = 0;
    while (i < prefix.length && i < uri.length && prefix[i] === uri[i]) i++;
    prefix = prefix.slice(0, i);
  }
  return prefix.slice(0, prefix.lastIndexOf('/') + 1);
}

export async function loadFromObjects(
  context: LoaderContext,
  table: string,
  load: DriverLoadOptions,
  signal: AbortSignal | undefined,
): Promise<LoadResult> {
  const startedAt = performance.now();
  if (!load.source.uriOf('x').startsWith('s3://')) {
    throw invalid(
      "Trino reads the lake through its Hive catalog's S3 file system: the source must be an S3 store " +
        'on the server the catalog is configured for',
    );
  }
  // The portable type listed a prefix load already; sorted, the statement is the same for the same set.
  const keys = [...load.keys].sort();
  const uris = keys.map((key) => load.source.uriOf(key));
  const location = commonDirectory(uris);
  if (!location.startsWith('s3://') || location.split('/').length < 5) {
    throw invalid('the objects to load share no folder below the bucket: Hive reads a table from a folder');
  }
  const hidden = uris.find((uri) => HIDDEN_SEGMENT.test(uri.slice(location.length)));
  if (hidden !== undefined) {
    throw invalid(
      `${hidden} cannot be loaded: Hive skips files and folders whose names begin with '_' or '.'`,
    );
  }
  const columns = await context.columnTypes(table, signal);
  if (columns.length === 0) throw new DriverError('NotFound', { detail: `table ${table} does not exist` });
  const q = context.quoteIdent;
  const suffix = randomBytes(4).toString('hex');
  const external = `${table}__load_${suffix}`;
  const staging = `${table}__replace_${suffix}`;
  // CSV is read as text and cast by position (like COPY on Redshift); Parquet and JSON lines are
  // read by column name with the table's own types.
  const csv = load.format === 'csv';
  const externalColumns = columns.map((c) => `${q(c.name)} ${csv ? 'VARCHAR' : c.sqlType}`).join(', ');
  const properties = [
    `external_location = ${quoteText(location)}`,
    `format = ${quoteText({ parquet: 'PARQUET', csv: 'CSV', ndjson: 'JSON' }[load.format])}`,
    ...(csv ? ['skip_header_line_count = 1'] : []),
  ].join(', ');
  const select = (c: { name: string; sqlType: string }) => {
    if (!csv) return q(c.name);
    // The CSV reader has no NULL: an empty field is one, as on the other engines.
    const text = `NULLIF(${q(c.name)}, '')`;
    // Named, so the same SELECT can also create the replace's staging table.
    const value = c.sqlType.toLowerCase().startsWith('varchar') ? text : `CAST(${text} AS ${c.sqlType})`;
    return `${value} AS ${q(c.name)}`;
  };
  const rows = `SELECT ${columns.map(select).join(', ')} FROM ${context.tableRef(external)} WHERE "$path" IN (${uris.map(quoteText).join(', ')})`;
  const names = columns.map((c) => q(c.name)).join(', ');
  // Dropped without the caller's signal: an aborted load still removes what it made.
  const drop = (name: string) => context.execute(`DROP TABLE IF EXISTS ${context.tableRef(name)}`, undefined);
  const scratch = load.mode === 'replace' ? [external, staging] : [external];
  return withScratchTables(drop, scratch, async () => {
    await context.execute(
      `CREATE TABLE ${context.tableRef(external)} (${externalColumns}) WITH (${properties})`,
      signal,
    );
    let loaded: FinishedStatement;
    if (load.mode === 'replace') {
      loaded = await context.execute(`CREATE TABLE ${context.tableRef(staging)} AS ${rows}`, signal);
      await context.execute(`DELETE FROM ${context.tableRef(table)}`, signal);
      await context.execute(
        `INSERT INTO ${context.tableRef(table)} (${names}) SELECT ${names} FROM ${context.tableRef(staging)}`,
        signal,
      );
    } else {
      loaded = await context.execute(`INSERT INTO ${context.tableRef(table)} (${names}) ${rows}`, signal);
    }
    const rowsLoaded = loaded.updateCount ?? 0;
    return {
      rowsLoaded,
      files: keys.length,
      stats: {
        durationMs: performance.now() - startedAt,
        rows: rowsLoaded,
        statementId: loaded.queryId,
        ...(loaded.stats?.cpuTimeMillis !== undefined ? { computeMs: loaded.stats.cpuTimeMillis } : {}),
        ...(loaded.stats?.processedBytes !== undefined ? { bytesScanned: loaded.stats.processedBytes } : {}),
      },
    };
  });
}
