import type { ObjectStore, Warehouse } from '@cloudmux/core';
import { type DatasetEntry, registerDatasets } from '../catalog.ts';
import { dayOf } from '../events.ts';
import { ingestTotals } from '../ingest/ingestor.ts';
import { LAKE_COLUMNS } from '../lake/writer.ts';
import { LAYOUT, messageKeyOfLakeFile, parseSpeedKey } from '../layout.ts';
import type { Step } from './orchestrator.ts';
import { DataQualityError, runQualityChecks } from './quality.ts';
import { ingestCountsBySource, quarantineReasons, writeRunReport } from './run-report.ts';
import { type BatchState, readBatchState, writeBatchState } from './state.ts';
import { buildViews, VIEWS } from './views.ts';

export interface BatchContext {
  objectStore: ObjectStore;
  warehouse: Warehouse;
  runId: string;
  /** Filled by the steps as they go, for the summary. */
  results: {
    filesLoaded?: number;
    rowsLoaded?: number;
    accepted?: number;
    landed?: number;
    loaded?: number;
    viewRows?: Record<string, number>;
  };
}

const TABLE_SCHEMA = { columns: LAKE_COLUMNS };
/** Keys per load statement: keeps the statement text bounded on engines that list files inline. */
const KEYS_PER_LOAD = 5_000;

async function lakeFiles(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.listAll({ prefix: LAYOUT.lakePrefix })) {
    if (info.key.endsWith('.parquet')) keys.push(info.key);
  }
  return keys.sort();
}

/**
 * Loads lake files not loaded before. Each chunk goes to a staging table, then into `flights` with an
 * anti-join on the event id, so a crash between the insert and the state write cannot double rows.
 */
const load: Step<BatchContext> = {
  name: 'load',
  async run(context) {
    const { warehouse, objectStore } = context;
    const d = warehouse.dialect;
    const state = await readBatchState(objectStore);
    const loaded = new Set(state.loadedFiles);
    const fresh = (await lakeFiles(objectStore)).filter((key) => !loaded.has(key));
    await warehouse.ensureTable(LAYOUT.table, TABLE_SCHEMA);
    await warehouse.ensureTable(LAYOUT.stagingTable, TABLE_SCHEMA);
    const target = d.quoteIdent(LAYOUT.table);
    const staging = d.quoteIdent(LAYOUT.stagingTable);
    let rows = 0;
    for (let start = 0; start < fresh.length; start += KEYS_PER_LOAD) {
      const keys = fresh.slice(start, start + KEYS_PER_LOAD);
      // Into an empty table the files go straight in: one statement, nothing to double. A crash
      // before the state is written leaves rows, so the re-run takes the staging path below.
      const empty = await warehouse.query<{ n: bigint }>(d.limit(`SELECT 1 AS n FROM ${target}`, 1));
      if (empty.rows.length === 0) {
        const result = await warehouse.loadFromObjects(LAYOUT.table, {
          source: objectStore,
          keys,
          format: 'parquet',
        });
        state.loadedFiles.push(...keys);
        state.landedRows += result.rowsLoaded;
        rows += result.rowsLoaded;
        await writeBatchState(objectStore, state);
        continue;
      }
      const result = await warehouse.loadFromObjects(LAYOUT.stagingTable, {
        source: objectStore,
        keys,
        format: 'parquet',
        mode: 'replace',
      });
      await warehouse.query(
        `INSERT INTO ${target} (id, ts, delay, distance, origin, destination) ` +
          `SELECT s.id, s.ts, s.delay, s.distance, s.origin, s.destination FROM ${staging} s ` +
          `WHERE NOT EXISTS (SELECT 1 FROM ${target} f WHERE f.id = s.id)`,
      );
      state.loadedFiles.push(...keys);
      state.landedRows += result.rowsLoaded;
      rows += result.rowsLoaded;
      await writeBatchState(objectStore, state);
    }
    context.results.filesLoaded = fresh.length;
    context.results.rowsLoaded = rows;
    return { filesLoaded: fresh.length, rowsLoaded: rows, filesTotal: state.loadedFiles.length };
  },
};

const quality: Step<BatchContext> = {
  name: 'quality',
  dependsOn: ['load'],
  async run(context) {
    const state = await readBatchState(context.objectStore);
    const totals = await ingestCountsBySource(context.objectStore);
    const { checks, loaded } = await runQualityChecks(context.warehouse, LAYOUT.table, {
      accepted: totals.accepted,
      landed: state.landedRows,
    });
    // Written before a failing check throws: a failed run's checks are what its reader most needs.
    await writeRunReport(context.objectStore, {
      runId: context.runId,
      at: new Date().toISOString(),
      ingest: totals,
      quarantineReasons: await quarantineReasons(context.objectStore),
      landed: state.landedRows,
      loaded,
      checks,
    });
    context.results.accepted = totals.accepted;
    context.results.landed = state.landedRows;
    context.results.loaded = loaded;
    if (checks.some((check) => !check.passed)) throw new DataQualityError(checks);
    return { checks: checks.map((check) => `${check.name}: ${check.detail}`) };
  },
};

const views: Step<BatchContext> = {
  name: 'views',
  dependsOn: ['quality'],
  async run(context) {
    const { warehouse, objectStore } = context;
    const viewRows = await buildViews(warehouse, LAYOUT.table);
    const max = await warehouse.query<{ watermark: Date | null }>(
      `SELECT MAX(ts) AS watermark FROM ${warehouse.dialect.quoteIdent(LAYOUT.table)}`,
    );
    const watermark = max.rows[0]?.watermark ?? null;
    const state = await readBatchState(objectStore);
    state.watermarkTs = watermark ? watermark.getTime() : null;
    state.cutoffDay = watermark ? dayOf(watermark.getTime()) : null;
    state.lastRunId = context.runId;
    await writeBatchState(objectStore, state);
    context.results.viewRows = viewRows;
    return { viewRows, watermark: watermark?.toISOString() ?? null, cutoffDay: state.cutoffDay };
  },
};

