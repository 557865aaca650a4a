/**
 * The SQLite queue's storage: the schema, the claim windows (standard and FIFO) and every prepared
 * statement, apart from the queue semantics that use them (`../sqlite-queue.ts`).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS queues (
  name TEXT PRIMARY KEY,
  visibility_timeout_ms INTEGER NOT NULL,
  max_deliveries INTEGER,
  dead_letter_queue TEXT,
  fifo INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  id TEXT NOT NULL,
  body BLOB NOT NULL,
  attributes TEXT,
  group_id TEXT,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  deliveries INTEGER NOT NULL DEFAULT 0,
  leased INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, visible_at, seq);
CREATE INDEX IF NOT EXISTS messages_group ON messages (queue, group_id, seq) WHERE group_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS dedup (
  queue TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (queue, dedup_id)
) STRICT, WITHOUT ROWID;
`;

// The next deliverable messages of a queue. Standard queues take the longest-ready first; FIFO
// queues take messages in send order and skip a group while an earlier message of it is in flight
// or delayed, so a group is never delivered out of order.
export const STANDARD_WINDOW = `SELECT seq, deliveries FROM messages
  WHERE queue = :queue AND visible_at <= :now ORDER BY visible_at, seq LIMIT :limit`;
export const FIFO_WINDOW = `SELECT m.seq, m.deliveries FROM messages m
  WHERE m.queue = :queue AND m.visible_at <= :now AND NOT EXISTS (
    SELECT 1 FROM messages g WHERE g.queue = m.queue AND g.group_id = m.group_id
      AND g.seq < m.seq AND g.visible_at > :now)
  ORDER BY m.seq LIMIT :limit`;

export interface QueueRow {
  visibility_timeout_ms: number;
  max_deliveries: number | null;
  dead_letter_queue: string | null;
  fifo: number;
}

export interface MessageRow {
  seq: number;
  id: string;
  body: Uint8Array;
  attributes: string | null;
  group_id: string | null;
  sent_at: number;
  deliveries: number;
}

export interface Statements {
  getQueue: StatementSync;
  upsertQueue: StatementSync;
  createQueueIfMissing: StatementSync;
  deleteQueue: StatementSync;
  deleteQueueMessages: StatementSync;
  deleteQueueDedup: StatementSync;
  insert: StatementSync;
  insertIfStandard: StatementSync;
  findDedup: StatementSync;
  insertDedup: StatementSync;
  expireDedup: StatementSync;
  claim: { standard: StatementSync; fifo: StatementSync };
  windowSizes: { standard: StatementSync; fifo: StatementSync };
  moveExhausted: { standard: StatementSync; fifo: StatementSync };
  deleteExhausted: { standard: StatementSync; fifo: StatementSync };
  anyReady: StatementSync;
  ack: StatementSync;
  release: StatementSync;
  extend: StatementSync;
  depth: StatementSync;
}

/** Every statement the queue runs, prepared once per connection. */
export function prepare(d: DatabaseSync): Statements {
  const window = (fifo: boolean) => (fifo ? FIFO_WINDOW : STANDARD_WINDOW);
  const claim = (fifo: boolean) =>
    d.prepare(`UPDATE messages SET visible_at = :until, deliveries = deliveries + 1, leased = 1
      WHERE seq IN (SELECT seq FROM (${window(fifo)}))
      RETURNING seq, id, body, attributes, group_id, sent_at, deliveries`);
  // length() of a BLOB reads its size from the record header, not the body.
  const windowSizes = (fifo: boolean) =>
    d.prepare(`SELECT length(m.body) AS size FROM messages m JOIN (${window(fifo)}) w ON w.seq = m.seq
      ORDER BY ${fifo ? 'm.seq' : 'm.visible_at, m.seq'}`);
  const moveExhausted = (fifo: boolean) =>
    d.prepare(`INSERT INTO messages (queue, id, body, attributes, group_id, sent_at, visible_at)
      SELECT :dlq, id, body, attributes, group_id, sent_at, :now FROM messages
      WHERE seq IN (SELECT seq FROM (${window(fifo)}) WHERE deliveries >= :max) ORDER BY seq`);
  const deleteExhausted = (fifo: boolean) =>
    d.prepare(`DELETE FROM messages
      WHERE seq IN (SELECT seq FROM (${window(fifo)}) WHERE deliveries >= :max)`);
  return {
    getQueue: d.prepare(
      'SELECT visibility_timeout_ms, max_deliveries, dead_letter_queue, fifo FROM queues WHERE name = ?',
    ),
    upsertQueue:
      d.prepare(`INSERT INTO queues (name, visibility_timeout_ms, max_deliveries, dead_letter_queue, fifo)
      VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET visibility_timeout_ms = excluded.visibility_timeout_ms,
      max_deliveries = excluded.max_deliveries, dead_letter_queue = excluded.dead_letter_queue`),
    createQueueIfMissing: d.prepare(
      'INSERT INTO queues (name, visibility_timeout_ms, fifo) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
    ),
    deleteQueue: d.prepare('DELETE FROM queues WHERE name = ?'),
    deleteQueueMessages: d.prepare('DELETE FROM messages WHERE queue = ?'),
    deleteQueueDedup: d.prepare('DELETE FROM dedup WHERE queue = ?'),
    insert: d.prepare(`INSERT INTO messages (queue, id, body, attributes, group_id, sent_at, visible_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    insertIfStandard:
      d.prepare(`INSERT INTO messages (queue, id, body, attributes, group_id, sent_at, visible_at)
      SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM queues WHERE name = ? AND fifo = 0)`),
    findDedup: d.prepare('SELECT message_id FROM dedup WHERE queue = ? AND dedup_id = ? AND expires_at > ?'),
    insertDedup: d.prepare(
      'INSERT OR REPLACE INTO dedup (queue, dedup_id, message_id, expires_at) VALUES (?, ?, ?, ?)',
    ),
    expireDedup: d.prepare('DELETE FROM dedup WHERE queue = ? AND expires_at <= ?'),
    claim: { standard: claim(false), fifo: claim(true) },
    windowSizes: { standard: windowSizes(false), fifo: windowSizes(true) },
    moveExhausted: { standard: moveExhausted(false), fifo: moveExhausted(true) },
    deleteExhausted: { standard: deleteExhausted(false), fifo: deleteExhausted(true) },
    anyReady: d.prepare('SELECT 1 AS ready FROM messages WHERE queue = ? AND visible_at <= ? LIMIT 1'),
    ack: d.prepare('DELETE FROM messages WHERE seq = ? AND queue = ? AND deliveries = ?'),
    release: d.prepare(
      'UPDATE messages SET visible_at = ?, leased = 0 WHERE seq = ? AND queue = ? AND deliveries = ?',
    ),
    extend: d.prepare(
      'UPDATE messages SET visible_at = ?, leased = 1 WHERE seq = ? AND queue = ? AND deliveries = ?',
    ),
    depth: d.prepare(`SELECT
        COALESCE(SUM(visible_at <= :now), 0) AS visible,
        COALESCE(SUM(visible_at > :now AND leased = 1), 0) AS in_flight,
        COALESCE(SUM(visible_at > :now AND leased = 0), 0) AS delayed
      FROM messages WHERE queue = :queue`),
  };
}

/** `fn` in one write transaction (BEGIN IMMEDIATE: writers queue on the busy timeout, never deadlock). */
export function transaction<T>(d: DatabaseSync, fn: () => T): T {
  d.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    d.exec('COMMIT');
    return result;
  } catch (error) {
    if (d.isTransaction) d.exec('ROLLBACK');
    throw error;
  }
}
