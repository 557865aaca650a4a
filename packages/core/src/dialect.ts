/**
 * The small SQL dialect layer: one query text for every engine. Apps write parameters as `@name`
 * and build engine-specific fragments through `dialect.fn`.
 */

export type DialectName = 'duckdb' | 'bigquery' | 'redshift' | 'tsql' | 'trino';

export interface SqlFunctions {
  /** Continuous percentile of `expr` (0 < p < 1) as an aggregate. */
  percentile(expr: string, p: number): string;
  /**
   * Exact continuous percentile of `expr` over a window partitioned by `partitionBy` (every engine
   * has this form exactly; the aggregate form is approximate on BigQuery and missing on T-SQL).
   */
  percentileOver(expr: string, p: number, partitionBy: readonly string[]): string;
  /** Truncate a timestamp to 'hour' | 'day' | 'month'. */
  dateTrunc(unit: 'hour' | 'day' | 'month', expr: string): string;
  /** Hour of day 0–23 as an integer. */
  hourOf(expr: string): string;
  /** Date part of a timestamp, as a DATE. */
  toDate(expr: string): string;
  /** Count rows where `condition` holds. */
  countIf(condition: string): string;
  /** Cast to a float for exact averages of integer columns. */
  toFloat(expr: string): string;
}

/**
 * How an engine's SQL hides text from the parameter scanner: which quotes open literals and
 * identifiers, and which comments exist. Differs by engine, so each dialect carries its own.
 */
export interface ParameterSyntax {
  /** `[name]` is a quoted identifier (T-SQL); elsewhere `[` opens an array literal or subscript. */
  bracketIdentifiers?: boolean;
  /** A backslash escapes the next character inside quotes, and tripled quotes delimit strings (BigQuery). */
  backslashEscapes?: boolean;
  /** `# …` is a line comment (BigQuery). */
  hashComments?: boolean;
  /** `$$…$$` and `$tag$…$tag$` are string literals (PostgreSQL, Redshift, DuckDB). */
  dollarQuotes?: boolean;
}

export interface SqlDialect {
  readonly name: DialectName;
  quoteIdent(identifier: string): string;
  /** `SELECT … ORDER BY … ` + a row limit in this dialect. */
  limit(selectSql: string, n: number): string;
  readonly fn: SqlFunctions;
  /** Pass to `findNamedParameters` / `rewriteNamedParameters` for SQL of this dialect. */
  readonly parameterSyntax: ParameterSyntax;
}

export interface NamedParameterRef {
  name: string;
  start: number;
  end: number;
}

const DEFAULT_SYNTAX: ParameterSyntax = { bracketIdentifiers: true };

/** Index just past the quoted text opened at `i` and closed by `quote` (the end of `sql` when unclosed). */
function skipQuoted(sql: string, i: number, quote: string, syntax: ParameterSyntax): number {
  const escapes = syntax.backslashEscapes === true && quote !== ']';
  const triple = quote.repeat(3);
  if (escapes && sql.startsWith(triple, i)) {
    let j = i + 3;
    while (j < sql.length && !sql.startsWith(triple, j)) j += sql[j] === '\\' ? 2 : 1;
    return Math.min(j + 3, sql.length);
  }
  let j = i + 1;
  while (j < sql.length) {
    const ch = sql[j];
    if (escapes && ch === '\\') {
      j += 2;
      continue;
    }
    if (ch === quote) {
      // A doubled closing character is an escaped one (`''`, `""`, `]]`) where backslashes are not.
      if (!escapes && sql[j + 1] === quote) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

const DOLLAR_TAG = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/;

/**
 * Finds `@name` placeholders outside string literals, quoted identifiers and comments.
 * `@@system` variables (T-SQL) are left alone, and so is an `@` glued to a word (`user@host`).
 * Pass the dialect's `parameterSyntax`; without it the scan assumes T-SQL-style `[identifiers]`.
 */
export function findNamedParameters(
  sql: string,
  syntax: ParameterSyntax = DEFAULT_SYNTAX,
): NamedParameterRef[] {
  const refs: NamedParameterRef[] = [];
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      i = skipQuoted(sql, i, ch, syntax);
    } else if (ch === '[' && syntax.bracketIdentifiers) {
      i = skipQuoted(sql, i, ']', syntax);
    } else if (ch === '$' && syntax.dollarQuotes && DOLLAR_TAG.test(sql.slice(i, i + 66))) {
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 66))![0];
      const close = sql.indexOf(tag, i + tag.length);
      i = close === -1 ? sql.length : close + tag.length;
    } else if ((ch === '-' && sql[i + 1] === '-') || (ch === '#' && syntax.hashComments)) {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
    } else if (ch === '@' && sql[i + 1] === '@') {
      i += 2;
      while (i < sql.length && /\w/.test(sql[i]!)) i++;
    } else if (ch === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '') && !/[\w$]/.test(sql[i - 1] ?? '')) {
      let end = i + 1;
      while (end < sql.length && /\w/.test(sql[end]!)) end++;
      refs.push({ name: sql.slice(i + 1, end), start: i, end });
      i = end;
    } else {
      i++;
    }
  }
  return refs;
}

