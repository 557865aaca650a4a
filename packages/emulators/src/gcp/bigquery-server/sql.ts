/**
 * GoogleSQL as DuckDB runs it (see server.ts for what is mapped and what is not), the macros that
 * stand in for BigQuery functions, and DuckDB errors as BigQuery's error reasons.
 */

import { BqError, sqlString } from './values.ts';

const TYPE_WORDS: Record<string, string> = {
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
  NUMERIC: 'DECIMAL(38, 9)',
  BIGNUMERIC: 'DECIMAL(38, 9)',
  BOOL: 'BOOLEAN',
  STRING: 'VARCHAR',
};
const UNIT_WORDS = new Set([
  'MICROSECOND',
  'MILLISECOND',
  'SECOND',
  'MINUTE',
  'HOUR',
  'DAY',
  'WEEK',
  'MONTH',
  'QUARTER',
  'YEAR',
]);

/**
 * GoogleSQL → DuckDB. Walks the text once so literals, comments and quoted identifiers are never
 * rewritten; parameters become typed literals (values are escaped, never spliced raw).
 */
export function translateSql(sql: string, parameter: (name: string) => string): string {
  let out = '';
  let i = 0;
  let lastWord = '';
  while (i < sql.length) {
    const ch = sql[i] as string;
    if (ch === "'" || ch === '"') {
      const triple = sql.startsWith(ch.repeat(3), i);
      const close = triple ? ch.repeat(3) : ch;
      let j = i + close.length;
      let text = '';
      while (j < sql.length && !sql.startsWith(close, j)) {
        if (sql[j] === '\\' && j + 1 < sql.length) {
          const next = sql[j + 1] as string;
          text += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
          j += 2;
        } else {
          text += sql[j];
          j++;
        }
      }
      if (j >= sql.length) throw new BqError(400, 'invalidQuery', 'Syntax error: Unclosed string literal');
      out += sqlString(text);
      i = j + close.length;
      lastWord = '';
    } else if (ch === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end === -1) throw new BqError(400, 'invalidQuery', 'Syntax error: Unclosed identifier literal');
      const parts = sql.slice(i + 1, end).split('.');
      // project.dataset.table → dataset.table (one project per server).
      out += (parts.length === 3 ? parts.slice(1) : parts)
        .map((p) => `"${p.replaceAll('"', '""')}"`)
        .join('.');
      i = end + 1;
      lastWord = '';
    } else if (ch === '-' && sql[i + 1] === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (ch === '#') {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 2;
      out += ' ';
    } else if (ch === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      let end = i + 1;
      while (end < sql.length && /\w/.test(sql[end] as string)) end++;
      out += parameter(sql.slice(i + 1, end));
      i = end;
      lastWord = '';
    } else if (/[A-Za-z_]/.test(ch)) {
      let end = i;
      while (end < sql.length && /\w/.test(sql[end] as string)) end++;
      const word = sql.slice(i, end);
      const upper = word.toUpperCase();
      if (TYPE_WORDS[upper] && lastWord === 'AS') out += TYPE_WORDS[upper];
      else if (upper === 'COUNTIF') out += 'count_if';
      // BigQuery's PERCENTILE_CONT(x, p) OVER (…) is DuckDB's quantile_cont(x, p) OVER (…).
      else if (upper === 'PERCENTILE_CONT' && sql[end] === '(') out += 'quantile_cont';
      else if (upper === 'DATE' && sql[end] === '(') out += 'bq_date';
      else if (UNIT_WORDS.has(upper) && /^\s*\)/.test(sql.slice(end)) && /,\s*$/.test(out))
        out += `'${word.toLowerCase()}'`;
      else out += word;
      lastWord = upper;
      i = end;
    } else if (ch === '[' && /^\[\s*(SAFE_)?OFFSET\s*\(\s*(\d+)\s*\)\s*\]/i.test(sql.slice(i))) {
      const m = /^\[\s*(SAFE_)?OFFSET\s*\(\s*(\d+)\s*\)\s*\]/i.exec(sql.slice(i)) as RegExpExecArray;
      out += `[${Number(m[2]) + 1}]`;
      i += m[0].length;
    } else {
      out += ch;
      if (!/\s/.test(ch)) lastWord = '';
      i++;
    }
  }
  return out;
}

export const MACROS = [
  'CREATE OR REPLACE MACRO timestamp_trunc(x, u) AS date_trunc(u, x)',
  'CREATE OR REPLACE MACRO bq_date(x) AS CAST(x AS DATE)',
  'CREATE OR REPLACE MACRO approx_quantiles(x, n) AS quantile_disc(x, list_transform(range(n + 1), i -> i / n))',
];

export function translateDuckError(error: unknown): BqError {
  const message = error instanceof Error ? error.message : String(error);
  if (/^Catalog Error: (Table|Schema) with name/i.test(message)) {
    return new BqError(404, 'notFound', `Not found: ${message.split('\n')[0]}`);
  }
  if (/^(Parser|Binder|Catalog|Conversion|Invalid Input|Constraint|Not implemented) Error/i.test(message)) {
    return new BqError(
      400,
      message.startsWith('Conversion') ? 'invalid' : 'invalidQuery',
      message.split('\n')[0] ?? message,
    );
  }
  return new BqError(500, 'internalError', message.split('\n')[0] ?? message);
}
