/**
 * The part of the Synapse driver that moves lake files in (Kysely's dialects keep it apart from the
 * driver that executes): COPY INTO from the source store, through a staging table when the load
 * must land all or nothing, JSON lines parsed in SQL.
 */
import {
  DriverError,
  type DriverLoadOptions,
  type LoadOptions,
  type LoadResult,
  mapConcurrent,
  type WarehouseDriver,
} from '@cloudmux/core';
import sql from 'mssql';
import type { SynapseWarehouseOptions } from '../synapse-warehouse.ts';
import { portableOf, sqlTypeOf } from './dialect.ts';
import type { SynapseSession } from './session.ts';

/** Files whose HEAD or per-file COPY is in flight at once: round trips overlap, the pool's connections bound it. */
const LOAD_CONCURRENCY = 8;

export async function loadFromObjects(
  session: SynapseSession,
  driver: WarehouseDriver,
  options: Pick<SynapseWarehouseOptions, 'loadCredential'>,
  table: string,
  load: DriverLoadOptions,
): Promise<LoadResult> {
  session.requireDedicated('loadFromObjects');
  const started = performance.now();
  const p = await session.connect();
  const existing = await session.existingColumns(table, p);
  if (existing.length === 0) throw new DriverError('NotFound', { detail: `table '${table}' does not exist` });
  const keys = load.keys;
  // One HEAD per file, several in flight, beside the copies rather than before them (a round trip
  // each, 0.5 s of a 100-file load at 20 ms each way): they give the bytes metered and, for a file
  // that is missing, a NotFound naming its key — the error the caller gets when the copy fails too.
  const heads = mapConcurrent(keys, LOAD_CONCURRENCY, (key) => load.source.head(key));
  heads.catch(() => undefined);
  const fileOptions =
    load.format === 'csv'
      ? "FILE_TYPE = 'CSV', FIRSTROW = 2, FIELDQUOTE = '\"'"
      : load.format === 'parquet'
        ? "FILE_TYPE = 'PARQUET'"
        : // JSON lines: each line whole into one column (a field terminator and quote that never occur).
          "FILE_TYPE = 'CSV', FIELDTERMINATOR = '0x0b', FIELDQUOTE = '0x0b', ROWTERMINATOR = '0x0a'";
  const sourceUrl = (key: string) => `'${load.source.uriOf(key).replaceAll("'", "''")}'`;
  const copyInto = async (target: string, files: readonly string[]) => {
    const credential = await copyCredential(options, load, files[0] as string);
    const text = `COPY INTO ${target} FROM ${files.map(sourceUrl).join(', ')} WITH (${fileOptions}${credential ? `, CREDENTIAL = ${credential}` : ''})`;
    const result = await session.run(text, undefined, p);
    return result.rowsAffected.reduce((a, b) => a + b, 0);
  };
  // A blob SAS covers one blob, so SAS loads copy file by file.
  const perFile = (options.loadCredential ?? 'managedIdentity') === 'sas';
  const rowsLoaded = await copyAll().catch(async (error: unknown) => {
    await heads;
    throw error;
  });
  // The rows are in: a HEAD that failed after all (a file removed since) does not undo the load.
  let bytes = 0;
  for (const head of (await heads.catch(() => undefined)) ?? []) bytes += head.size;

  async function copyAll(): Promise<number> {
    let rowsLoaded = 0;
    if (load.format !== 'ndjson' && load.mode !== 'replace' && !(perFile && keys.length > 1)) {
      rowsLoaded = await copyInto(session.qualified(table), keys);
    } else {
      // Load into a staging table first, then move the rows in one transaction: a failed COPY leaves
      // the table untouched, and several files land all or nothing.
      const stage = `${table}__load_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
      if (load.format === 'ndjson') {
        await session.run(
          `CREATE TABLE ${session.qualified(stage)} (${session.q('doc')} NVARCHAR(MAX) NULL)${session.poolKind === 'dedicated' ? ' WITH (DISTRIBUTION = ROUND_ROBIN, HEAP)' : ''}`,
          undefined,
          p,
        );
      } else {
        await driver.ensureTable(
          stage,
          { columns: existing.map((c) => ({ name: c.name, type: portableOf(c.dataType) })) },
          {},
        );
      }
      try {
        // Copies into the staging heap may run side by side (the service queues what it must); the
        // move into the table below is the one step that has to be atomic.
        if (perFile)
          await mapConcurrent(keys, LOAD_CONCURRENCY, (key) => copyInto(session.qualified(stage), [key]));
        else await copyInto(session.qualified(stage), keys);
        const select =
          load.format === 'ndjson' ? jsonSelect(stage) : `SELECT * FROM ${session.qualified(stage)}`;
        const transaction = new sql.Transaction(p);
        await transaction.begin();
        try {
          if (load.mode === 'replace')
            await session.run(`DELETE FROM ${session.qualified(table)}`, undefined, transaction);
          const moved = await session.run(
            `INSERT INTO ${session.qualified(table)} (${existing.map((c) => session.q(c.name)).join(', ')}) ${select}`,
            undefined,
            transaction,
          );
          rowsLoaded = moved.rowsAffected.reduce((a, b) => a + b, 0);
          await transaction.commit();
        } catch (error) {
          await transaction.rollback().catch(() => undefined);
          throw error;
        }
      } finally {
        await driver.dropTable(stage, {});
      }
    }
    return rowsLoaded;
  }

  /** Each table column read from the JSON line by name and cast to the column's type. */
  function jsonSelect(stage: string): string {
    const doc = session.q('doc');
    const fields = existing.map((c) => {
      const path = `$."${c.name.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`.replaceAll("'", "''");
      return `CAST(JSON_VALUE(${doc}, '${path}') AS ${sqlTypeOf({ name: c.name, type: portableOf(c.dataType) })})`;
    });
    return `SELECT ${fields.join(', ')} FROM ${session.qualified(stage)} WHERE ${doc} IS NOT NULL AND LEN(${doc}) > 0`;
  }
  session.meterProcessed(bytes);
  return {
    rowsLoaded,
    files: keys.length,
    stats: { durationMs: performance.now() - started, rows: rowsLoaded },
  };
}

/** The CREDENTIAL clause: the workspace managed identity, or a read SAS the source store signs for the file. */
async function copyCredential(
  options: Pick<SynapseWarehouseOptions, 'loadCredential'>,
  load: LoadOptions,
  key: string,
): Promise<string | undefined> {
  const mode = options.loadCredential ?? 'managedIdentity';
  if (mode === 'none') return undefined;
  if (mode === 'managedIdentity') return "(IDENTITY = 'Managed Identity')";
  const url = await load.source.presign(key, { method: 'GET', expiresInSeconds: 3600 });
  const sas = new URL(url).search.slice(1);
  return `(IDENTITY = 'Shared Access Signature', SECRET = '${sas.replaceAll("'", "''")}')`;
}
