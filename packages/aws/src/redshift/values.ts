/**
 * The part of the Redshift driver that compiles and decodes (the dialect's Redshift specifics):
 * column types, typed parameters as Data API placeholders, result fields back to portable values,
 * and the database messages that decide an error's code.
 */
import type {
  ColumnMetadata,
  Field,
  GetStatementResultCommand,
  SqlParameter,
} from '@aws-sdk/client-redshift-data';
import {
  type Column,
  type ColumnType,
  type ErrorCode,
  Timestamp,
  type TypedValue,
  timestampText,
} from '@cloudmux/core';

export const SQL_TYPES: Record<ColumnType, (c: Column) => string> = {
  string: () => 'VARCHAR(65535)',
  int64: () => 'BIGINT',
  float64: () => 'DOUBLE PRECISION',
  bool: () => 'BOOLEAN',
  timestamp: () => 'TIMESTAMP',
  date: () => 'DATE',
  decimal: (c) => `DECIMAL(${c.precision ?? 38}, ${c.scale ?? 9})`,
  json: () => 'SUPER',
};

/** information_schema / Data API type names → portable column types. */
export function columnTypeOf(typeName: string | undefined): ColumnType | 'unknown' {
  const t = (typeName ?? '').toLowerCase();
  if (/^(int[248]?|bigint|integer|smallint)$/.test(t)) return 'int64';
  if (/^(float[48]?|double precision|real)$/.test(t)) return 'float64';
  if (/^(bool|boolean)$/.test(t)) return 'bool';
  if (/^(varchar|bpchar|char|text|character varying|character|name)$/.test(t)) return 'string';
  if (/^timestamp( without time zone)?$/.test(t) || t === 'timestamptz' || t === 'timestamp with time zone')
    return 'timestamp';
  if (t === 'date') return 'date';
  if (t === 'numeric' || t === 'decimal') return 'decimal';
  if (t === 'super' || t === 'jsonb' || t === 'json') return 'json';
  return 'unknown';
}

/** Redshift timestamps come as `YYYY-MM-DD HH:MM:SS[.ffffff][+00]`; kept to the microsecond. */
export function parseTimestamp(text: string): Timestamp {
  const m =
    /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?)?/.exec(
      text,
    );
  if (!m) return Timestamp.fromDate(new Date(text));
  const seconds =
    BigInt(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))) /
    1000n;
  const micros = BigInt((m[7] ?? '').padEnd(6, '0') || '0');
  const offset = m[8] ? (m[8] === '-' ? -1n : 1n) * (BigInt(m[9]!) * 3600n + BigInt(m[10] ?? '0') * 60n) : 0n;
  return new Timestamp((seconds - offset) * 1_000_000n + micros);
}

export function fieldValue(field: Field, column: ColumnMetadata | undefined): unknown {
  if (field.isNull) return null;
  const type = columnTypeOf(column?.typeName);
  if (field.longValue !== undefined) return BigInt(field.longValue);
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.blobValue !== undefined) return field.blobValue;
  const text = field.stringValue ?? '';
  switch (type) {
    case 'timestamp':
      return parseTimestamp(text);
    case 'json':
      return JSON.parse(text);
    case 'int64':
      return BigInt(text);
    case 'float64':
      return Number(text);
    default:
      return text;
  }
}

/** Maps a failed statement's database message to a code; the message itself is kept. */
export function sqlErrorCode(message: string): ErrorCode {
  if (/permission denied/i.test(message)) return 'PermissionDenied';
  if (/already exists/i.test(message)) return 'AlreadyExists';
  if (/does not exist/i.test(message)) return 'NotFound';
  if (/could not serialize|deadlock|serializable isolation/i.test(message)) return 'Unavailable';
  return 'InvalidArgument';
}

/**
 * The Data API writes BIGINT values as JSON numbers (`longValue`), which JSON.parse rounds beyond
 * 2^53. Before the SDK parses a GetStatementResult response, long integers of 16+ digits are
 * rewritten as `stringValue`, which `fieldValue` turns into an exact bigint for int64 columns.
 */
type ResultMiddleware = Parameters<GetStatementResultCommand['middlewareStack']['addRelativeTo']>[0];
export const exactLongs: ResultMiddleware = ((next: (args: unknown) => Promise<{ response: unknown }>) =>
  async (args: unknown) => {
    const result = await next(args);
    const response = result.response as { body?: unknown };
    const body = response.body;
    if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
      const chunks: Buffer[] = [];
      for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
      const text = Buffer.concat(chunks).toString('utf8');
      response.body = Buffer.from(text.replace(/"longValue"\s*:\s*(-?\d{16,})/g, '"stringValue":"$1"'));
    }
    return result;
  }) as unknown as ResultMiddleware;

export function sqlType(type: ColumnType): string {
  return SQL_TYPES[type]({ name: '', type });
}

/** Decimal parameters keep their own scale (the column default of 9 would round finer values). */
export const decimalType = (text: string) =>
  `DECIMAL(38, ${Math.min(/\.(\d+)/.exec(text)?.[1]?.length ?? 0, 37)})`;

/**
 * The SQL for one typed value, pushing its text parameter onto `parameters` when it has one. Data
 * API parameters are strings (an empty one is refused, so the empty string is a literal), cast to
 * the value's type; timestamps travel as UTC text with six fractional digits.
 */
export function placeholder(value: TypedValue, name: string, parameters: SqlParameter[]): string {
  if (value.value === null) {
    return value.type === 'bytes' ? 'CAST(NULL AS VARBYTE)' : `CAST(NULL AS ${sqlType(value.type)})`;
  }
  const bind = (text: string, wrap: (p: string) => string) => {
    if (text === '') return wrap("''");
    parameters.push({ name, value: text });
    return wrap(`:${name}`);
  };
  switch (value.type) {
    case 'string':
      return bind(value.value, (p) => p);
    case 'int64':
      return bind(value.value.toString(), (p) => `CAST(${p} AS BIGINT)`);
    case 'float64':
      return bind(String(value.value), (p) => `CAST(${p} AS DOUBLE PRECISION)`);
    case 'bool':
      return bind(String(value.value), (p) => `CAST(${p} AS BOOLEAN)`);
    case 'timestamp':
      return bind(timestampText(value.value), (p) => `CAST(${p} AS TIMESTAMP)`);
    case 'date':
      return bind(value.value, (p) => `CAST(${p} AS DATE)`);
    case 'decimal': {
      const type = decimalType(value.value);
      return bind(value.value, (p) => `CAST(${p} AS ${type})`);
    }
    case 'json':
      return bind(value.value, (p) => `JSON_PARSE(${p})`);
    case 'bytes':
      return bind(Buffer.from(value.value).toString('hex'), (p) => `FROM_HEX(${p})`);
  }
}
