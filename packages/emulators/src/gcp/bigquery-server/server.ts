/**
 * A wire-compatible BigQuery test server: the REST API v2 the Node client (`@google-cloud/bigquery`)
 * speaks, executing on DuckDB. Datasets are DuckDB schemas; tables keep their BigQuery schema
 * beside the DuckDB table; query jobs run GoogleSQL translated to DuckDB; load jobs read `gs://`
 * objects from the fake-gcs-server given at start.
 *
 * Endpoints: datasets insert/get/delete; tables insert/get/delete; tabledata.insertAll and
 * tabledata.list; jobs.insert (query and load), jobs.get, jobs.getQueryResults (paging with
 * maxResults/pageToken, `formatOptions.useInt64Timestamp`), jobs.query.
 *
 * Known divergences from the real service:
 * - Jobs run synchronously inside jobs.insert; there is no PENDING/RUNNING state, no job
 *   cancellation, no query cache, no dry runs, no sessions, no scripting, no DML statistics.
 * - GoogleSQL is translated, not implemented: backtick identifiers (`dataset.table` split at dots),
 *   '…'/"…" string literals with backslash escapes, @named parameters, the types INT64, FLOAT64,
 *   BOOL, STRING, NUMERIC, BIGNUMERIC, JSON in casts, and the functions COUNTIF, TIMESTAMP_TRUNC,
 *   DATE, APPROX_QUANTILES(x, n)[OFFSET(k)], PERCENTILE_CONT(x, p) (as quantile_cont) are mapped; everything else is passed to DuckDB as is,
 *   so DuckDB-only syntax runs here and some GoogleSQL fails with invalidQuery.
 * - NUMERIC and BIGNUMERIC are both DECIMAL(38, 9) (BigQuery's BIGNUMERIC is wider); positional
 *   parameters, ARRAY/STRUCT/GEOGRAPHY/INTERVAL/DATETIME/TIME parameters are not supported.
 * - totalBytesProcessed is estimated from the referenced tables' full row sizes with BigQuery's
 *   per-type widths (the real service counts only the referenced columns); totalBytesBilled
 *   applies the 10 MB minimum per referenced table and rounds up to the MB; totalSlotMs is the
 *   wall time of the DuckDB statement.
 * - Streaming inserts are visible at once (no streaming buffer); a row whose insertId the table
 *   saw in the last minute is dropped, as BigQuery's best-effort deduplication does (the client
 *   retries insertAll with the same ids after a lost reply); a request with an invalid row inserts
 *   nothing (as skipInvalidRows=false).
 * - Load jobs support CSV (header via skipLeadingRows, empty field = NULL), NEWLINE_DELIMITED_JSON
 *   and PARQUET into existing tables with WRITE_APPEND/WRITE_TRUNCATE/WRITE_EMPTY; no autodetect,
 *   no schema updates, no wildcard URIs, no compression options.
 * - No IAM, authentication, quotas, rate limits, table expiration, partitioning or clustering.
 */
import '../offline.ts';

import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createEngine } from './engine.ts';
import { createJobs } from './jobs.ts';
import { createRouter } from './routes.ts';
import { BqError, STATUS_NAMES } from './values.ts';

export interface BigQueryServerOptions {
  /** fake-gcs-server endpoint load jobs read `gs://` URIs from. */
  gcsEndpoint?: string;
}

export interface BigQueryServer {
  /** `http://127.0.0.1:<port>`: the client's apiEndpoint. */
  endpoint: string;
  stop(): Promise<void>;
}

export async function startBigQueryServer(options: BigQueryServerOptions = {}): Promise<BigQueryServer> {
  const engine = await createEngine(options);
  const route = createRouter(engine, createJobs(engine));
  const { instance, scratch } = engine;

  const readBody = async (request: IncomingMessage): Promise<Record<string, unknown>> => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    if (!text) return {};
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new BqError(400, 'parseError', 'request body is not JSON');
    }
  };

  const send = (response: ServerResponse, status: number, payload: unknown) => {
    if (payload === undefined) {
      response.writeHead(status === 200 ? 204 : status).end();
      return;
    }
    const text = JSON.stringify(payload);
    response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(text);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    readBody(request)
      .then((body) => route(request.method ?? 'GET', url.pathname, url.searchParams, body))
      .then((payload) => send(response, 200, payload))
      .catch((error: unknown) => {
        const e = error instanceof BqError ? error : new BqError(500, 'internalError', String(error));
        send(response, e.status, {
          error: {
            code: e.status,
            message: e.message,
            errors: [{ message: e.message, domain: 'global', reason: e.reason }],
            status: STATUS_NAMES[e.status] ?? 'UNKNOWN',
          },
        });
      });
  });
  const port = await new Promise<number>((resolvePort) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolvePort(typeof address === 'object' && address ? address.port : 0);
    }),
  );
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      await new Promise<void>((resolveStop) => server.close(() => resolveStop()));
      server.closeAllConnections();
      instance.closeSync();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
