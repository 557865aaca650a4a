/**
 * The Redshift Data API test server's model: statements and their states, the service's errors,
 * PostgreSQL types read as text and named as Redshift names them, the PGlite setup that stands in
 * for Redshift's own functions, and result values as the Data API's Field union.
 */
import { type Results, types } from '@electric-sql/pglite';

type Status = 'SUBMITTED' | 'PICKED' | 'STARTED' | 'FINISHED' | 'ABORTED' | 'FAILED';

export interface SubStatement {
  id: string;
  sql: string;
  status: Status;
  error?: string;
  result?: Results<unknown[]>;
  resultRows: number;
  resultSize: number;
  durationNs: number;
  createdAt: number;
  updatedAt: number;
}

export interface Statement extends SubStatement {
  parameters?: Array<{ name: string; value: string }>;
  subs?: SubStatement[];
  described: number;
  database: string;
  target: Record<string, string>;
}

export { ApiError } from '../json-protocol.ts';

// Every PostgreSQL type the server maps is read as text, so values keep their exact digits.
const TEXT_OIDS = [
  types.BOOL,
  types.INT2,
  types.INT4,
  types.INT8,
  types.FLOAT4,
  types.FLOAT8,
  types.NUMERIC,
  types.DATE,
  types.TIMESTAMP,
  types.TIMESTAMPTZ,
  types.JSON,
  types.JSONB,
  types.BYTEA,
  types.TIME,
  types.UUID,
];
export const RAW_TEXT = Object.fromEntries(TEXT_OIDS.map((oid) => [oid, (value: string) => value]));

export const TYPE_NAMES: Record<number, string> = {
  [types.BOOL]: 'bool',
  [types.INT2]: 'int2',
  [types.INT4]: 'int4',
  [types.INT8]: 'int8',
  [types.FLOAT4]: 'float4',
  [types.FLOAT8]: 'float8',
  [types.NUMERIC]: 'numeric',
  [types.TEXT]: 'varchar',
  [types.VARCHAR]: 'varchar',
  [types.BPCHAR]: 'bpchar',
  [types.DATE]: 'date',
  [types.TIMESTAMP]: 'timestamp',
  [types.TIMESTAMPTZ]: 'timestamptz',
  [types.JSON]: 'super',
  [types.JSONB]: 'super',
  [types.BYTEA]: 'varbyte',
};

export const SETUP_SQL = `
  CREATE DOMAIN super AS jsonb;
  CREATE FUNCTION json_parse(text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS 'SELECT $1::jsonb';
  CREATE FUNCTION getdate() RETURNS timestamp LANGUAGE sql STABLE AS 'SELECT now()::timestamp';
  CREATE VIEW svv_table_info AS
    SELECT c.relname::text AS "table", n.nspname::text AS schema,
           CEIL(pg_total_relation_size(c.oid) / 1048576.0)::bigint AS size, c.reltuples::bigint AS tbl_rows
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema');
`;

/** Precision and scale of a NUMERIC(p, s) result column, from its type modifier. */
export function numericPrecision(field: { dataTypeID: number; dataTypeModifier?: number }) {
  const modifier = field.dataTypeModifier ?? -1;
  if (field.dataTypeID !== types.NUMERIC || modifier < 4) return { precision: 0, scale: 0 };
  return { precision: ((modifier - 4) >> 16) & 0xffff, scale: (modifier - 4) & 0xffff };
}

/** The Data API's Field union for one value read as text. */
export function field(oid: number, value: string | null): Record<string, unknown> {
  if (value === null) return { isNull: true };
  switch (oid) {
    case types.BOOL:
      return { booleanValue: value === 't' || value === 'true' };
    case types.INT2:
    case types.INT4:
    case types.INT8:
      return { longValue: BigInt(value) };
    case types.FLOAT4:
    case types.FLOAT8:
      return { doubleValue: Number(value) };
    case types.BYTEA:
      return { blobValue: Buffer.from(value.replace(/^\\x/, ''), 'hex').toString('base64') };
    default:
      return { stringValue: value };
  }
}

/** JSON with bigints written as exact integers, as the service writes 64-bit longValue fields. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `\u0000${v}\u0000` : v)).replace(
    /"\\u0000(-?\d+)\\u0000"/g,
    '$1',
  );
}

export function skipLines(data: Uint8Array, lines: number): Uint8Array {
  let offset = 0;
  for (let n = 0; n < lines; n++) {
    const next = data.indexOf(10, offset);
    if (next === -1) return new Uint8Array(0);
    offset = next + 1;
  }
  return data.subarray(offset);
}
