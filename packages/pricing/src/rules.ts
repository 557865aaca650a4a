/**
 * Billing rules that turn raw request facts into billable quantities. Adapters apply the per-call
 * rules when they report usage and the model applies the per-run minimums at projected scale; both
 * live here so they are tested once against the providers' published rules.
 */

const SQS_CHUNK_BYTES = 64 * 1024;

/** SQS bills every 64 KB chunk of a request's payload as one request (a 256 KB call = 4). */
export function sqsBillableRequests(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / SQS_CHUNK_BYTES));
}

/**
 * Pub/Sub throughput: only publish, pull, streaming pull and push are billed; acknowledge,
 * modifyAckDeadline and administrative calls are free. Each billed request counts at least 1,000 bytes.
 */
export const PUBSUB_BILLED_OPERATIONS = ['publish', 'pull', 'streamingPull', 'push'] as const;
export type PubSubOperation = (typeof PUBSUB_BILLED_OPERATIONS)[number] | 'acknowledge' | 'modifyAckDeadline';
export const PUBSUB_MINIMUM_BYTES_PER_REQUEST = 1000;

export function pubsubBillableBytes(operation: PubSubOperation, requestBytes: number): number {
  if (!(PUBSUB_BILLED_OPERATIONS as readonly string[]).includes(operation)) return 0;
  return Math.max(PUBSUB_MINIMUM_BYTES_PER_REQUEST, requestBytes);
}

/** BigQuery counts in binary units: its MB is 2^20 bytes, its TB 2^40 (the on-demand price is per TiB). */
const MIB = 2 ** 20;
export const BIGQUERY_MINIMUM_BYTES = 10 * MIB;

/**
 * BigQuery on-demand bytes billed for one query: rounded up to the MB, at least 10 MB per table
 * referenced and at least 10 MB per query.
 */
export function bigqueryBilledBytes(bytesProcessed: number, tablesReferenced: number): number {
  return Math.max(bigqueryMinimumBytes(tablesReferenced), Math.ceil(bytesProcessed / MIB) * MIB);
}

/** The minimum alone: 10 MB per table referenced, and 10 MB for a query that references none. */
export function bigqueryMinimumBytes(tablesReferenced: number): number {
  return BIGQUERY_MINIMUM_BYTES * Math.max(1, tablesReferenced);
}

/** BigQuery legacy streaming inserts (tabledata.insertAll) bill each row at least 1 KB. */
export const BIGQUERY_STREAMING_MINIMUM_ROW_BYTES = 1024;

export function bigqueryStreamingBytes(rowBytes: readonly number[]): number {
  return rowBytes.reduce((n, b) => n + Math.max(BIGQUERY_STREAMING_MINIMUM_ROW_BYTES, b), 0);
}

/**
 * Synapse serverless SQL bills "$5 per TB processed"; data processed is rounded up to the nearest MB
 * per query with a 10 MB minimum. Microsoft's pages give no binary definition, so every unit is
 * decimal: MB = 10^6 bytes, TB = 10^12 bytes (Microsoft's own CostPerQuery.sql also divides MB by
 * powers of ten to reach TB).
 */
const SYNAPSE_MB = 1e6;
export const SYNAPSE_MINIMUM_BYTES_PER_QUERY = 10 * SYNAPSE_MB;

export function synapseBilledBytes(bytesProcessed: number): number {
  return Math.max(SYNAPSE_MINIMUM_BYTES_PER_QUERY, roundUpSynapseMb(bytesProcessed));
}

export function roundUpSynapseMb(bytes: number): number {
  return Math.ceil(bytes / SYNAPSE_MB) * SYNAPSE_MB;
}

export function roundUpBigqueryMb(bytes: number): number {
  return Math.ceil(bytes / MIB) * MIB;
}

/**
 * Redshift Serverless base capacity: 4 RPU, or 8 to 512 in steps of 8 (1024 in a few regions, in
 * steps of 32 above 512 — not needed here).
 */
export function isValidRedshiftBaseRpu(rpu: number): boolean {
  return rpu === 4 || (Number.isInteger(rpu) && rpu >= 8 && rpu <= 512 && rpu % 8 === 0);
}

export const REDSHIFT_MINIMUM_SECONDS = 60;

/**
 * RPU-hours for one active period: billed per second at the base capacity, at least 60 seconds.
 * (AWS bills what the workgroup used; with a workload this small it stays at its base capacity.)
 */
export function redshiftRpuHours(baseRpu: number, activeSeconds: number): number {
  return (baseRpu * Math.max(REDSHIFT_MINIMUM_SECONDS, activeSeconds)) / 3600;
}
