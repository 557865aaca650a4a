/**
 * SQL the Data API accepts, as PGlite runs it: `:name` parameters bound to `$n`, Redshift's
 * `COPY … FROM 's3://…'` parsed (the server runs the load itself), identifiers and values as text.
 */
import { ApiError } from './model.ts';

/** Rewrites `:name` placeholders to `$n` outside literals, quoted identifiers, comments and `::` casts. */
export function bindNamedParameters(
  sql: string,
  parameters: Array<{ name: string; value: string }> = [],
): { text: string; values: string[] } {
  const index = new Map<string, number>();
  const values: string[] = [];
  const given = new Map(parameters.map((p) => [p.name, p.value]));
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) {
            j += 2;
            continue;
          }
          break;
        }
        j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '$' && /^\$(?:[A-Za-z_]\w*)?\$/.test(sql.slice(i, i + 66))) {
      // Dollar-quoted text: $$…$$ or $tag$…$tag$
      const tag = /^\$(?:[A-Za-z_]\w*)?\$/.exec(sql.slice(i, i + 66))![0];
      const end = sql.indexOf(tag, i + tag.length);
      const stop = end === -1 ? sql.length : end + tag.length;
      out += sql.slice(i, stop);
      i = stop;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (ch === ':' && sql[i + 1] === ':') {
      out += '::';
      i += 2;
    } else if (ch === ':' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      let end = i + 1;
      while (end < sql.length && /\w/.test(sql[end]!)) end++;
      const name = sql.slice(i + 1, end);
      if (!given.has(name)) {
        throw new ApiError('ValidationException', `Parameter ${name} is referenced but has no value.`);
      }
      let n = index.get(name);
      if (n === undefined) {
        values.push(given.get(name)!);
        n = values.length;
        index.set(name, n);
      }
      out += `$${n}`;
      i = end;
    } else {
      out += ch;
      i++;
    }
  }
  for (const name of given.keys()) {
    if (!index.has(name))
      throw new ApiError('ValidationException', `Parameter ${name} is not used in the SQL.`);
  }
  return { text: out, values };
}

const COPY_RE =
  /^\s*copy\s+((?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))?)\s*(?:\(([^)]*)\))?\s+from\s+'s3:\/\/([^/']+)\/((?:[^']|'')*)'([\s\S]*)$/i;

export interface CopyCommand {
  table: string;
  columns?: string[];
  bucket: string;
  key: string;
  format: 'csv' | 'parquet' | 'json';
  ignoreHeader: number;
  delimiter: string;
  manifest: boolean;
}

export function parseCopy(sql: string): CopyCommand | undefined {
  const match = COPY_RE.exec(sql.trim().replace(/;\s*$/, ''));
  if (!match) return undefined;
  const options = match[5] ?? '';
  const format = /format\s+(?:as\s+)?parquet/i.test(options)
    ? 'parquet'
    : /format\s+(?:as\s+)?json|\bjson\s+'auto'/i.test(options)
      ? 'json'
      : 'csv';
  return {
    table: match[1]!,
    ...(match[2] ? { columns: match[2].split(',').map((c) => c.trim()) } : {}),
    bucket: match[3]!,
    key: match[4]!.replaceAll("''", "'"),
    format,
    ignoreHeader: Number(/ignoreheader\s+(?:as\s+)?(\d+)/i.exec(options)?.[1] ?? 0),
    delimiter: /delimiter\s+(?:as\s+)?'([^']+)'/i.exec(options)?.[1] ?? ',',
    manifest: /\bmanifest\b/i.test(options),
  };
}

/** JSON integers beyond 2^53 kept exact (Redshift reads them into BIGINT without rounding). */
export function exactIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && /^-?\d+$/.test(context?.source ?? '')) {
    return BigInt(context!.source!);
  }
  return value;
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object')
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return String(value);
}
