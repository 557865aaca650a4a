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
import { createServer, type Server, type Socket } from 'node:net';
import { DuckDBInstance, ResultReturnType } from '@duckdb/node-api';
import {
  bvarbyte,
  DONE_ATTN,
  DONE_COUNT,
  DONE_ERROR,
  DONE_MORE,
  done,
  envChange,
  errorToken,
  loginResponse,
  PACKET,
  PACKET_SIZE,
  type Param,
  preloginResponse,
  SqlError,
  TOKEN,
} from './codec.ts';
import { bind, parseRpc, resultSet } from './rows.ts';
import { copyInto, parseCopyInto, translate } from './sql.ts';

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
