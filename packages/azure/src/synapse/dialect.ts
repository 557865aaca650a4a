/**
 * The part of the Synapse driver that quotes and compiles (the T-SQL dialect's Synapse specifics):
 * column types, INFORMATION_SCHEMA types back to portable ones, and typed parameters bound with
 * their SQL types.
 */
import {
  type Column,
  type ColumnType,
  DriverError,
  rewriteNamedParameters,
  Timestamp,
  type TypedValue,
  tsqlDialect,
} from '@cloudmux/core';
import sql from 'mssql';

export function sqlTypeOf(column: Column): string {
  switch (column.type) {
    case 'string':
      return 'NVARCHAR(4000)';
    case 'int64':
      return 'BIGINT';
    case 'float64':
      return 'FLOAT';
    case 'bool':
      return 'BIT';
    case 'timestamp':
      return 'DATETIME2(6)';
    case 'date':
      return 'DATE';
    case 'decimal':
    case 'json':
      throw new DriverError('Unsupported', {
        detail: `column type ${column.type} (capability ${column.type === 'json' ? 'jsonType' : 'decimalType'})`,
      });
    default:
      throw new DriverError('InvalidArgument', { detail: `unknown column type ${String(column.type)}` });
  }
}

/** INFORMATION_SCHEMA data types of the columns this adapter creates, by portable type. */
const DATA_TYPES: Record<string, ColumnType> = {
  nvarchar: 'string',
  varchar: 'string',
  bigint: 'int64',
  int: 'int64',
  integer: 'int64',
  float: 'float64',
  double: 'float64',
  bit: 'bool',
  boolean: 'bool',
  datetime2: 'timestamp',
  timestamp: 'timestamp',
  date: 'date',
};

export function portableOf(dataType: string): ColumnType {
  return DATA_TYPES[dataType.replace(/\(.*$/, '').trim()] ?? 'string';
}

export function assertSameColumns(
  table: string,
  wanted: readonly Column[],
  existing: Array<{ name: string; dataType: string }>,
): void {
  const same =
    wanted.length === existing.length &&
    wanted.every((column, i) => {
      const found = existing[i];
      return (
        found !== undefined &&
        found.name.toLowerCase() === column.name.toLowerCase() &&
        portableOf(found.dataType) === column.type
      );
    });
  if (!same) {
    throw new DriverError('InvalidArgument', {
      detail: `table '${table}' exists with columns (${existing.map((c) => `${c.name} ${c.dataType}`).join(', ')}), not the requested ones`,
    });
  }
}

/**
 * Declares each typed parameter with its SQL type and returns the SQL with the placeholders that
 * need a cast (exact decimals travel as text). Nulls keep their type, so a NULL in a UNION ALL row
 * or a comparison is typed like its column.
 */
export function bind(
  request: sql.Request,
  text: string,
  parameters: ReadonlyMap<string, TypedValue> | undefined,
): string {
  if (!parameters || parameters.size === 0) return text;
  const casts = new Map<string, string>();
  for (const [name, value] of parameters) {
    const { type, wire, cast } = mssqlParameter(value);
    request.input(name, type, wire);
    if (cast) casts.set(name, cast);
  }
  if (casts.size === 0) return text;
  return rewriteNamedParameters(
    text,
    (name) => {
      const cast = casts.get(name);
      return cast ? `CAST(@${name} AS ${cast})` : `@${name}`;
    },
    tsqlDialect.parameterSyntax,
  );
}

/** A typed value as an mssql parameter: its SQL type, the value tedious writes, and a cast if any. */
function mssqlParameter(value: TypedValue): {
  type: sql.ISqlType | (() => sql.ISqlType);
  wire: unknown;
  cast?: string;
} {
  switch (value.type) {
    case 'string':
      return { type: sql.NVarChar(sql.MAX), wire: value.value };
    case 'int64':
      return { type: sql.BigInt, wire: value.value };
    case 'float64':
      return { type: sql.Float, wire: value.value };
    case 'bool':
      return { type: sql.Bit, wire: value.value };
    case 'timestamp':
      // Scale 6: the microseconds the capability promises, carried below the millisecond by tedious.
      return { type: sql.DateTime2(6), wire: value.value === null ? null : dateWithMicros(value.value) };
    case 'date':
      return { type: sql.Date, wire: value.value === null ? null : new Date(`${value.value}T00:00:00Z`) };
    case 'decimal': {
      const scale = Math.min(/\.(\d+)/.exec(value.value ?? '')?.[1]?.length ?? 0, 37);
      return { type: sql.NVarChar(100), wire: value.value, cast: `DECIMAL(38, ${scale})` };
    }
    case 'json':
      // T-SQL keeps JSON as text (OPENJSON and JSON_VALUE read NVARCHAR).
      return { type: sql.NVarChar(sql.MAX), wire: value.value };
    case 'bytes':
      return { type: sql.VarBinary(sql.MAX), wire: value.value === null ? null : Buffer.from(value.value) };
  }
}

/**
 * tedious takes a Date with an optional `nanosecondDelta` (seconds below the millisecond) for
 * DATETIME2; a timestamp's microseconds travel that way.
 */
function dateWithMicros(epochMicros: bigint): Date {
  const timestamp = new Timestamp(epochMicros);
  const date = new Date(timestamp.getTime());
  const extraMicros = Number(((epochMicros % 1000n) + 1000n) % 1000n);
  Object.defineProperty(date, 'nanosecondDelta', { value: extraMicros / 1e6, enumerable: false });
  return date;
}
