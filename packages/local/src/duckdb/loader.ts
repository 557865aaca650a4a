/**
 * The part of the DuckDB warehouse that moves lake files in. Files the store exposes as `file://`
 * are read in place by DuckDB's readers; anything else (s3://, gs://, https://…) is downloaded
 * through the store's own `get` into a temporary directory first, because DuckDB's httpfs extension
 * would have to be downloaded at run time.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import {
  DriverError,
  type DriverLoadOptions,
  type LoadOptions,
  type LoadResult,
  reportUsage,
  type SqlDialect,
} from '@cloudmux/core';
import type { DuckDbDriver } from './driver.ts';
import { tableColumns } from './schema.ts';

const invalid = (message: string) => new DriverError('InvalidArgument', { detail: message });

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * The DuckDB table function reading `paths` in `format`; `columns` (name → SQL type) is the target
 * table's, so NDJSON fields are parsed as the table says rather than as DuckDB would guess.
 */
function readerSql(
  format: LoadOptions['format'],
  paths: readonly string[],
  columns: ReadonlyArray<{ name: string; sqlType: string }>,
): string {
  const list = `[${paths.map(literal).join(', ')}]`;
  switch (format) {
    case 'parquet':
      // Lakes are laid out as `…/dt=YYYY-MM-DD/…`; DuckDB would otherwise add `dt` as a column.
      return `read_parquet(${list}, hive_partitioning = false)`;
    case 'csv':
      // Text columns, cast by the INSERT to the table's types: exact for BIGINT and DECIMAL, and
      // independent of what DuckDB's sniffer would guess from the first rows.
      return `read_csv(${list}, header = true, all_varchar = true)`;
    case 'ndjson':
      return `read_json(${list}, format = 'newline_delimited', columns = {${columns
        .map((c) => `${literal(c.name)}: ${literal(c.sqlType)}`)
        .join(', ')}})`;
    default:
      throw invalid(`unknown load format ${String(format)}`);
  }
}

async function fileSize(path: string, key: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    throw new DriverError((error as NodeJS.ErrnoException).code === 'ENOENT' ? 'NotFound' : 'Internal', {
      detail: `cannot read lake object ${JSON.stringify(key)}: ${(error as Error).message}`,
      cause: error,
    });
  }
}

/**
 * Local paths for the keys, downloading into `scratch` what DuckDB cannot read in place.
 * `inPlaceBytes` counts only files read in place: a download's bytes are reported by the store's
 * own `get` (to this call when the store is unwrapped, to the store's record when it is metered).
 */
async function localPaths(
  options: DriverLoadOptions,
  keys: readonly string[],
  scratch: () => Promise<string>,
): Promise<{ paths: string[]; inPlaceBytes: number }> {
  const paths: string[] = [];
  let inPlaceBytes = 0;
  for (const [index, key] of keys.entries()) {
    const uri = options.source.uriOf(key);
    if (uri.startsWith('file:')) {
      const path = fileURLToPath(uri);
      // DuckDB's readers expand glob characters and cannot escape them: such names are copied.
      if (!/[*?[\]{}]/.test(path)) {
        inPlaceBytes += await fileSize(path, key);
        paths.push(path);
        continue;
      }
    }
    const object = await options.source.get(key);
    const path = join(await scratch(), `${index}.${options.format}`);
    await pipeline(
      Readable.fromWeb(object.stream() as import('node:stream/web').ReadableStream),
      createWriteStream(path),
    );
    paths.push(path);
  }
  return { paths, inPlaceBytes };
}

export async function loadFromObjects(
  driver: DuckDbDriver,
  dialect: SqlDialect,
  table: string,
  options: DriverLoadOptions,
): Promise<LoadResult> {
  const startedAt = performance.now();
  const mode = options.mode ?? 'append';
  if (mode !== 'append' && mode !== 'replace') throw invalid(`unknown load mode ${String(mode)}`);
  const keys = options.keys;
  let scratchDir: string | undefined;
  try {
    const { paths, inPlaceBytes } = await localPaths(options, keys, async () => {
      scratchDir ??= await mkdtemp(join(tmpdir(), 'cloudmux-duckdb-load-'));
      return scratchDir;
    });
    const target = dialect.quoteIdent(table);
    const rowsLoaded = await driver.transaction('loadFromObjects', async (connection) => {
      const columns = await tableColumns(connection, table);
      const insert = `INSERT INTO ${target} BY NAME SELECT * FROM ${readerSql(options.format, paths, columns)}`;
      if (mode === 'replace') await connection.run(`DELETE FROM ${target}`);
      const result = await connection.run(insert);
      return result.rowsChanged;
    });
    reportUsage({ bytesIn: inPlaceBytes });
    return {
      rowsLoaded,
      files: paths.length,
      stats: { durationMs: performance.now() - startedAt, rows: rowsLoaded },
    };
  } finally {
    if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
  }
}
