/**
 * Values across the wire: DuckDB result columns written as COLMETADATA and ROW tokens, and the
 * typed parameters of an RPC `sp_executesql` call read back into DuckDB values.
 */
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DECIMAL,
  DOUBLE,
  DuckDBDateValue,
  DuckDBDecimalValue,
  type DuckDBPreparedStatement,
  type DuckDBResultReader,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  INTEGER,
  TIMESTAMP,
  VARCHAR,
} from '@duckdb/node-api';
import {
  bvarchar,
  COLLATION,
  DAYS_0001_TO_1970,
  type Param,
  SqlError,
  TOKEN,
  uint16le,
  uint32le,
} from './codec.ts';

// ---------------------------------------------------------------------------------------------
// Results

interface ColumnWriter {
  typeInfo: Buffer;
  write(value: unknown): Buffer;
}

function writerFor(type: DuckDBType): ColumnWriter {
  switch (type.typeId) {
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
      return {
        typeInfo: Buffer.from([0x26, 8]),
        write: (v) => {
          if (v === null) return Buffer.from([0]);
          const b = Buffer.alloc(9);
          b.writeUInt8(8, 0);
          const n = BigInt(v as bigint);
          if (n > 2n ** 63n - 1n || n < -(2n ** 63n))
            throw new SqlError(8115, 'Arithmetic overflow error converting expression to data type bigint.');
          b.writeBigInt64LE(n, 1);
          return b;
        },
      };
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return {
        typeInfo: Buffer.from([0x6d, 8]),
        write: (v) => {
          if (v === null) return Buffer.from([0]);
          const b = Buffer.alloc(9);
          b.writeUInt8(8, 0);
          b.writeDoubleLE(Number(v), 1);
          return b;
        },
      };
    case DuckDBTypeId.BOOLEAN:
      return {
        typeInfo: Buffer.from([0x68, 1]),
        write: (v) => (v === null ? Buffer.from([0]) : Buffer.from([1, v ? 1 : 0])),
      };
    case DuckDBTypeId.DATE:
      return {
        typeInfo: Buffer.from([0x28]),
        write: (v) => {
          if (v === null) return Buffer.from([0]);
          const days = BigInt((v as DuckDBDateValue).days) + DAYS_0001_TO_1970;
          const b = Buffer.alloc(4);
          b.writeUInt8(3, 0);
          b.writeUIntLE(Number(days), 1, 3);
          return b;
        },
      };
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return {
        typeInfo: Buffer.from([0x2a, 7]),
        write: (v) => {
          if (v === null) return Buffer.from([0]);
          const micros = timestampMicros(v, type.typeId);
          const dayMicros = 86_400_000_000n;
          let days = micros / dayMicros;
          let rest = micros % dayMicros;
          if (rest < 0n) {
            rest += dayMicros;
            days -= 1n;
          }
          const b = Buffer.alloc(9);
          b.writeUInt8(8, 0);
          b.writeUIntLE(Number(rest * 10n), 1, 5);
          b.writeUIntLE(Number(days + DAYS_0001_TO_1970), 6, 3);
          return b;
        },
      };
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type as unknown as { width: number; scale: number };
      return {
        typeInfo: Buffer.from([0x6a, 17, width, scale]),
        write: (v) => {
          if (v === null) return Buffer.from([0]);
          const scaled = (v as DuckDBDecimalValue).value;
          const b = Buffer.alloc(18);
          b.writeUInt8(17, 0);
          b.writeUInt8(scaled < 0n ? 0 : 1, 1);
          const magnitude = scaled < 0n ? -scaled : scaled;
          b.writeBigUInt64LE(magnitude & 0xffffffffffffffffn, 2);
          b.writeBigUInt64LE(magnitude >> 64n, 10);
          return b;
        },
      };
    }
    default:
      return {
        typeInfo: Buffer.concat([Buffer.from([0xe7]), uint16le(0xffff), COLLATION]),
        write: (v) => {
          if (v === null) return Buffer.from('ffffffffffffffff', 'hex');
          const text = Buffer.from(typeof v === 'string' ? v : String(v), 'utf16le');
          const total = Buffer.alloc(8);
          total.writeBigUInt64LE(BigInt(text.length));
          return text.length === 0
            ? Buffer.concat([total, uint32le(0)])
            : Buffer.concat([total, uint32le(text.length), text, uint32le(0)]);
        },
      };
  }
}

