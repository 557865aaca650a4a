/** Reading results back: mssql rows and column metadata as portable rows, pages streamed by size. */
import {
  type BoundStatement,
  type QueryResult,
  type ResultColumn,
  type Row,
  Timestamp,
} from '@cloudmux/core';
import sql from 'mssql';
import { bind } from './dialect.ts';
import type { SynapseSession } from './session.ts';

export async function* streamPages(
  session: SynapseSession,
  statement: BoundStatement,
  pageSize: number,
): AsyncIterable<QueryResult> {
  const p = await session.connect();
  const request = new sql.Request(p);
  request.stream = true;
  request.arrayRowMode = true;
  const text = bind(request, statement.sql, statement.parameters);
  let columns: ResultColumn[] = [];
  let metadata: sql.IColumnMetadata[keyof sql.IColumnMetadata][] = [];
  const buffer: unknown[][] = [];
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  request.on('recordset', (cols: unknown) => {
    metadata = Array.isArray(cols) ? (cols as typeof metadata) : Object.values(cols as sql.IColumnMetadata);
    columns = metadata.map((c) => ({ name: c.name, type: portableOfMssql(c.type) }));
    notify();
  });
  request.on('row', (row: unknown[]) => {
    buffer.push(row);
    if (buffer.length >= pageSize) request.pause();
    notify();
  });
  request.on('error', (error: unknown) => {
    failure ??= error;
    notify();
  });
  request.on('done', () => {
    finished = true;
    notify();
  });
  const started = performance.now();
  void request.query(text);
  let bytes = 0;
  try {
    for (;;) {
      if (failure) throw failure;
      if (buffer.length >= pageSize || (finished && buffer.length > 0)) {
        const rows = buffer.splice(0, pageSize).map((row) => convertRow(row, metadata));
        bytes += rows.length * metadata.length * 8;
        yield { columns, rows, stats: { durationMs: performance.now() - started, rows: rows.length } };
        request.resume();
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    if (!finished) request.cancel();
    session.meterProcessed(bytes);
  }
}

export function convertResult(result: sql.IResult<unknown[]>): Omit<QueryResult, 'stats'> {
  const recordset = result.recordset as unknown as (unknown[][] & { columns?: unknown }) | undefined;
  const rawColumns = (result as unknown as { columns?: unknown[][] }).columns?.[0] ?? [];
  const metadata = rawColumns as sql.IColumnMetadata[keyof sql.IColumnMetadata][];
  const columns = metadata.map((c) => ({ name: c.name, type: portableOfMssql(c.type) }));
  const rows = (recordset ?? []).map((row) => convertRow(row, metadata));
  return { columns, rows };
}

function convertRow(row: unknown[], metadata: sql.IColumnMetadata[keyof sql.IColumnMetadata][]): Row {
  const out: Row = {};
  metadata.forEach((column, i) => {
    out[column.name] = convertValue(row[i], portableOfMssql(column.type));
  });
  return out;
}

function convertValue(value: unknown, type: ResultColumn['type']): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'int64':
      return BigInt(value as string | number);
    case 'timestamp': {
      const date = value as Date & { nanosecondsDelta?: number };
      const extra = Math.floor(Math.round((date.nanosecondsDelta ?? 0) * 1e7) / 10);
      return new Timestamp(BigInt(date.getTime()) * 1000n + BigInt(extra));
    }
    case 'date':
      return (value as Date).toISOString().slice(0, 10);
    case 'decimal':
      return String(value);
    default:
      return value;
  }
}

function portableOfMssql(type: unknown): ResultColumn['type'] {
  switch (type) {
    case sql.BigInt:
    case sql.Int:
    case sql.SmallInt:
    case sql.TinyInt:
      return 'int64';
    case sql.Float:
    case sql.Real:
      return 'float64';
    case sql.Bit:
      return 'bool';
    case sql.NVarChar:
    case sql.VarChar:
    case sql.NChar:
    case sql.Char:
    case sql.NText:
    case sql.Text:
    case sql.UniqueIdentifier:
      return 'string';
    case sql.DateTime2:
    case sql.DateTime:
    case sql.SmallDateTime:
    case sql.DateTimeOffset:
      return 'timestamp';
    case sql.Date:
      return 'date';
    case sql.Decimal:
    case sql.Numeric:
    case sql.Money:
      return 'decimal';
    default:
      return 'unknown';
  }
}

/** Result size as the bytes the service transferred, for the serverless data-processed estimate. */
export function approximateBytes(result: sql.IResult<unknown[]>): number {
  const rows = (result.recordset as unknown as unknown[][] | undefined) ?? [];
  let bytes = 0;
  for (const row of rows) for (const value of row) bytes += typeof value === 'string' ? value.length * 2 : 8;
  return bytes;
}
