/**
 * Trino's client REST protocol (https://trino.io/docs/current/develop/client-protocol.html): POST the
 * statement to `/v1/statement`, then follow each answer's `nextUri` until there is none; result rows
 * arrive in the answers' `data` along the way.
 *
 * Spoken directly rather than through the `trino-client` npm package (0.2.9), which this driver
 * cannot use as it is: it parses answers with `JSON.parse`, so BIGINT values beyond 2^53 arrive
 * rounded; it takes no AbortSignal and cannot stop a query it started; it keeps session and
 * prepared-statement headers in one mutable object shared by concurrent queries; and it does not
 * retry `nextUri` on 502/503/504 as the protocol asks.
 *
 * Retries: only the GET of a `nextUri` is repeated (on 502/503/504 and on a lost connection), because
 * the protocol makes it safe — a `nextUri` names one page by its token, so fetching it twice returns
 * the same page and never runs anything again. That resumes one statement; it never re-runs one.
 * The POST that submits a statement is never repeated here: whether a statement may run twice is
 * the portable layer's call (its meter retries idempotent calls only).
 */
export interface TrinoSession {
  /** http(s)://host:port of the coordinator. */
  endpoint: string;
  user: string;
  /** Basic authentication (Trino accepts passwords only over HTTPS). */
  password?: string | undefined;
  catalog: string;
  schema: string;
  /** Session properties sent with every statement (`X-Trino-Session`). */
  properties: Readonly<Record<string, string>>;
}

export interface TrinoColumn {
  name: string;
  /** The type as Trino writes it: `bigint`, `varchar(3)`, `timestamp(6)`, `decimal(38, 9)`, … */
  type: string;
}

export interface TrinoStats {
  state: string;
  elapsedTimeMillis?: number;
  cpuTimeMillis?: number;
  processedRows?: number;
  processedBytes?: number;
  physicalInputBytes?: number;
}

/** One answer of the protocol (QueryResults). */
export interface QueryResults {
  id: string;
  nextUri?: string;
  columns?: TrinoColumn[];
  data?: unknown[][];
  stats?: TrinoStats;
  error?: TrinoErrorInfo;
  updateType?: string;
  updateCount?: number;
}

interface TrinoErrorInfo {
  message: string;
  errorCode: number;
  errorName: string;
  errorType: string;
}

/** A statement Trino ran and failed: the native error the driver's `errorCode` classifies. */
export class TrinoQueryError extends Error {
  readonly errorName: string;
  readonly errorType: string;
  readonly errorCode: number;
  readonly queryId: string;

  constructor(info: TrinoErrorInfo, queryId: string) {
    super(info.message);
    this.name = 'TrinoQueryError';
    this.errorName = info.errorName;
    this.errorType = info.errorType;
    this.errorCode = info.errorCode;
    this.queryId = queryId;
  }
}

