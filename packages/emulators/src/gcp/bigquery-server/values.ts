/**
 * The BigQuery test server's data model: its table, job and error types, and values between
 * BigQuery's JSON API and DuckDB (types, SQL literals, wire text, the bytes BigQuery bills per value).
 */

import type { DuckDBType } from '@duckdb/node-api';

export interface BqField {
  name: string;
  type: string;
  mode?: string;
  precision?: string;
  scale?: string;
}

export interface TableMeta {
  fields: BqField[];
  created: number;
}

export interface QueryJobResult {
  fields: BqField[];
  /** Wire values per row (strings or null), already formatted with int64 timestamps. */
  rows: Array<Array<string | null>>;
}

export interface Job {
  resource: Record<string, unknown>;
  result?: QueryJobResult;
  error?: BqError;
}

export class BqError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

export const MB = 1024 * 1024;
/** How long an insertId deduplicates later rows (BigQuery documents "at least one minute"). */
export const INSERT_ID_WINDOW_MS = 60_000;

export const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  500: 'INTERNAL',
};

/** BigQuery type (legacy names included) → canonical GoogleSQL name. */
export function canonicalType(type: string): string {
  const t = type.toUpperCase();
  if (t === 'INTEGER') return 'INT64';
  if (t === 'FLOAT') return 'FLOAT64';
  if (t === 'BOOLEAN') return 'BOOL';
  return t;
}

export function duckType(field: Pick<BqField, 'type'>): string {
  switch (canonicalType(field.type)) {
    case 'INT64':
      return 'BIGINT';
    case 'FLOAT64':
      return 'DOUBLE';
    case 'BOOL':
      return 'BOOLEAN';
    case 'STRING':
      return 'VARCHAR';
    case 'TIMESTAMP':
      return 'TIMESTAMP';
    case 'DATE':
      return 'DATE';
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return 'DECIMAL(38, 9)';
    case 'JSON':
      return 'JSON';
    case 'BYTES':
      return 'BLOB';
    default:
      throw new BqError(400, 'invalid', `unsupported type ${field.type}`);
  }
}

export function bqTypeOf(type: DuckDBType): string {
  const name = String(type);
  if ((type as { alias?: string }).alias === 'JSON') return 'JSON';
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT)$/.test(name))
    return 'INT64';
  if (/^(DOUBLE|FLOAT)$/.test(name)) return 'FLOAT64';
  if (name === 'BOOLEAN') return 'BOOL';
  if (name.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  if (name === 'DATE') return 'DATE';
  if (name.startsWith('DECIMAL')) return 'NUMERIC';
  if (name === 'BLOB') return 'BYTES';
  return 'STRING';
}

/** Bytes per value as BigQuery's pricing counts them. */
export function valueBytes(type: string, value: string | null): number {
  if (value === null) return 0;
  switch (canonicalType(type)) {
    case 'BOOL':
      return 1;
    case 'NUMERIC':
      return 16;
    case 'BIGNUMERIC':
      return 32;
    case 'STRING':
    case 'JSON':
    case 'BYTES':
      return 2 + Buffer.byteLength(value);
    default:
      return 8;
  }
}

/** A DuckDB value → BigQuery's wire text (TIMESTAMP as int64 microseconds). */
export function wireValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && value !== null && 'micros' in value) {
    return String((value as { micros: bigint }).micros);
  }
  return String(value);
}

export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** Normalises a timestamp literal to DuckDB's `YYYY-MM-DD HH:MM:SS.ffffff` in UTC. */
function timestampText(value: unknown): string {
  if (typeof value === 'number') {
    const micros = BigInt(Math.round(value * 1e6));
    return microsToText(micros);
  }
  const text = String(value).trim();
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d{1,9})?\s*(Z|UTC|[+-]\d{2}:?\d{2})?$/i.exec(
    text,
  );
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return `${text} 00:00:00`;
    throw new BqError(400, 'invalid', `Could not parse '${text}' as a timestamp`);
  }
  const time = (m[2] as string).length === 5 ? `${m[2]}:00` : (m[2] as string);
  const fraction = (m[3] ?? '').slice(0, 7);
  const zone = m[4];
  if (zone && !/^(Z|UTC|[+-]00:?00)$/i.test(zone)) {
    const ms = Date.parse(
      `${m[1]}T${time}${fraction.slice(0, 4)}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`,
    );
    if (Number.isNaN(ms)) throw new BqError(400, 'invalid', `Could not parse '${text}' as a timestamp`);
    const extra = BigInt((fraction.slice(4) || '0').padEnd(3, '0'));
    return microsToText(BigInt(ms) * 1000n + extra);
  }
  return `${m[1]} ${time}${fraction}`;
}

function microsToText(micros: bigint): string {
  const ms = Number((micros - (((micros % 1000n) + 1000n) % 1000n)) / 1000n);
  const rest = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${rest.toString().padStart(6, '0')}`;
}

/** A typed SQL literal for a JSON-API value of a column or parameter type. */
export function literal(type: string, value: unknown): string {
  if (value === null || value === undefined) return `CAST(NULL AS ${duckType({ type })})`;
  const t = canonicalType(type);
  switch (t) {
    case 'INT64': {
      const text = String(value);
      if (!/^-?\d+$/.test(text))
        throw new BqError(400, 'invalid', `Cannot convert value to integer: ${text}`);
      return `CAST(${sqlString(text)} AS BIGINT)`;
    }
    case 'FLOAT64': {
      const text = String(value);
      if (!/^(-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|NaN|-?Infinity|-?inf)$/.test(text)) {
        throw new BqError(400, 'invalid', `Cannot convert value to floating point: ${text}`);
      }
      return `CAST(${sqlString(text)} AS DOUBLE)`;
    }
    case 'BOOL': {
      const text = String(value).toLowerCase();
      if (text !== 'true' && text !== 'false')
        throw new BqError(400, 'invalid', `Cannot convert value to boolean`);
      return text;
    }
    case 'TIMESTAMP':
      return `CAST(${sqlString(timestampText(value))} AS TIMESTAMP)`;
    case 'DATE': {
      const text = String(value);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text))
        throw new BqError(400, 'invalid', `Could not parse '${text}' as a date`);
      return `CAST(${sqlString(text)} AS DATE)`;
    }
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return `CAST(${sqlString(String(value))} AS DECIMAL(38, 9))`;
    case 'JSON':
      return `CAST(${sqlString(typeof value === 'string' ? value : JSON.stringify(value))} AS JSON)`;
    case 'STRING':
      return sqlString(typeof value === 'string' ? value : JSON.stringify(value));
    default:
      throw new BqError(400, 'invalid', `unsupported type ${type}`);
  }
}
