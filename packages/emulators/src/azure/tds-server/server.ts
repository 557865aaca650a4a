/**
 * A wire-compatible SQL Server / Synapse SQL endpoint for the unmodified `mssql`/`tedious` client,
 * executing on DuckDB. Azure ships no Synapse emulator.
 *
 * Speaks TDS 7.4: PRELOGIN (answers ENCRYPT_NOT_SUP, so the client must set `encrypt: false`),
 * LOGIN7 → LOGINACK + ENVCHANGE (database, packet size, collation) + DONE, SQL_BATCH, RPC
 * `sp_executesql` with typed parameters, Transaction Manager requests (begin/commit/rollback),
 * ATTENTION (cancel) → DONE with the ATTN flag. Results are COLMETADATA/ROW/DONE; failures are
 * ERROR tokens carrying SQL Server error numbers (208 missing object, 2714 exists, 102 syntax, 207
 * bad column, 213 column count, 245 conversion, 515 NULL into NOT NULL, 8115 overflow, 50000 other).
 * `COPY INTO … FROM 'http(s)://…'` downloads each file (with the SAS of a `Shared Access Signature`
 * credential) and loads it with DuckDB's CSV/Parquet readers. `injectFault(count, number)` makes
 * the next requests fail with a given error number (a failover's 40613, throttling's 10928, …), so
 * tests can drive the client's transient-fault handling.
 *
 * T-SQL translated to DuckDB: [bracket] identifiers, N'…' literals, @params, TOP n of the outer SELECT,
 * CAST/CREATE types (NVARCHAR/VARCHAR(n|MAX), DATETIME2(n), DATETIME, BIT, FLOAT), DATETRUNC,
 * DATEPART, ISNULL, LEN, GETUTCDATE/SYSUTCDATETIME, COUNT_BIG, PERCENTILE_CONT/DISC … WITHIN GROUP
 * (ORDER BY …) OVER (…) (→ quantile_cont/disc), `WITH (DISTRIBUTION = …)` table
 * options (dropped), `IF OBJECT_ID(…) IS NOT NULL DROP TABLE`, INFORMATION_SCHEMA (DuckDB's own),
 * JSON_VALUE → json_extract_string, PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY x) → quantile_cont(x, p).
 *
 * Known divergences from Synapse SQL (not translated or not modelled):
 * - OFFSET … FETCH is refused with error 102, as dedicated pools do (Azure SQL would accept it after
 *   ORDER BY); TOP inside a subquery is not translated.
 * - String concatenation with `+`, CONVERT with styles, IIF, DATEADD/DATEDIFF, APPLY, MERGE, CTAS, temp tables (#t), table variables, stored procedures, `GO`.
 * - Integer division follows DuckDB (`/` yields a double); COUNT(*) returns BIGINT (T-SQL: INT).
 * - No authentication: any login succeeds; no TLS (the client sets `encrypt: false`); no MARS.
 * - COPY INTO: CSV maps columns by position and Parquet by name; only `FILE_TYPE`, `FIRSTROW`,
 *   `FIELDTERMINATOR`, `FIELDQUOTE` and a SAS `CREDENTIAL` are honoured (ROWTERMINATOR is always a
 *   newline); no wildcards, no
 *   ERRORFILE/MAXERRORS; the load is atomic per statement as on Synapse.
 * - Type system is DuckDB's: VARCHAR has no length limit; DATETIME2 keeps microseconds (Synapse
 *   keeps 100 ns); DECIMAL is sent with DuckDB's precision; collations are not modelled.
 * - Every connection shares one in-memory DuckDB database; the `dbo` schema is the default.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DECIMAL,
  DOUBLE,
  type DuckDBConnection,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBResultReader,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  INTEGER,
  ResultReturnType,
  TIMESTAMP,
  VARCHAR,
} from '@duckdb/node-api';
import { serviceSideUrl } from '../../faults/service-side.ts';

export interface TdsServer {
  host: string;
  port: number;
  database: string;
  /** Statements executed (for metering checks). */
  statements(): number;
  /**
   * Fault injection: the next `count` requests (SQL batches or RPCs, not the client's SET options)
   * fail with SQL Server error `number`, as a failover or throttled database would.
   */
  injectFault(count: number, number: number): void;
  /** Injected faults not yet consumed. */
  faultsRemaining(): number;
  stop(): Promise<void>;
}