/** Rewrites each `@name` with `replace(name, occurrence)`; used by dialects with other placeholder styles. */
export function rewriteNamedParameters(
  sql: string,
  replace: (name: string, occurrence: number) => string,
  syntax: ParameterSyntax = DEFAULT_SYNTAX,
): string {
  const refs = findNamedParameters(sql, syntax);
  let out = '';
  let last = 0;
  refs.forEach((ref, index) => {
    out += sql.slice(last, ref.start) + replace(ref.name, index);
    last = ref.end;
  });
  return out + sql.slice(last);
}

function quoteWith(open: string, close: string) {
  return (identifier: string) => {
    if (identifier.includes('\0')) throw new TypeError('identifier contains NUL');
    return open + identifier.split(close).join(close + close) + close;
  };
}

const ansiQuote = quoteWith('"', '"');

const partitionClause = (partitionBy: readonly string[]) =>
  partitionBy.length ? `PARTITION BY ${partitionBy.join(', ')}` : '';

export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  quoteIdent: ansiQuote,
  parameterSyntax: { dollarQuotes: true },
  limit: (sql, n) => `${sql} LIMIT ${Math.trunc(n)}`,
  fn: {
    percentile: (expr, p) => `quantile_cont(${expr}, ${p})`,
    percentileOver: (expr, p, partitionBy) =>
      `quantile_cont(${expr}, ${p}) OVER (${partitionClause(partitionBy)})`,
    dateTrunc: (unit, expr) => `date_trunc('${unit}', ${expr})`,
    hourOf: (expr) => `CAST(extract('hour' FROM ${expr}) AS BIGINT)`,
    toDate: (expr) => `CAST(${expr} AS DATE)`,
    countIf: (condition) => `count(*) FILTER (WHERE ${condition})`,
    toFloat: (expr) => `CAST(${expr} AS DOUBLE)`,
  },
};

