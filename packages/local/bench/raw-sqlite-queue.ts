/**
 * The least a queue on SQLite can do per message, written straight against `node:sqlite` with the
 * same journal and synchronous settings as the local queue: insert, claim with UPDATE … RETURNING
 * in a write transaction, delete. It has no queues table, receipts, dead-lettering, validation or
 * notifications, so it marks the ceiling the local queue's extra work is measured against.
 */
import { DatabaseSync } from 'node:sqlite';

export interface RawSqliteQueue {
  sendBatch(bodies: readonly Uint8Array[]): void;
  receive(limit: number, visibilityMs: number): Array<{ seq: number; body: Uint8Array }>;
  ackMany(seqs: readonly number[]): void;
  close(): void;
}

export function createRawSqliteQueue(file: string, synchronous: 'OFF' | 'NORMAL' | 'FULL'): RawSqliteQueue {
  const db = new DatabaseSync(file, { timeout: 10_000 });
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous};
    CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY, body BLOB NOT NULL, visible_at INTEGER NOT NULL, deliveries INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE INDEX IF NOT EXISTS messages_ready ON messages (visible_at, seq);`);
  const insert = db.prepare('INSERT INTO messages (body, visible_at) VALUES (?, ?)');
  const claim = db.prepare(`UPDATE messages SET visible_at = ?, deliveries = deliveries + 1
    WHERE seq IN (SELECT seq FROM messages WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ?)
    RETURNING seq, body`);
  const remove = db.prepare('DELETE FROM messages WHERE seq = ?');
  const inTransaction = <T>(fn: () => T): T => {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      db.exec('ROLLBACK');
      throw error;
    }
  };
  return {
    sendBatch(bodies) {
      const now = Date.now();
      if (bodies.length === 1) insert.run(bodies[0]!, now);
      else
        inTransaction(() => {
          for (const body of bodies) insert.run(body, now);
        });
    },
    receive(limit, visibilityMs) {
      const now = Date.now();
      return inTransaction(() => claim.all(now + visibilityMs, now, limit)) as unknown as Array<{
        seq: number;
        body: Uint8Array;
      }>;
    },
    ackMany(seqs) {
      if (seqs.length === 1) remove.run(seqs[0]!);
      else
        inTransaction(() => {
          for (const seq of seqs) remove.run(seq);
        });
    },
    close: () => db.close(),
  };
}
