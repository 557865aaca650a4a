/**
 * Billing rules that turn raw request facts into billable units. Adapters apply the same rules when
 * they report usage; they live here so they are tested against the providers' published examples.
 */

const SQS_CHUNK_BYTES = 64 * 1024;
const PUBSUB_MINIMUM_BYTES_PER_REQUEST = 1000;
const MB = 1024 * 1024;
const BIGQUERY_MINIMUM_BYTES_PER_TABLE = 10 * MB;
const SYNAPSE_MINIMUM_BYTES_PER_QUERY = 10 * MB;

/** SQS bills every 64 KB chunk of a request's payload as one request (a 256 KB call = 4). */
export function sqsBillableRequests(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / SQS_CHUNK_BYTES));
}

/** Pub/Sub bills at least 1,000 bytes per publish, pull or push request (not per message). */
export function pubsubBillableBytes(requestBytes: number): number {
  return Math.max(PUBSUB_MINIMUM_BYTES_PER_REQUEST, requestBytes);
}

/** BigQuery on-demand: rounded up to the MB, at least 10 MB per table referenced (and per query). */
export function bigqueryBilledBytes(bytesProcessed: number, tablesReferenced: number): number {
  const rounded = Math.ceil(bytesProcessed / MB) * MB;
  return Math.max(rounded, BIGQUERY_MINIMUM_BYTES_PER_TABLE * Math.max(1, tablesReferenced));
}

/** Synapse serverless: rounded up to the MB, at least 10 MB per query. */
export function synapseBilledBytes(bytesProcessed: number): number {
  return Math.max(SYNAPSE_MINIMUM_BYTES_PER_QUERY, Math.ceil(bytesProcessed / MB) * MB);
}