const PACKET = {
  SQL_BATCH: 0x01,
  RPC: 0x03,
  REPLY: 0x04,
  ATTENTION: 0x06,
  TM: 0x0e,
  LOGIN7: 0x10,
  PRELOGIN: 0x12,
};
const TOKEN = {
  COLMETADATA: 0x81,
  ERROR: 0xaa,
  LOGINACK: 0xad,
  ROW: 0xd1,
  RETURNSTATUS: 0x79,
  ENVCHANGE: 0xe3,
  DONE: 0xfd,
  DONEPROC: 0xfe,
  DONEINPROC: 0xff,
};
const DONE_MORE = 0x01;
const DONE_ERROR = 0x02;
const DONE_COUNT = 0x10;
const DONE_ATTN = 0x20;
const PACKET_SIZE = 4096;
/** Latin1_General_CI_AS: the collation bytes SQL Server sends for Unicode columns. */
const COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);
const DAYS_0001_TO_1970 = 719162n;

class SqlError extends Error {
  readonly number: number;
  constructor(number: number, message: string) {
    super(message);
    this.number = number;
  }
}

interface Param {
  name: string;
  value: unknown;
  type: DuckDBType;
}

export async function startTdsServer(options: { database?: string } = {}): Promise<TdsServer> {
  const database = options.database ?? 'cloudmux';
  const instance = await DuckDBInstance.create(':memory:');
  const setup = await instance.connect();
  await setup.run("SET TimeZone = 'UTC'");
  await setup.run('CREATE SCHEMA IF NOT EXISTS dbo');
  setup.closeSync();
  let statements = 0;
  const fault = { remaining: 0, number: 0 };
  const sockets = new Set<Socket>();

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    void serve(socket).catch(() => socket.destroy());
  });

  async function serve(socket: Socket): Promise<void> {
    const connection = await instance.connect();
    await connection.run("SET TimeZone = 'UTC'");
    await connection.run("SET search_path = 'dbo'");
    let packetId = 1;
    let transaction: Buffer | undefined;
    const send = (payload: Buffer) => {
      for (let offset = 0; offset < payload.length || offset === 0; offset += PACKET_SIZE - 8) {
        const chunk = payload.subarray(offset, offset + PACKET_SIZE - 8);
        const last = offset + PACKET_SIZE - 8 >= payload.length;
        const header = Buffer.alloc(8);
        header.writeUInt8(PACKET.REPLY, 0);
        header.writeUInt8(last ? 0x01 : 0x00, 1);
        header.writeUInt16BE(chunk.length + 8, 2);
        header.writeUInt16BE(0x0034, 4);
        header.writeUInt8(packetId, 6);
        packetId = (packetId + 1) % 256;
        socket.write(Buffer.concat([header, chunk]));
        if (last) break;
      }
    };
    let pending = Buffer.alloc(0);
    let message: Buffer[] = [];
    let queue = Promise.resolve();
    socket.on('close', () => connection.closeSync());
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 8) {
        const length = pending.readUInt16BE(2);
        if (pending.length < length) break;
        const type = pending.readUInt8(0);
        const status = pending.readUInt8(1);
        message.push(pending.subarray(8, length));
        pending = pending.subarray(length);
        if (type === PACKET.ATTENTION) {
          message = [];
          queue = queue.then(() => send(done(TOKEN.DONE, DONE_ATTN, 0n)));
          continue;
        }
        if (status & 0x01) {
          const body = Buffer.concat(message);
          message = [];
          queue = queue.then(async () => {
            try {
              send(await handle(type, body));
            } catch (error) {
              send(Buffer.concat([errorToken(error), done(TOKEN.DONE, DONE_ERROR, 0n)]));
            }
          });
        }
      }
    });

    async function handle(type: number, body: Buffer): Promise<Buffer> {
      switch (type) {
        case PACKET.PRELOGIN:
          return preloginResponse();
        case PACKET.LOGIN7:
          return loginResponse(database);
        case PACKET.SQL_BATCH: {
          const sql = body.subarray(body.readUInt32LE(0)).toString('utf16le');
          return execute(sql, [], false);
        }
        case PACKET.RPC: {
          const { sql, params } = parseRpc(body);
          return execute(sql, params, true);
        }
        case PACKET.TM:
          return transactionManager(body);
        default:
          throw new SqlError(50000, `unsupported TDS packet type 0x${type.toString(16)}`);
      }
    }

    async function transactionManager(body: Buffer): Promise<Buffer> {
      const request = body.readUInt16LE(body.readUInt32LE(0));
      if (request === 5) {
        await connection.run('BEGIN TRANSACTION');
        transaction = randomBytes(8);
        return Buffer.concat([
          envChange(8, bvarbyte(transaction), bvarbyte(Buffer.alloc(0))),
          done(TOKEN.DONE, 0, 0n),
        ]);
      }
      if (request === 7 || request === 8) {
        await connection.run(request === 7 ? 'COMMIT' : 'ROLLBACK');
        const old = transaction ?? Buffer.alloc(8);
        transaction = undefined;
        return Buffer.concat([
          envChange(request === 7 ? 9 : 10, bvarbyte(Buffer.alloc(0)), bvarbyte(old)),
          done(TOKEN.DONE, 0, 0n),
        ]);
      }
      throw new SqlError(50000, `unsupported transaction manager request ${request}`);
    }

    async function execute(tsql: string, params: Param[], rpc: boolean): Promise<Buffer> {
      if (/^\s*(set\s+[^;]*;?\s*)+$/i.test(tsql)) return done(rpc ? TOKEN.DONEPROC : TOKEN.DONE, 0, 0n);
      const parts: Buffer[] = [];
      const finalToken = rpc ? TOKEN.DONEINPROC : TOKEN.DONE;
      try {
        if (fault.remaining > 0) {
          fault.remaining--;
          throw new SqlError(fault.number, `injected fault ${fault.number}`);
        }
        const copy = parseCopyInto(tsql);
        if (copy) {
          statements++;
          const rows = await copyInto(connection, copy);
          parts.push(done(finalToken, DONE_COUNT, rows));
        } else {
          const translated = translate(tsql);
          const extracted = await connection.extractStatements(translated);
          for (let i = 0; i < extracted.count; i++) {
            statements++;
            const prepared = await extracted.prepare(i);
            try {
              bind(prepared, params);
              const result = await prepared.runAndReadAll();
              const more = i < extracted.count - 1 ? DONE_MORE : 0;
              if (result.returnType === ResultReturnType.QUERY_RESULT) {
                parts.push(resultSet(result));
                parts.push(done(finalToken, DONE_COUNT | more, BigInt(result.currentRowCount)));
              } else if (result.returnType === ResultReturnType.CHANGED_ROWS) {
                parts.push(done(finalToken, DONE_COUNT | more, BigInt(result.rowsChanged)));
              } else {
                parts.push(done(finalToken, more, 0n));
              }
            } finally {
              prepared.destroySync();
            }
          }
          if (extracted.count === 0) parts.push(done(finalToken, 0, 0n));
        }
      } catch (error) {
        parts.push(errorToken(error), done(finalToken, DONE_ERROR, 0n));
      }
      if (rpc) {
        const status = Buffer.alloc(5);
        status.writeUInt8(TOKEN.RETURNSTATUS, 0);
        parts.push(status, done(TOKEN.DONEPROC, 0, 0n));
      }
      return Buffer.concat(parts);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as { port: number };
  return {
    host: '127.0.0.1',
    port: address.port,
    database,
    statements: () => statements,
    faultsRemaining: () => fault.remaining,
    injectFault(count, number) {
      fault.remaining = count;
      fault.number = number;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      instance.closeSync();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Login

function preloginResponse(): Buffer {
  // Options: VERSION (6 bytes), ENCRYPTION (1: NOT_SUP), INSTOPT (1), THREADID (4), MARS (1).
  const options: Array<[number, Buffer]> = [
    [0x00, Buffer.from([16, 0, 0x10, 0x00, 0, 0])],
    [0x01, Buffer.from([0x02])],
    [0x02, Buffer.from([0x00])],
    [0x03, Buffer.alloc(4)],
    [0x04, Buffer.from([0x00])],
  ];
  const headerLength = options.length * 5 + 1;
  const header = Buffer.alloc(headerLength);
  let offset = headerLength;
  options.forEach(([token, data], i) => {
    header.writeUInt8(token, i * 5);
    header.writeUInt16BE(offset, i * 5 + 1);
    header.writeUInt16BE(data.length, i * 5 + 3);
    offset += data.length;
  });
  header.writeUInt8(0xff, headerLength - 1);
  return Buffer.concat([header, ...options.map(([, data]) => data)]);
}

function loginResponse(database: string): Buffer {
  const progName = bvarchar('Microsoft SQL Server');
  const ack = Buffer.concat([
    Buffer.from([1]),
    uint32be(0x74000004),
    progName,
    Buffer.from([16, 0, 0x10, 0x00]),
  ]);
  return Buffer.concat([
    envChange(1, bvarchar(database), bvarchar('master')),
    envChange(7, bvarbyte(COLLATION), bvarbyte(Buffer.alloc(0))),
    envChange(4, bvarchar(String(PACKET_SIZE)), bvarchar(String(PACKET_SIZE))),
    Buffer.from([TOKEN.LOGINACK]),
    uint16le(ack.length),
    ack,
    done(TOKEN.DONE, 0, 0n),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Tokens

function done(token: number, status: number, rows: bigint): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt8(token, 0);
  b.writeUInt16LE(status, 1);
  b.writeUInt16LE(0xc1, 3);
  b.writeBigUInt64LE(rows < 0n ? 0n : rows, 5);
  return b;
}

function envChange(type: number, next: Buffer, old: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([type]), next, old]);
  return Buffer.concat([Buffer.from([TOKEN.ENVCHANGE]), uint16le(body.length), body]);
}

function errorToken(error: unknown): Buffer {
  const { number, message } = sqlErrorOf(error);
  const body = Buffer.concat([
    uint32le(number),
    Buffer.from([1, number >= 50000 ? 16 : 16]),
    usvarchar(message.slice(0, 4000)),
    bvarchar('cloudmux-tds'),
    bvarchar(''),
    uint32le(1),
  ]);
  return Buffer.concat([Buffer.from([TOKEN.ERROR]), uint16le(body.length), body]);
}

/** DuckDB's error classes as the SQL Server error numbers a client branches on. */
function sqlErrorOf(error: unknown): { number: number; message: string } {
  if (error instanceof SqlError) return { number: error.number, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  const rules: Array<[RegExp, number]> = [
    [
      /Catalog Error: Table with name .* does not exist|Catalog Error: .*(Table|View) .* does not exist/i,
      208,
    ],
    [/Catalog Error: .* already exists/i, 2714],
    [/Parser Error|syntax error/i, 102],
    [/Binder Error: .*(column|Referenced column) .*not found|does not have a column/i, 207],
    [/table .* has \d+ columns but \d+ values were supplied|Binder Error: .*columns but/i, 213],
    [/Conversion Error|Could not convert|Invalid Input Error: .*(cast|convert)/i, 245],
    [/NOT NULL constraint failed/i, 515],
    [/Out of Range|out of range|Overflow/i, 8115],
    [/Constraint Error: Duplicate key/i, 2627],
    [/Invalid Input Error: No value|parameter/i, 137],
  ];
  for (const [pattern, number] of rules) if (pattern.test(message)) return { number, message };
  return { number: 50000, message };
}

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

function resultSet(result: DuckDBResultReader): Buffer {
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

function parseRpc(body: Buffer): { sql: string; params: Param[] } {
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

function bind(prepared: DuckDBPreparedStatement, params: Param[]): void {
  const byName = new Map(params.map((p) => [p.name.toLowerCase(), p]));
  for (let index = 1; index <= prepared.parameterCount; index++) {
    const name = prepared.parameterName(index);
    const param = byName.get(name.toLowerCase());
    if (!param) throw new SqlError(137, `Must declare the scalar variable "@${name}".`);
    if (param.value === null) prepared.bindNull(index);
    else prepared.bindValue(index, param.value as never, param.type);
  }
}

// ---------------------------------------------------------------------------------------------
// T-SQL → DuckDB

type Segment = { kind: 'code' | 'string' | 'ident' | 'comment'; text: string };

function segments(sql: string): Segment[] {
  const out: Segment[] = [];
  let code = '';
  const flush = () => {
    if (code) out.push({ kind: 'code', text: code });
    code = '';
  };
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i] as string;
    const next = sql[i + 1];
    if ((ch === 'N' || ch === 'n') && next === "'" && !/\w/.test(sql[i - 1] ?? '')) {
      i++;
      continue;
    }
    if (ch === "'") {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      flush();
      out.push({ kind: 'string', text: sql.slice(i, j + 1) });
      i = j + 1;
    } else if (ch === '[') {
      let j = i + 1;
      let name = '';
      while (j < sql.length) {
        if (sql[j] === ']') {
          if (sql[j + 1] === ']') {
            name += ']';
            j += 2;
            continue;
          }
          break;
        }
        name += sql[j];
        j++;
      }
      flush();
      out.push({ kind: 'ident', text: `"${name.replaceAll('"', '""')}"` });
      i = j + 1;
    } else if (ch === '"') {
      const j = sql.indexOf('"', i + 1);
      flush();
      out.push({ kind: 'ident', text: sql.slice(i, j + 1) });
      i = j + 1;
    } else if (ch === '-' && next === '-') {
      const j = sql.indexOf('\n', i);
      flush();
      out.push({ kind: 'comment', text: j === -1 ? sql.slice(i) : sql.slice(i, j) });
      i = j === -1 ? sql.length : j;
    } else if (ch === '/' && next === '*') {
      const j = sql.indexOf('*/', i + 2);
      flush();
      out.push({ kind: 'comment', text: sql.slice(i, j === -1 ? sql.length : j + 2) });
      i = j === -1 ? sql.length : j + 2;
    } else {
      code += ch;
      i++;
    }
  }
  flush();
  return out;
}

const CODE_REWRITES: Array<[RegExp, string | ((...m: string[]) => string)]> = [
  [
    /@@\w+/g,
    (m) => {
      throw new SqlError(50000, `system variable ${m} is not supported by the TDS test server`);
    },
  ],
  [/@(\w+)/g, (_m, name) => `$${name}`],
  [/\bN?VARCHAR\s*\(\s*(MAX|\d+)\s*\)/gi, 'VARCHAR'],
  [/\bNVARCHAR\b/gi, 'VARCHAR'],
  [/\bN?CHAR\s*\(\s*\d+\s*\)/gi, 'VARCHAR'],
  [/\bDATETIME2\s*(\(\s*\d\s*\))?/gi, 'TIMESTAMP'],
  [/\bDATETIME\b/gi, 'TIMESTAMP'],
  [/\bBIT\b/gi, 'BOOLEAN'],
  [/\bFLOAT\b(\s*\(\s*53\s*\))?/gi, 'DOUBLE'],
  [/\bDATETRUNC\s*\(\s*(\w+)\s*,/gi, (_m, unit) => `date_trunc('${unit.toLowerCase()}',`],
  [/\bDATEPART\s*\(\s*(\w+)\s*,/gi, (_m, unit) => `date_part('${unit.toLowerCase()}',`],
  [/\bISNULL\s*\(/gi, 'coalesce('],
  [/\bLEN\s*\(/gi, 'length('],
  [/\bCOUNT_BIG\s*\(/gi, 'count('],
  [/\b(GETUTCDATE|SYSUTCDATETIME|GETDATE|SYSDATETIME)\s*\(\s*\)/gi, 'now()'],
  [/\bJSON_VALUE\s*\(/gi, 'json_extract_string('],
  [
    /\bPERCENTILE_CONT\s*\(\s*([\d.]+)\s*\)\s*WITHIN\s+GROUP\s*\(\s*ORDER\s+BY\s+([^()]+?)\s*\)/gi,
    (_m, p, expr) => `quantile_cont(${expr}, ${p})`,
  ],
  [/\bWITH\s*\(\s*DISTRIBUTION\s*=\s*ROUND_ROBIN\s*(,\s*(HEAP|CLUSTERED\s+COLUMNSTORE\s+INDEX))?\s*\)/gi, ''],
];

export function translate(tsql: string): string {
  const dropIf = tsql.match(
    /^\s*IF\s+OBJECT_ID\s*\(\s*N?'[^']*'\s*(?:,\s*N?'U')?\s*\)\s+IS\s+NOT\s+NULL\s+DROP\s+TABLE\s+([\s\S]+?);?\s*$/i,
  );
  const source = dropIf ? `DROP TABLE IF EXISTS ${dropIf[1]}` : tsql;
  const out = segments(source).map((segment) => {
    if (segment.kind !== 'code') return segment.kind === 'comment' ? ' ' : segment.text;
    let text = segment.text;
    if (/\bOFFSET\s+\d+\s+ROWS?\b/i.test(text)) {
      throw new SqlError(
        102,
        "Incorrect syntax near 'OFFSET': dedicated SQL pools have no OFFSET … FETCH (use TOP).",
      );
    }
    for (const [pattern, replacement] of CODE_REWRITES) text = text.replace(pattern, replacement as never);
    return text;
  });
  return rewriteTop(rewritePercentileWindows(out.join('')));
}

/**
 * `SELECT [DISTINCT] TOP (n) …` → `SELECT [DISTINCT] … LIMIT n`, the LIMIT placed where that SELECT's
 * scope ends: the parenthesis closing its subquery, or the end of the statement (so INSERT … SELECT
 * TOP works too). Quoted text is skipped; TOP over a UNION limits the whole union here.
 */
function rewriteTop(sql: string): string {
  const depthAt: number[] = [];
  const code: boolean[] = [];
  let depth = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i] as string;
    if (ch === "'" || ch === '"') {
      const close = sql.indexOf(ch, i + 1);
      const end = close === -1 ? sql.length - 1 : close;
      for (let j = i; j <= end; j++) {
        depthAt[j] = depth;
        code[j] = false;
      }
      i = end;
      continue;
    }
    if (ch === ')') depth--;
    depthAt[i] = depth;
    code[i] = true;
    if (ch === '(') depth++;
  }
  const pattern = /\bSELECT(\s+(?:ALL|DISTINCT))?\s+TOP\s*\(?\s*(\d+)\s*\)?/gi;
  const edits: Array<{ start: number; end: number; limitAt: number; n: string; head: string }> = [];
  for (const match of sql.matchAll(pattern)) {
    const start = match.index as number;
    if (!code[start]) continue;
    const level = depthAt[start] as number;
    let limitAt = sql.length;
    for (let j = start; j < sql.length; j++) {
      if (
        code[j] &&
        ((sql[j] === ')' && (depthAt[j] as number) < level) || (sql[j] === ';' && depthAt[j] === level))
      ) {
        limitAt = j;
        break;
      }
    }
    edits.push({
      start,
      end: start + match[0].length,
      limitAt,
      n: match[2] as string,
      head: `SELECT${match[1] ?? ''} `,
    });
  }
  let out = sql;
  // Right to left, so earlier offsets stay valid; a LIMIT always lands after its own TOP.
  const points = edits
    .flatMap((e) => [
      { at: e.limitAt, remove: 0, text: ` LIMIT ${e.n}` },
      { at: e.start, remove: e.end - e.start, text: e.head },
    ])
    .sort((a, b) => b.at - a.at || a.remove - b.remove);
  for (const point of points) out = out.slice(0, point.at) + point.text + out.slice(point.at + point.remove);
  return out;
}

/**
 * T-SQL's window form `PERCENTILE_CONT(p) WITHIN GROUP (ORDER BY expr) OVER (…)` → DuckDB's
 * `quantile_cont(expr, p) OVER (…)`. The ORDER BY expression is read up to its balanced closing
 * parenthesis, so it may hold calls and quoted identifiers.
 */
function rewritePercentileWindows(sql: string): string {
  const head = /PERCENTILE_(CONT|DISC)\s*\(\s*([0-9.]+)\s*\)\s*WITHIN\s+GROUP\s*\(\s*ORDER\s+BY\s+/i;
  let out = '';
  let rest = sql;
  for (let match = head.exec(rest); match; match = head.exec(rest)) {
    let depth = 0;
    let end = match.index + match[0].length;
    for (; end < rest.length; end++) {
      const ch = rest[end];
      if (ch === '(') depth++;
      else if (ch === ')') {
        if (depth === 0) break;
        depth--;
      }
    }
    const expr = rest.slice(match.index + match[0].length, end).replace(/\s+(ASC|DESC)\s*$/i, '');
    const fn = (match[1] as string).toUpperCase() === 'CONT' ? 'quantile_cont' : 'quantile_disc';
    out += `${rest.slice(0, match.index)}${fn}(${expr}, ${match[2]})`;
    rest = rest.slice(end + 1);
  }
  return out + rest;
}

// ---------------------------------------------------------------------------------------------
// COPY INTO

interface CopyInto {
  target: string;
  urls: string[];
  fileType: 'CSV' | 'PARQUET';
  firstRow: number;
  fieldTerminator?: string;
  fieldQuote?: string;
  sas?: string;
}

function parseCopyInto(sql: string): CopyInto | undefined {
  const match = sql.match(
    /^\s*COPY\s+INTO\s+((?:\[[^\]]*\]|\w+)(?:\.(?:\[[^\]]*\]|\w+))*)\s+FROM\s+((?:'[^']*'\s*,?\s*)+)\s*WITH\s*\(([\s\S]*)\)\s*;?\s*$/i,
  );
  if (!match) return undefined;
  const [, target, from, withClause] = match as unknown as [string, string, string, string];
  const urls = [...from.matchAll(/'([^']*)'/g)].map((m) => m[1] as string);
  const option = (name: string) =>
    withClause.match(new RegExp(`\\b${name}\\s*=\\s*'((?:[^']|'')*)'`, 'i'))?.[1];
  const fileType = (option('FILE_TYPE') ?? 'CSV').toUpperCase();
  if (fileType !== 'CSV' && fileType !== 'PARQUET')
    throw new SqlError(46010, `FILE_TYPE '${fileType}' is not supported.`);
  const firstRow = Number(withClause.match(/\bFIRSTROW\s*=\s*(\d+)/i)?.[1] ?? 1);
  const identity = withClause.match(/IDENTITY\s*=\s*'([^']*)'/i)?.[1];
  const secret = withClause.match(/SECRET\s*=\s*'([^']*)'/i)?.[1];
  return {
    target: translate(target),
    urls,
    fileType,
    firstRow,
    ...(option('FIELDTERMINATOR')
      ? { fieldTerminator: decodeTerminator(option('FIELDTERMINATOR') as string) }
      : {}),
    ...(option('FIELDQUOTE') ? { fieldQuote: decodeTerminator(option('FIELDQUOTE') as string) } : {}),
    ...(identity?.toLowerCase() === 'shared access signature' && secret
      ? { sas: secret.replace(/^\?/, '') }
      : {}),
  };
}

function decodeTerminator(text: string): string {
  return /^0x[0-9a-f]{2}$/i.test(text) ? String.fromCharCode(Number.parseInt(text.slice(2), 16)) : text;
}

/** FIELDQUOTE equal to FIELDTERMINATOR (the one-column JSON-lines trick) means no quoting at all. */
function quoteOption(copy: CopyInto): string {
  if (!copy.fieldQuote) return '';
  if (copy.fieldQuote === copy.fieldTerminator) return ", quote = '', escape = ''";
  return `, quote = '${copy.fieldQuote.replaceAll("'", "''")}'`;
}

async function copyInto(connection: DuckDBConnection, copy: CopyInto): Promise<bigint> {
  const dir = await mkdtemp(join(tmpdir(), 'cloudmux-tds-copy-'));
  try {
    const files: string[] = [];
    for (const [index, url] of copy.urls.entries()) {
      // Read as the service would, inside the cloud: not through a client's fault proxy.
      const source = serviceSideUrl(url);
      const response = await fetch(
        copy.sas ? `${source}${source.includes('?') ? '&' : '?'}${copy.sas}` : source,
      );
      if (response.status === 404)
        throw new SqlError(4860, `Cannot bulk load. The file "${url}" does not exist.`);
      if (!response.ok)
        throw new SqlError(13822, `File '${url}' cannot be opened (HTTP ${response.status}).`);
      const file = join(dir, `part-${index}`);
      await writeFile(file, Buffer.from(await response.arrayBuffer()));
      files.push(file);
    }
    const list = `[${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}]`;
    const reader =
      copy.fileType === 'PARQUET'
        ? `SELECT * FROM read_parquet(${list})`
        : `SELECT * FROM read_csv(${list}, header = ${copy.firstRow > 1}, all_varchar = true${
            copy.fieldTerminator ? `, delim = '${copy.fieldTerminator.replaceAll("'", "''")}'` : ''
          }${quoteOption(copy)})`;
    const insert =
      copy.fileType === 'PARQUET'
        ? `INSERT INTO ${copy.target} BY NAME ${reader}`
        : `INSERT INTO ${copy.target} ${reader}`;
    const result = await connection.runAndReadAll(insert);
    return BigInt((result.getRows()[0]?.[0] as bigint | number | undefined) ?? 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding helpers

function uint16le(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
function uint32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
function uint32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
function bvarchar(text: string): Buffer {
  const data = Buffer.from(text, 'utf16le');
  return Buffer.concat([Buffer.from([text.length]), data]);
}
function usvarchar(text: string): Buffer {
  return Buffer.concat([uint16le(text.length), Buffer.from(text, 'utf16le')]);
}
function bvarbyte(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([data.length]), data]);
}