/** An HTTP answer the protocol does not expect (not 200), with its status. */
export class TrinoHttpError extends Error {
  readonly status: number;
  constructor(status: number, detail: string) {
    super(`Trino answered HTTP ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'TrinoHttpError';
    this.status = status;
  }
}

/** What one statement produced, chunk by chunk, then its final state. */
export interface StatementChunk {
  columns: readonly TrinoColumn[] | undefined;
  rows: readonly unknown[][];
}

export interface FinishedStatement {
  queryId: string;
  columns: readonly TrinoColumn[] | undefined;
  stats: TrinoStats | undefined;
  updateType: string | undefined;
  updateCount: number | undefined;
  /** Bytes of the answers read. */
  bytesOut: number;
}

const RETRY_STATUS = new Set([502, 503, 504]);
const NEXT_URI_ATTEMPTS = 5;
/** The protocol's advice: try again after 50–100 ms. */
const retryDelay = (attempt: number) => Math.min(50 * 2 ** attempt, 1_000);

/**
 * Numbers in an answer as exact values: an integer token that a double cannot hold (BIGINT beyond
 * 2^53) becomes a bigint, read from its source text. Trino writes doubles with a point or an
 * exponent, so integer tokens only ever come from integer columns.
 */
export function parseAnswer(text: string): QueryResults {
  if (!/\d{16}/.test(text)) return JSON.parse(text) as QueryResults;
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && !Number.isSafeInteger(value) && /^-?\d+$/.test(context?.source ?? '')
      ? BigInt(context!.source!)
      : value,
  ) as QueryResults;
}

function headers(session: TrinoSession): Record<string, string> {
  const properties = Object.entries(session.properties)
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join(',');
  return {
    'X-Trino-User': session.user,
    'X-Trino-Source': 'cloudmux',
    'X-Trino-Catalog': session.catalog,
    'X-Trino-Schema': session.schema,
    // Full timestamp precision in answers; without it Trino rounds timestamps to milliseconds.
    'X-Trino-Client-Capabilities': 'PARAMETRIC_DATETIME',
    'X-Trino-Time-Zone': 'UTC',
    ...(properties ? { 'X-Trino-Session': properties } : {}),
    ...(session.password !== undefined
      ? {
          Authorization: `Basic ${Buffer.from(`${session.user}:${session.password}`).toString('base64')}`,
        }
      : {}),
  };
}

/** A connection that failed before an answer arrived (refused, reset, closed mid-reply). */
function isConnectionFailure(error: unknown): boolean {
  return error instanceof TypeError && !(error as { name?: string }).name?.startsWith('Abort');
}

async function answerOf(response: Response): Promise<{ results: QueryResults; bytes: number }> {
  const text = await response.text();
  if (response.status !== 200) throw new TrinoHttpError(response.status, text.slice(0, 200).trim());
  return { results: parseAnswer(text), bytes: Buffer.byteLength(text) };
}

/**
 * Runs one statement, yielding its rows as they arrive and returning how it finished. Leaving the
 * iteration early (or an aborted signal) cancels the query on the server.
 */
export async function* runStatement(
  session: TrinoSession,
  sql: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<StatementChunk, FinishedStatement> {
  signal?.throwIfAborted();
  const common = headers(session);
  const first = await answerOf(
    await fetch(`${session.endpoint}/v1/statement`, {
      method: 'POST',
      headers: { ...common, 'Content-Type': 'text/plain; charset=utf-8' },
      body: sql,
      ...(signal ? { signal } : {}),
    }),
  );
  let results = first.results;
  let bytesOut = first.bytes;
  let columns = results.columns;
  let finished = false;
  try {
    for (;;) {
      if (results.columns) columns = results.columns;
      if (results.data?.length) yield { columns, rows: results.data };
      if (results.error) throw new TrinoQueryError(results.error, results.id);
      const next = results.nextUri;
      if (!next) break;
      const fetched = await fetchNext(next, common, signal);
      results = fetched.results;
      bytesOut += fetched.bytes;
    }
    finished = true;
    return {
      queryId: results.id,
      columns,
      stats: results.stats,
      updateType: results.updateType,
      updateCount: results.updateCount,
      bytesOut,
    };
  } finally {
    // Abandoned, aborted or failed mid-way: DELETE on the next URI cancels the query server-side.
    // Best effort, without the caller's (possibly aborted) signal; the caller does not wait on it.
    if (!finished && results.nextUri) {
      fetch(results.nextUri, { method: 'DELETE', headers: common, signal: AbortSignal.timeout(5_000) })
        .then((r) => r.body?.cancel())
        .catch(() => undefined);
    }
  }
}

async function fetchNext(
  uri: string,
  common: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<{ results: QueryResults; bytes: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await answerOf(await fetch(uri, { headers: common, ...(signal ? { signal } : {}) }));
    } catch (error) {
      const transient =
        (error instanceof TrinoHttpError && RETRY_STATUS.has(error.status)) || isConnectionFailure(error);
      if (!transient || attempt + 1 >= NEXT_URI_ATTEMPTS || signal?.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, retryDelay(attempt)));
    }
  }
}

/** Runs a statement to the end and returns its rows and how it finished. */
export async function collectStatement(
  session: TrinoSession,
  sql: string,
  signal: AbortSignal | undefined,
): Promise<{ rows: unknown[][]; finished: FinishedStatement }> {
  const rows: unknown[][] = [];
  const iterator = runStatement(session, sql, signal);
  for (;;) {
    const step = await iterator.next();
    if (step.done) return { rows, finished: step.value };
    for (const row of step.value.rows) rows.push(row);
  }
}