/**
 * Removes speed partials the batch views now cover: filed under a day before the cutoff, and every
 * lake file of their message loaded. Late partials (files not loaded yet) stay for the next run.
 */
const compactSpeed: Step<BatchContext> = {
  name: 'compact-speed',
  dependsOn: ['views'],
  async run(context) {
    const { objectStore } = context;
    const state = await readBatchState(objectStore);
    if (!state.cutoffDay) return { removed: 0 };
    const loadedParts = new Map<string, number>();
    for (const file of state.loadedFiles) {
      const messageKey = messageKeyOfLakeFile(file);
      if (messageKey) loadedParts.set(messageKey, (loadedParts.get(messageKey) ?? 0) + 1);
    }
    const doomed: string[] = [];
    let late = 0;
    for await (const info of objectStore.listAll({ prefix: LAYOUT.speedPrefix })) {
      const parsed = parseSpeedKey(info.key);
      if (!parsed || parsed.day >= state.cutoffDay) continue;
      if ((loadedParts.get(parsed.messageKey) ?? 0) >= parsed.files) doomed.push(info.key);
      else late++;
    }
    for (let start = 0; start < doomed.length; start += 1_000) {
      const result = await objectStore.deleteMany(doomed.slice(start, start + 1_000));
      if (result.errors.length) throw result.errors[0]!.error;
    }
    state.compactedPartials += doomed.length;
    await writeBatchState(objectStore, state);
    return { removed: doomed.length, latePartials: late };
  },
};

/** Lineage sources outside the catalog: where events enter and the queue they travel on. */
const INGEST = 'ingest: flights-3m.parquet replay, POST /events';
const QUEUE = `queue: ${LAYOUT.queue}`;

const catalog: Step<BatchContext> = {
  name: 'catalog',
  dependsOn: ['views'],
  async run(context) {
    const { warehouse, objectStore, runId } = context;
    const state: BatchState = await readBatchState(objectStore);
    const now = new Date().toISOString();
    const partitions = [
      ...new Set(state.loadedFiles.map((key) => /dt=([^/]+)/.exec(key)?.[1]).filter((d): d is string => !!d)),
    ].sort();
    const schema = LAKE_COLUMNS.map((column) => ({ name: column.name, type: column.type }));
    const entries: DatasetEntry[] = [
      {
        name: 'lake.flights',
        kind: 'lake-prefix',
        location: `${objectStore.location.replace(/\/?$/, '/')}${LAYOUT.lakePrefix}`,
        schema,
        partitions,
        rows: state.landedRows,
        producedBy: 'speed-layer consumer',
        inputs: [QUEUE],
        updatedAt: now,
        description: 'Raw accepted flight events as Parquet, partitioned by UTC day (dt=YYYY-MM-DD)',
      },
      {
        name: `warehouse.${LAYOUT.table}`,
        kind: 'table',
        location: `${warehouse.provider}:${LAYOUT.table}`,
        schema,
        rows: context.results.loaded ?? 0,
        producedBy: `batch ${runId} step load`,
        inputs: ['lake.flights'],
        updatedAt: now,
      },
    ];
    const totals = await ingestTotals(objectStore);
    let partials = 0;
    for await (const info of objectStore.listAll({ prefix: LAYOUT.speedPrefix }))
      if (info.key.endsWith('.json')) partials++;
    const storeRoot = objectStore.location.replace(/\/?$/, '/');
    entries.push(
      {
        name: 'lake.quarantine',
        kind: 'object-prefix',
        location: `${storeRoot}${LAYOUT.quarantinePrefix}`,
        schema: [
          { name: 'event', type: 'json' },
          { name: 'reasons', type: 'json' },
        ],
        rows: totals.quarantined,
        producedBy: 'ingest (schema validation)',
        inputs: [INGEST],
        updatedAt: now,
        description: 'Rejected events as received, with the reasons, one JSON object per ingest call',
      },
      {
        name: 'speed.partials',
        kind: 'object-prefix',
        location: `${storeRoot}${LAYOUT.speedPrefix}`,
        schema: [
          { name: 'airports', type: 'json' },
          { name: 'routes', type: 'json' },
        ],
        rows: partials,
        producedBy: 'speed-layer consumer; compacted by batch step compact-speed',
        inputs: [QUEUE],
        updatedAt: now,
        description:
          'Per-message hourly aggregates per airport and route, the speed view not yet covered by the batch',
      },
    );
    for (const view of VIEWS) {
      const probe = await warehouse.query(
        warehouse.dialect.limit(`SELECT * FROM ${warehouse.dialect.quoteIdent(view.name)}`, 1),
      );
      entries.push({
        name: `warehouse.${view.name}`,
        kind: 'view',
        location: `${warehouse.provider}:${view.name}`,
        schema: probe.columns.map((column) => ({ name: column.name, type: column.type })),
        rows: context.results.viewRows?.[view.name] ?? 0,
        producedBy: `batch ${runId} step views`,
        inputs: [`warehouse.${LAYOUT.table}`],
        updatedAt: now,
        description: view.description,
      });
    }
    await registerDatasets(objectStore, entries);
    return { datasets: entries.length };
  },
};

export const BATCH_STEPS: readonly Step<BatchContext>[] = [load, quality, views, compactSpeed, catalog];
