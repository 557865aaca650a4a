/**
 * Conversions between the portable warehouse values and DuckDB's: the SQL types of the portable
 * schema, values going in (parameters, appended rows) and result vectors coming out, read column by
 * column (DuckDB's row-object helpers are several times slower, and its JSON helpers turn BIGINT
 * into strings).
 */

import {
  type Column,
  DriverError,
  epochDaysOfCivil,
  parseIsoDate,
  type ResultColumn,
  type Row,
  Timestamp,
  type TypedValue,
} from '@cloudmux/core';
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DATE,
  DOUBLE,
  type DuckDBAppender,
  DuckDBBlobValue,
  type DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  JSDuckDBValueConverter,
  TIMESTAMP,
  VARCHAR,
} from '@duckdb/node-api';

const invalid = (_operation: string, message: string) =>
  new DriverError('InvalidArgument', { detail: message });

/** The DuckDB column type of a portable column, as `duckdb_columns()` spells it. */
export function sqlTypeOf(column: Pick<Column, 'type' | 'precision' | 'scale'>): string {
  switch (column.type) {
    case 'string':
      return 'VARCHAR';
    case 'int64':
      return 'BIGINT';
    case 'float64':
      return 'DOUBLE';
    case 'bool':
      return 'BOOLEAN';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'date':
      return 'DATE';
    case 'decimal': {
      const precision = column.precision ?? 38;
      const scale = column.scale ?? 9;
      if (!Number.isInteger(precision) || precision < 1 || precision > 38)
        throw invalid('ensureTable', `decimal precision must be 1–38, got ${precision}`);
      if (!Number.isInteger(scale) || scale < 0 || scale > precision)
        throw invalid('ensureTable', `decimal scale must be 0–precision, got ${scale}`);
      return `DECIMAL(${precision},${scale})`;
    }
    case 'json':
      return 'JSON';
    default:
      throw invalid('ensureTable', `unknown column type ${String(column.type)}`);
  }
}

/** The portable type of a DuckDB result column. */
export function portableTypeOf(type: DuckDBType): ResultColumn['type'] {
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return type.alias === 'JSON' ? 'json' : 'string';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.UHUGEINT:
      return 'int64';
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return 'float64';
    case DuckDBTypeId.BOOLEAN:
      return 'bool';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return 'timestamp';
    case DuckDBTypeId.DATE:
      return 'date';
    case DuckDBTypeId.DECIMAL:
      return 'decimal';
    default:
      return 'unknown';
  }
}

type ColumnReader = (chunk: DuckDBDataChunk, columnIndex: number, out: unknown[]) => void;

/** Appends a vector's items to `out`, mapping non-null items through `map`. */
function readWith<T>(map: (item: T) => unknown): ColumnReader {
  return (chunk, columnIndex, out) => {
    const vector = chunk.getColumnVector(columnIndex);
    const count = chunk.rowCount;
    for (let i = 0; i < count; i++) {
      const item = vector.getItem(i) as T | null;
      out.push(item === null ? null : map(item));
    }
  };
}

const identity = readWith<unknown>((item) => item);
const toBigInt = readWith<number | bigint>((item) => BigInt(item));
const toTimestamp = readWith<{ micros: bigint }>((item) => new Timestamp(item.micros));
const toDateString = readWith<DuckDBDateValue>((item) => item.toString());
const toDecimalString = readWith<DuckDBDecimalValue>((item) => item.toString());
const toParsedJson = readWith<string>((item) => JSON.parse(item));
const timestampScaled = (perMicro: bigint, divide: boolean) =>
  readWith<{ micros?: bigint; millis?: bigint; seconds?: bigint; nanos?: bigint }>((item) => {
    const raw = item.millis ?? item.seconds ?? item.nanos ?? 0n;
    return new Timestamp(divide ? raw / perMicro : raw * perMicro);
  });
const toJs: ColumnReader = (chunk, columnIndex, out) => {
  for (const value of chunk.convertColumnValues(columnIndex, JSDuckDBValueConverter)) out.push(value);
};

/** A reader that appends one column of a chunk, converted to portable values. */
export function columnReaderFor(type: DuckDBType): ColumnReader {
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return type.alias === 'JSON' ? toParsedJson : identity;
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.UHUGEINT:
      return identity;
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
      return toBigInt;
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.BLOB:
      return identity;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return toTimestamp;
    case DuckDBTypeId.TIMESTAMP_S:
      return timestampScaled(1_000_000n, false);
    case DuckDBTypeId.TIMESTAMP_MS:
      return timestampScaled(1_000n, false);
    case DuckDBTypeId.TIMESTAMP_NS:
      return timestampScaled(1_000n, true);
    case DuckDBTypeId.DATE:
      return toDateString;
    case DuckDBTypeId.DECIMAL:
      return toDecimalString;
    default:
      return toJs;
  }
}

