/**
 * The part of the BigQuery driver that compiles values (the dialect's BigQuery specifics): column
 * types to table fields and back, typed parameters and inserted values to the REST API's wire form,
 * and result cells decoded by their field type.
 */
import { type Column, type ColumnType, Timestamp, type TypedValue } from '@cloudmux/core';

export interface BqField {
  name: string;
  type: string;
  mode?: string;
  precision?: string;
  scale?: string;
}

export interface QueryResponse {
  schema?: { fields?: BqField[] };
  rows?: Array<{ f: Array<{ v: unknown }> }>;
  pageToken?: string;
  jobComplete?: boolean;
  totalRows?: string;
}

export const BQ_TYPE: Record<ColumnType, string> = {
  string: 'STRING',
  int64: 'INT64',
  float64: 'FLOAT64',
  bool: 'BOOL',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
  decimal: 'NUMERIC',
  json: 'JSON',
};

export function canonicalType(type: string): string {
  const t = type.toUpperCase();
  if (t === 'INTEGER') return 'INT64';
  if (t === 'FLOAT') return 'FLOAT64';
  if (t === 'BOOLEAN') return 'BOOL';
  return t;
}

export function columnTypeOf(type: string): ColumnType | 'unknown' {
  switch (canonicalType(type)) {
    case 'INT64':
      return 'int64';
    case 'FLOAT64':
      return 'float64';
    case 'BOOL':
      return 'bool';
    case 'STRING':
      return 'string';
    case 'TIMESTAMP':
      return 'timestamp';
    case 'DATE':
      return 'date';
    case 'NUMERIC':
    case 'BIGNUMERIC':
      return 'decimal';
    case 'JSON':
      return 'json';
    default:
      return 'unknown';
  }
}

export function fieldOf(column: Column): BqField {
  let type = BQ_TYPE[column.type];
  const field: BqField = {
    name: column.name,
    type,
    mode: column.nullable === false ? 'REQUIRED' : 'NULLABLE',
  };
  if (column.type === 'decimal') {
    const precision = column.precision ?? 38;
    const scale = column.scale ?? 9;
    // NUMERIC holds at most 29 integer digits and 9 fractional ones; wider needs BIGNUMERIC.
    if (scale > 9 || precision - scale > 29) type = 'BIGNUMERIC';
    field.type = type;
    if (column.precision !== undefined || column.scale !== undefined) {
      field.precision = String(precision);
      field.scale = String(scale);
    }
  }
  return field;
}

/** A wire value of a query result → the core's JS value. */
export function decode(type: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const text = String(value);
  switch (canonicalType(type)) {
    case 'INT64':
      return BigInt(text);
    case 'FLOAT64':
      // Number() also reads the 'NaN', 'Infinity' and '-Infinity' BigQuery sends for FLOAT64.
      return Number(text);
    case 'BOOL':
      return text === 'true';
    case 'TIMESTAMP':
      // With useInt64Timestamp the value is epoch microseconds; older servers send float seconds.
      return /^-?\d+$/.test(text)
        ? new Timestamp(BigInt(text))
        : Timestamp.fromDate(new Date(Number(text) * 1000));
    case 'JSON':
      return JSON.parse(text);
    default:
      return text;
  }
}

export interface QueryParameter {
  name: string;
  parameterType: { type: string };
  parameterValue: { value?: string };
}

/** NUMERIC holds 29 integer and 9 fractional digits; a wider decimal parameter is BIGNUMERIC. */
export function decimalType(text: string): string {
  const [whole = '', fraction = ''] = text.replace(/^-/, '').split('.');
  return fraction.length > 9 || whole.replace(/^0+/, '').length > 29 ? 'BIGNUMERIC' : 'NUMERIC';
}

const BYTES_TYPE = 'BYTES';

/** A typed value → its GoogleSQL type and wire text (null: no value). */
export function wire(value: TypedValue): { type: string; text: string | undefined } {
  if (value.value === null)
    return { type: value.type === 'bytes' ? BYTES_TYPE : BQ_TYPE[value.type], text: undefined };
  switch (value.type) {
    case 'timestamp':
      return { type: 'TIMESTAMP', text: new Timestamp(value.value).toISOStringMicros() };
    case 'decimal':
      return { type: decimalType(value.value), text: value.value };
    case 'bytes':
      return { type: BYTES_TYPE, text: Buffer.from(value.value).toString('base64') };
    case 'int64':
    case 'float64':
    case 'bool':
      return { type: BQ_TYPE[value.type], text: String(value.value) };
    default:
      return { type: BQ_TYPE[value.type], text: value.value };
  }
}

export function queryParameter(name: string, value: TypedValue): QueryParameter {
  const { type, text } = wire(value);
  return { name, parameterType: { type }, parameterValue: text === undefined ? {} : { value: text } };
}

/** A typed row value → the JSON insertAll expects for its column. */
export function insertValue(value: TypedValue): unknown {
  if (value.value === null) return null;
  switch (value.type) {
    case 'float64':
    case 'bool':
    case 'string':
      return value.value;
    default:
      return wire(value).text;
  }
}