/** BigQuery quoted identifiers take the string escapes: a backtick or backslash is backslash-escaped. */
function bigqueryQuote(identifier: string): string {
  if (identifier.includes('\0')) throw new TypeError('identifier contains NUL');
  return `\`${identifier.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;
}

export const bigqueryDialect: SqlDialect = {
  name: 'bigquery',
  quoteIdent: bigqueryQuote,
  parameterSyntax: { backslashEscapes: true, hashComments: true },
  limit: (sql, n) => `${sql} LIMIT ${Math.trunc(n)}`,
  fn: {
    // BigQuery's PERCENTILE_CONT is analytic-only; APPROX_QUANTILES is its aggregate (approximate).
    percentile: (expr, p) => `APPROX_QUANTILES(${expr}, 100)[OFFSET(${Math.round(p * 100)})]`,
    percentileOver: (expr, p, partitionBy) =>
      `PERCENTILE_CONT(${expr}, ${p}) OVER (${partitionClause(partitionBy)})`,
    dateTrunc: (unit, expr) => `TIMESTAMP_TRUNC(${expr}, ${unit.toUpperCase()})`,
    hourOf: (expr) => `EXTRACT(HOUR FROM ${expr})`,
    toDate: (expr) => `DATE(${expr})`,
    countIf: (condition) => `COUNTIF(${condition})`,
    toFloat: (expr) => `CAST(${expr} AS FLOAT64)`,
  },
};

export const redshiftDialect: SqlDialect = {
  name: 'redshift',
  quoteIdent: ansiQuote,
  parameterSyntax: { dollarQuotes: true },
  limit: (sql, n) => `${sql} LIMIT ${Math.trunc(n)}`,
  fn: {
    percentile: (expr, p) => `PERCENTILE_CONT(${p}) WITHIN GROUP (ORDER BY ${expr})`,
    percentileOver: (expr, p, partitionBy) =>
      `PERCENTILE_CONT(${p}) WITHIN GROUP (ORDER BY ${expr}) OVER (${partitionClause(partitionBy)})`,
    dateTrunc: (unit, expr) => `DATE_TRUNC('${unit}', ${expr})`,
    hourOf: (expr) => `CAST(EXTRACT(HOUR FROM ${expr}) AS BIGINT)`,
    toDate: (expr) => `CAST(${expr} AS DATE)`,
    countIf: (condition) => `SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END)`,
    toFloat: (expr) => `CAST(${expr} AS DOUBLE PRECISION)`,
  },
};

export const tsqlDialect: SqlDialect = {
  name: 'tsql',
  quoteIdent: quoteWith('[', ']'),
  parameterSyntax: { bracketIdentifiers: true },
  // TOP, not OFFSET … FETCH: Synapse dedicated pools have no OFFSET … FETCH, and SQL Server accepts it
  // only after ORDER BY; TOP works on every T-SQL engine.
  limit: (sql, n) => {
    const head = /^\s*SELECT\s+(?:ALL\s+|DISTINCT\s+)?/i.exec(sql);
    if (!head) throw new TypeError('tsql limit() needs a statement that starts with SELECT');
    return `${head[0]}TOP (${Math.trunc(n)}) ${sql.slice(head[0].length)}`;
  },
  fn: {
    // T-SQL's PERCENTILE_CONT is a window function; adapters compute it over a windowed subquery.
    percentile: (expr, p) => `PERCENTILE_CONT(${p}) WITHIN GROUP (ORDER BY ${expr}) OVER ()`,
    percentileOver: (expr, p, partitionBy) =>
      `PERCENTILE_CONT(${p}) WITHIN GROUP (ORDER BY ${expr}) OVER (${partitionClause(partitionBy)})`,
    dateTrunc: (unit, expr) => `DATETRUNC(${unit}, ${expr})`,
    hourOf: (expr) => `CAST(DATEPART(hour, ${expr}) AS BIGINT)`,
    toDate: (expr) => `CAST(${expr} AS DATE)`,
    countIf: (condition) => `SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END)`,
    toFloat: (expr) => `CAST(${expr} AS FLOAT)`,
  },
};

/**
 * Trino (ANSI quoting; `ARRAY[…]` brackets and no dollar quotes or backslash escapes). Trino has no
 * exact percentile: `approx_percentile` (a quantile digest) is its only one, aggregate and window.
 */
export const trinoDialect: SqlDialect = {
  name: 'trino',
  quoteIdent: ansiQuote,
  parameterSyntax: {},
  limit: (sql, n) => `${sql} LIMIT ${Math.trunc(n)}`,
  fn: {
    percentile: (expr, p) => `approx_percentile(${expr}, ${p})`,
    percentileOver: (expr, p, partitionBy) =>
      `approx_percentile(${expr}, ${p}) OVER (${partitionClause(partitionBy)})`,
    dateTrunc: (unit, expr) => `date_trunc('${unit}', ${expr})`,
    hourOf: (expr) => `hour(${expr})`,
    toDate: (expr) => `CAST(${expr} AS DATE)`,
    countIf: (condition) => `count_if(${condition})`,
    toFloat: (expr) => `CAST(${expr} AS DOUBLE)`,
  },
};

export const dialects: Record<DialectName, SqlDialect> = {
  duckdb: duckdbDialect,
  bigquery: bigqueryDialect,
  redshift: redshiftDialect,
  tsql: tsqlDialect,
  trino: trinoDialect,
};
