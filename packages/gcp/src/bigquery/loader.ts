/**
 * The part of the BigQuery driver that moves lake files in: one load job over the gs:// objects,
 * polled until it is done, its input bytes reported as billed load bytes.
 */
import { DriverError, type DriverLoadOptions, type LoadResult, reportUsage } from '@cloudmux/core';
import type { BigQuery } from '@google-cloud/bigquery';

/** What the loader needs from the driver that owns the client and the dataset. */
export interface BigQueryLoadContext {
  bq(): BigQuery;
  ensureDataset(): Promise<void>;
  jobError(status: unknown): Error | undefined;
  location: string;
  projectId: string;
  dataset: string;
}

export async function loadFromGcs(
  context: BigQueryLoadContext,
  table: string,
  loadOptions: DriverLoadOptions,
): Promise<LoadResult> {
  const { bq, ensureDataset, jobError, location, projectId, dataset } = context;
  const started = performance.now();
  const source = loadOptions.source;
  const uris = loadOptions.keys.map((key) => source.uriOf(key));
  if (uris.some((uri) => !uri.startsWith('gs://'))) {
    throw new DriverError('InvalidArgument', {
      detail: 'BigQuery loads only from Cloud Storage (gs://) objects',
    });
  }
  const sourceFormat =
    loadOptions.format === 'parquet'
      ? 'PARQUET'
      : loadOptions.format === 'csv'
        ? 'CSV'
        : 'NEWLINE_DELIMITED_JSON';
  await ensureDataset();
  const [job] = await bq().createJob({
    location,
    configuration: {
      load: {
        sourceUris: uris,
        destinationTable: { projectId, datasetId: dataset, tableId: table },
        sourceFormat,
        writeDisposition: loadOptions.mode === 'replace' ? 'WRITE_TRUNCATE' : 'WRITE_APPEND',
        createDisposition: 'CREATE_NEVER',
        ...(sourceFormat === 'CSV' ? { skipLeadingRows: 1, allowQuotedNewlines: true } : {}),
        ...(sourceFormat === 'PARQUET' ? { parquetOptions: { enableListInference: true } } : {}),
      },
    },
  });
  let meta: Record<string, unknown>;
  for (;;) {
    [meta] = (await job.getMetadata()) as unknown as [Record<string, unknown>];
    if ((meta.status as { state?: string } | undefined)?.state === 'DONE') break;
    // Load jobs run server-side; polling jobs.get is the documented way to wait for them.
    await new Promise((r) => setTimeout(r, 500));
  }
  const failed = jobError(meta.status);
  if (failed) throw failed;
  const load = ((meta.statistics as { load?: Record<string, string> } | undefined)?.load ?? {}) as Record<
    string,
    string
  >;
  const loadedBytes = Number(load.inputFileBytes ?? 0);
  reportUsage({ units: { 'bigquery.bytes-loaded': loadedBytes } });
  return {
    rowsLoaded: Number(load.outputRows ?? 0),
    files: Number(load.inputFiles ?? uris.length),
    stats: {
      durationMs: performance.now() - started,
      rows: Number(load.outputRows ?? 0),
      statementId: job.id ?? '',
    },
  };
}