/** Turns column arrays into row objects (the shape the Warehouse interface returns). */
export function rowsFromColumns(
  names: readonly string[],
  columns: readonly unknown[][],
  count: number,
): Row[] {
  const rows: Row[] = new Array(count);
  for (let r = 0; r < count; r++) {
    const row: Row = {};
    for (let c = 0; c < names.length; c++) row[names[c]!] = columns[c]![r];
    rows[r] = row;
  }
  return rows;
}

// ---- values going in (already typed and validated by the portable layer) ----

/** An exact DuckDB decimal from portable decimal text; digits beyond the column's scale or width are refused. */
export function decimalOf(text: string, width: number, scale: number): DuckDBDecimalValue {
  const negative = text.startsWith('-');
  const [whole = '', fraction = ''] = text.replace(/^[+-]/, '').split('.');
  if (fraction.length > scale && /[^0]/.test(fraction.slice(scale))) {
    throw invalid('', `decimal ${text} has more than ${scale} fractional digits`);
  }
  const scaled =
    BigInt(`${whole || '0'}${fraction.slice(0, scale).padEnd(scale, '0')}`) * (negative ? -1n : 1n);
  const digits = (scaled < 0n ? -scaled : scaled).toString().length;
  if (digits > width) throw invalid('', `decimal ${text} does not fit DECIMAL(${width},${scale})`);
  return new DuckDBDecimalValue(scaled, width, scale);
}

const fractionDigits = (text: string) => /\.(\d+)/.exec(text)?.[1]?.length ?? 0;
const epochDays = (date: string) => epochDaysOfCivil(parseIsoDate(date));

export interface ParameterBinding {
  value: DuckDBValue;
  /** Stated so DuckDB does not guess (it would bind a bigint as HUGEINT and 1 as INTEGER). */
  type: DuckDBType | undefined;
  /** SQL type the placeholder is cast to: nulls, decimals (exact, with the value's own scale) and JSON. */
  cast: string | undefined;
}

/** A typed parameter as a DuckDB binding. */
export function parameterBinding(typed: TypedValue): ParameterBinding {
  if (typed.value === null) {
    return { value: null, type: undefined, cast: typed.type === 'bytes' ? 'BLOB' : sqlTypeOf(typed) };
  }
  switch (typed.type) {
    case 'string':
      return { value: typed.value, type: VARCHAR, cast: undefined };
    case 'int64':
      return { value: typed.value, type: BIGINT, cast: undefined };
    case 'float64':
      return { value: typed.value, type: DOUBLE, cast: undefined };
    case 'bool':
      return { value: typed.value, type: BOOLEAN, cast: undefined };
    case 'timestamp':
      return { value: new DuckDBTimestampValue(typed.value), type: TIMESTAMP, cast: undefined };
    case 'date':
      return { value: new DuckDBDateValue(epochDays(typed.value)), type: DATE, cast: undefined };
    case 'decimal':
      return {
        value: typed.value,
        type: VARCHAR,
        cast: `DECIMAL(38,${Math.min(fractionDigits(typed.value), 37)})`,
      };
    case 'json':
      return { value: typed.value, type: VARCHAR, cast: 'JSON' };
    case 'bytes':
      return { value: new DuckDBBlobValue(typed.value), type: BLOB, cast: undefined };
  }
}

/** The appender call for a column type, taking the value `appendValueFor` produced (null → NULL). */
export function appendFunction(appender: DuckDBAppender, type: DuckDBType): (value: DuckDBValue) => void {
  const typed = (append: (value: never) => void) => (value: DuckDBValue) =>
    value === null ? appender.appendNull() : append(value as never);
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return typed((v) => appender.appendVarchar(v));
    case DuckDBTypeId.BIGINT:
      return typed((v) => appender.appendBigInt(v));
    case DuckDBTypeId.DOUBLE:
      return typed((v) => appender.appendDouble(v));
    case DuckDBTypeId.BOOLEAN:
      return typed((v) => appender.appendBoolean(v));
    case DuckDBTypeId.TIMESTAMP:
      return typed((v) => appender.appendTimestamp(v));
    case DuckDBTypeId.DATE:
      return typed((v) => appender.appendDate(v));
    case DuckDBTypeId.DECIMAL:
      return typed((v) => appender.appendDecimal(v));
    default:
      return typed((v) => appender.appendValue(v, type));
  }
}

/** A typed row value as the appender takes it for a column of DuckDB type `type`. */
export function appendValueFor(type: DuckDBType, typed: TypedValue): DuckDBValue {
  const { value } = typed;
  if (value === null) return null;
  switch (typed.type) {
    case 'int64':
      return type.typeId === DuckDBTypeId.INTEGER ||
        type.typeId === DuckDBTypeId.SMALLINT ||
        type.typeId === DuckDBTypeId.TINYINT
        ? Number(typed.value)
        : typed.value;
    case 'timestamp':
      return new DuckDBTimestampValue(typed.value!);
    case 'date':
      return new DuckDBDateValue(epochDays(typed.value!));
    case 'decimal': {
      const { width, scale } = type as unknown as { width: number; scale: number };
      return decimalOf(typed.value!, width, scale);
    }
    case 'bytes':
      return new DuckDBBlobValue(typed.value!);
    default:
      return value as DuckDBValue;
  }
}
