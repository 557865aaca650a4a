/** Where the pipeline keeps its state in the ObjectStore and which queue it uses. */
export const LAYOUT = {
  queue: 'flight-events',
  /** Messages that failed `maxDeliveries` times; the batch archives them under deadLetterPrefix. */
  deadLetterQueue: 'flight-events-dead',
  /** Events the speed layer could not process, one object per message (named after the message). */
  speedQuarantinePrefix: 'quarantine/speed/',
  /** Last failure of a message, by body hash: the reason a dead letter carries. */
  failurePrefix: 'deadletter/failures/',
  /** Dead-lettered messages as archived by the batch layer, by body hash. */
  deadLetterPrefix: 'deadletter/messages/',
  lakePrefix: 'flights/',
  quarantinePrefix: 'quarantine/',
  speedPrefix: 'speed/partials/',
  ingestPrefix: 'ingest/manifests/',
  batchRunsPrefix: 'batch/runs/',
  /** Per batch run: reconciliation counts, quarantine reasons and data-quality checks. */
  batchReportsPrefix: 'batch/reports/',
  /** Per `pipeline run`: its summary (stage times, throughput), named by its batch run id. */
  runSummariesPrefix: 'batch/summaries/',
  batchState: 'batch/state.json',
  catalog: 'catalog/catalog.json',
  /** Letters, digits and dashes only: the one name every secret service accepts as is. */
  apiKeySecret: 'pipeline-ingest-api-key',
  table: 'flights',
  stagingTable: 'flights_staging',
} as const;

/** A message's lake file for one day: every file of a message carries the message's name. */
export function lakeKey(day: string, messageKey: string): string {
  return `${LAYOUT.lakePrefix}dt=${day}/part-${messageKey}.parquet`;
}

export function messageKeyOfLakeFile(key: string): string | undefined {
  return /\/part-([^/]+)\.parquet$/.exec(key)?.[1];
}

/**
 * A message's speed aggregates, filed under the day of its latest event (so compaction can skip
 * whole days) and named with the number of lake files the message produced (so compaction can tell
 * whether all of them are loaded without reading the object).
 */
export function speedKey(lastDay: string, messageKey: string, files: number): string {
  return `${LAYOUT.speedPrefix}dt=${lastDay}/${messageKey}.${files}.json`;
}

export function parseSpeedKey(key: string): { day: string; messageKey: string; files: number } | undefined {
  const match = /dt=(\d{4}-\d{2}-\d{2})\/([^/]+)\.(\d+)\.json$/.exec(key);
  return match ? { day: match[1]!, messageKey: match[2]!, files: Number(match[3]) } : undefined;
}

/** Sortable, unique id for runs and ingest requests: time first, then randomness. */
export function newId(prefix: string): string {
  const time = new Date().toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 17);
  return `${prefix}-${time}-${Math.random().toString(36).slice(2, 8)}`;
}
