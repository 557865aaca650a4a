/**
 * The TDS 7.4 wire format the test server speaks: packet and token constants, the PRELOGIN and
 * LOGIN7 answers, DONE/ENVCHANGE/ERROR tokens (DuckDB errors as SQL Server error numbers), and the
 * little-endian and length-prefixed encodings.
 */
import type { DuckDBType } from '@duckdb/node-api';

export const PACKET = {
  SQL_BATCH: 0x01,
  RPC: 0x03,
  REPLY: 0x04,
  ATTENTION: 0x06,
  TM: 0x0e,
  LOGIN7: 0x10,
  PRELOGIN: 0x12,
};
export const TOKEN = {
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
export const DONE_MORE = 0x01;
export const DONE_ERROR = 0x02;
export const DONE_COUNT = 0x10;
export const DONE_ATTN = 0x20;
export const PACKET_SIZE = 4096;
/** Latin1_General_CI_AS: the collation bytes SQL Server sends for Unicode columns. */
export const COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);
export const DAYS_0001_TO_1970 = 719162n;

export class SqlError extends Error {
  readonly number: number;
  constructor(number: number, message: string) {
    super(message);
    this.number = number;
  }
}

export interface Param {
  name: string;
  value: unknown;
  type: DuckDBType;
}

// ---------------------------------------------------------------------------------------------
// Login

export function preloginResponse(): Buffer {
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

export function loginResponse(database: string): Buffer {
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

export function done(token: number, status: number, rows: bigint): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt8(token, 0);
  b.writeUInt16LE(status, 1);
  b.writeUInt16LE(0xc1, 3);
  b.writeBigUInt64LE(rows < 0n ? 0n : rows, 5);
  return b;
}

export function envChange(type: number, next: Buffer, old: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([type]), next, old]);
  return Buffer.concat([Buffer.from([TOKEN.ENVCHANGE]), uint16le(body.length), body]);
}

export function errorToken(error: unknown): Buffer {
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
// Encoding helpers

export function uint16le(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}
export function uint32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
function uint32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
export function bvarchar(text: string): Buffer {
  const data = Buffer.from(text, 'utf16le');
  return Buffer.concat([Buffer.from([text.length]), data]);
}
function usvarchar(text: string): Buffer {
  return Buffer.concat([uint16le(text.length), Buffer.from(text, 'utf16le')]);
}
export function bvarbyte(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([data.length]), data]);
}