function timestampMicros(value: unknown, typeId: DuckDBTypeId): bigint {
  const v = value as { micros?: bigint; seconds?: bigint; millis?: bigint; nanos?: bigint };
  if (v.micros !== undefined) return v.micros;
  if (v.millis !== undefined) return v.millis * 1000n;
  if (v.seconds !== undefined) return v.seconds * 1_000_000n;
  if (v.nanos !== undefined) return v.nanos / 1000n;
  throw new SqlError(50000, `unexpected timestamp value for type ${typeId}`);
}

export function resultSet(result: DuckDBResultReader): Buffer {
  const names = result.columnNames();
  const types = result.columnTypes();
  const writers = types.map(writerFor);
  const parts: Buffer[] = [Buffer.from([TOKEN.COLMETADATA]), uint16le(names.length)];
  names.forEach((name, i) => {
    parts.push(uint32le(0), uint16le(0x0001 | 0x0008), (writers[i] as ColumnWriter).typeInfo, bvarchar(name));
  });
  for (const row of result.getRows()) {
    parts.push(Buffer.from([TOKEN.ROW]));
    for (const [i, value] of row.entries()) parts.push((writers[i] as ColumnWriter).write(value));
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// RPC parameters

export function parseRpc(body: Buffer): { sql: string; params: Param[] } {
  let offset = body.readUInt32LE(0);
  const nameLength = body.readUInt16LE(offset);
  offset += 2;
  if (nameLength === 0xffff) {
    const procId = body.readUInt16LE(offset);
    offset += 2;
    if (procId !== 10) throw new SqlError(2812, `Could not find stored procedure with id ${procId}.`);
  } else {
    const name = body.toString('utf16le', offset, offset + nameLength * 2);
    offset += nameLength * 2;
    if (!/sp_executesql$/i.test(name)) throw new SqlError(2812, `Could not find stored procedure '${name}'.`);
  }
  offset += 2; // option flags
  const values: Param[] = [];
  while (offset < body.length) {
    const nameChars = body.readUInt8(offset);
    offset += 1;
    const name = body.toString('utf16le', offset, offset + nameChars * 2).replace(/^@/, '');
    offset += nameChars * 2;
    offset += 1; // status flags
    const read = readTypedValue(body, offset);
    offset = read.offset;
    values.push({ name, value: read.value, type: read.type });
  }
  const [statement, , ...rest] = values;
  return { sql: String(statement?.value ?? ''), params: rest };
}

function readTypedValue(b: Buffer, start: number): { value: unknown; type: DuckDBType; offset: number } {
  let o = start;
  const typeId = b.readUInt8(o++);
  switch (typeId) {
    case 0x26: {
      o++; // max length
      const len = b.readUInt8(o++);
      const type = len === 8 ? BIGINT : INTEGER;
      if (len === 0) return { value: null, type, offset: o };
      const value =
        len === 8
          ? b.readBigInt64LE(o)
          : len === 4
            ? b.readInt32LE(o)
            : len === 2
              ? b.readInt16LE(o)
              : b.readUInt8(o);
      return { value: len === 8 ? value : Number(value), type, offset: o + len };
    }
    case 0x6d: {
      o++;
      const len = b.readUInt8(o++);
      if (len === 0) return { value: null, type: DOUBLE, offset: o };
      return { value: len === 8 ? b.readDoubleLE(o) : b.readFloatLE(o), type: DOUBLE, offset: o + len };
    }
    case 0x68: {
      o++;
      const len = b.readUInt8(o++);
      if (len === 0) return { value: null, type: BOOLEAN, offset: o };
      return { value: b.readUInt8(o) !== 0, type: BOOLEAN, offset: o + len };
    }
    case 0xe7:
    case 0xa7:
    case 0xef:
    case 0xaf: {
      const maxLength = b.readUInt16LE(o);
      o += 2 + 5; // collation
      const encoding = typeId === 0xe7 || typeId === 0xef ? 'utf16le' : 'latin1';
      if (maxLength === 0xffff) {
        const plp = readPlp(b, o);
        return {
          value: plp.data === null ? null : plp.data.toString(encoding),
          type: VARCHAR,
          offset: plp.offset,
        };
      }
      const len = b.readUInt16LE(o);
      o += 2;
      if (len === 0xffff) return { value: null, type: VARCHAR, offset: o };
      return { value: b.toString(encoding, o, o + len), type: VARCHAR, offset: o + len };
    }
    case 0x28: {
      const len = b.readUInt8(o++);
      if (len === 0) return { value: null, type: DATE, offset: o };
      const days = BigInt(b.readUIntLE(o, 3)) - DAYS_0001_TO_1970;
      return { value: new DuckDBDateValue(Number(days)), type: DATE, offset: o + 3 };
    }
    case 0x2a: {
      const scale = b.readUInt8(o++);
      const len = b.readUInt8(o++);
      if (len === 0) return { value: null, type: TIMESTAMP, offset: o };
      const timeLength = len - 3;
      const units = BigInt(b.readUIntLE(o, timeLength));
      const days = BigInt(b.readUIntLE(o + timeLength, 3)) - DAYS_0001_TO_1970;
      const micros = scale >= 6 ? units / 10n ** BigInt(scale - 6) : units * 10n ** BigInt(6 - scale);
      return {
        value: new DuckDBTimestampValue(days * 86_400_000_000n + micros),
        type: TIMESTAMP,
        offset: o + len,
      };
    }
    case 0x6a:
    case 0x6c: {
      o++; // max length
      const precision = b.readUInt8(o++);
      const scale = b.readUInt8(o++);
      const type = DECIMAL(precision, scale);
      const len = b.readUInt8(o++);
      if (len === 0) return { value: null, type, offset: o };
      const positive = b.readUInt8(o) === 1;
      let magnitude = 0n;
      for (let i = len - 1; i >= 1; i--) magnitude = (magnitude << 8n) | BigInt(b.readUInt8(o + i));
      return {
        value: new DuckDBDecimalValue(positive ? magnitude : -magnitude, precision, scale),
        type,
        offset: o + len,
      };
    }
    case 0xa5:
    case 0xad: {
      const maxLength = b.readUInt16LE(o);
      o += 2;
      if (maxLength === 0xffff) {
        const plp = readPlp(b, o);
        return {
          value: plp.data === null ? null : plp.data.toString('hex'),
          type: VARCHAR,
          offset: plp.offset,
        };
      }
      const len = b.readUInt16LE(o);
      o += 2;
      if (len === 0xffff) return { value: null, type: VARCHAR, offset: o };
      return { value: b.toString('hex', o, o + len), type: VARCHAR, offset: o + len };
    }
    default:
      throw new SqlError(
        8016,
        `The TDS test server does not decode parameter type 0x${typeId.toString(16)}.`,
      );
  }
}

function readPlp(b: Buffer, start: number): { data: Buffer | null; offset: number } {
  let o = start;
  const total = b.readBigUInt64LE(o);
  o += 8;
  if (total === 0xffffffffffffffffn) return { data: null, offset: o };
  const chunks: Buffer[] = [];
  for (;;) {
    const len = b.readUInt32LE(o);
    o += 4;
    if (len === 0) break;
    chunks.push(b.subarray(o, o + len));
    o += len;
  }
  return { data: Buffer.concat(chunks), offset: o };
}

export function bind(prepared: DuckDBPreparedStatement, params: Param[]): void {
  const byName = new Map(params.map((p) => [p.name.toLowerCase(), p]));
  for (let index = 1; index <= prepared.parameterCount; index++) {
    const name = prepared.parameterName(index);
    const param = byName.get(name.toLowerCase());
    if (!param) throw new SqlError(137, `Must declare the scalar variable "@${name}".`);
    if (param.value === null) prepared.bindNull(index);
    else prepared.bindValue(index, param.value as never, param.type);
  }
}
