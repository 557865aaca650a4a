/**
 * Durable queue on SQLite (`node:sqlite`, no native addon). One database file holds every queue;
 * several processes may produce and consume at once: writers serialise on SQLite's write lock
 * (`BEGIN IMMEDIATE` + busy timeout) and a receive claims its messages with one UPDATE … RETURNING
 * inside that lock, so no message is handed to two consumers for the same delivery.
 *
 * A receipt is `<seq>.<deliveryCount>`: it names one delivery, so once a message has been
 * redelivered the earlier receipt no longer matches and cannot ack, nack or extend it.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import {
  DriverError,
  type DriverSendOutcome,
  type Meter,
  type OutgoingMessage,
  portableQueue,
  type Queue,
  type QueueCapabilities,
  type QueueDriver,
  type QueueLimits,
  type QueueSettings,
  type ReceivedMessage,
  type ReportingCall,
} from '@cloudmux/core';
import {
  type MessageRow,
  prepare,
  type QueueRow,
  SCHEMA,
  type Statements,
  transaction,
} from './sqlite-queue/statements.ts';
import { createSleepers, POLL_MAX_MS, POLL_MIN_MS, parseReceipt, wake } from './sqlite-queue/wake-ups.ts';
import { translateQueueError } from './sqlite-queue-errors.ts';

export interface SqliteQueueOptions {
  /** Database file; its directory is created if missing. Shared by every queue and every process using it. */
  file: string;
  /** SQLite `synchronous` pragma: FULL survives power loss, NORMAL (with WAL) survives process crashes. Default NORMAL. */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL';
  /** How long a writer waits for another process's write lock before failing with Unavailable. Default 10 s. */
  busyTimeoutMs?: number;
  /** Meter for standalone use; the registry attaches its own. */
  meter?: Meter;
}

const PROVIDER = 'local';

export const SQLITE_QUEUE_CAPABILITIES: QueueCapabilities = {
  longPoll: true,
  delayedNack: true,
  extendVisibility: true,
  deadLetter: true,
  fifo: true,
  approximateDepth: true,
  binaryBodies: true,
};

export const SQLITE_QUEUE_LIMITS: QueueLimits = {
  maxMessageBytes: 1024 * 1024,
  maxBatchEntries: 1000,
  maxBatchBytes: 16 * 1024 * 1024,
  maxVisibilityTimeoutSeconds: 12 * 60 * 60,
  maxWaitSeconds: 20,
  maxDelaySeconds: 12 * 60 * 60,
};

const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
/** FIFO deduplication window, as on SQS. */
const DEDUP_WINDOW_MS = 5 * 60 * 1000;
const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,80}$/;

export function createSqliteQueue(options: SqliteQueueOptions): Queue {
  return portableQueue(createSqliteQueueDriver(options), { meter: options.meter });
}

export function createSqliteQueueDriver(options: SqliteQueueOptions): QueueDriver {
  const file = resolve(options.file);
  const synchronous = options.synchronous ?? 'NORMAL';
  if (!['OFF', 'NORMAL', 'FULL'].includes(synchronous)) {
    throw new DriverError('InvalidArgument', { detail: 'synchronous must be OFF, NORMAL or FULL' });
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  let db: DatabaseSync | undefined;
  let statements: Statements | undefined;
  let closed = false;
  const sleepers = createSleepers();

  const keyOf = (queue: string) => `${file}\0${queue}`;
  // Storage failures get their message here: it names the database file and the cause.
  const translate = (error: unknown, operation: string) =>
    DriverError.isInstance(error) ? error : translateQueueError(error, operation, file);

  function open(operation: string): Statements {
    if (closed) throw new DriverError('InvalidArgument', { detail: 'queue client is closed' });
    if (statements) return statements;
    try {
      mkdirSync(dirname(file), { recursive: true });
      // Loaded here, not imported at the top: on a Node without `node:sqlite` a static import fails
      // the whole package at link time, before @cloudmux/core can report the Node version.
      const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
      db = new DatabaseSync(file, { timeout: busyTimeoutMs });
      db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous};`);
      transaction(db, () => db!.exec(SCHEMA));
      statements = prepare(db);
      return statements;
    } catch (error) {
      db?.close();
      db = undefined;
      throw translate(error, operation);
    }
  }

  /** Runs `fn` in a write transaction; storage failures name the database file. */
  function write<T>(operation: string, fn: (s: Statements) => T): T {
    const s = open(operation);
    try {
      return transaction(db!, () => fn(s));
    } catch (error) {
      throw translate(error, operation);
    }
  }

  function read<T>(operation: string, fn: (s: Statements) => T): T {
    const s = open(operation);
    try {
      return fn(s);
    } catch (error) {
      throw translate(error, operation);
    }
  }

  function queueRow(s: Statements, name: string): QueueRow {
    const row = s.getQueue.get(name) as QueueRow | undefined;
    if (!row) throw new DriverError('NotFound', { detail: 'the queue does not exist' });
    return row;
  }

  const visibleAt = (now: number, message: OutgoingMessage) => now + (message.delaySeconds ?? 0) * 1000;

  /** Inserts one message inside the current transaction; returns its id (an earlier one for a dedup hit). */
  function insertMessage(
    s: Statements,
    queue: string,
    row: QueueRow,
    message: OutgoingMessage,
    now: number,
  ): string {
    const fifo = row.fifo === 1;
    if (fifo && !message.groupId) {
      throw new DriverError('InvalidArgument', { detail: 'a FIFO queue needs a groupId on every message' });
    }
    if (message.dedupId !== undefined && !fifo) {
      throw new DriverError('InvalidArgument', { detail: 'dedupId applies to FIFO queues only' });
    }
    if (message.dedupId !== undefined) {
      s.expireDedup.run(queue, now);
      const existing = s.findDedup.get(queue, message.dedupId, now) as { message_id: string } | undefined;
      if (existing) return existing.message_id;
    }
    const id = randomUUID();
    s.insert.run(
      queue,
      id,
      message.bytes,
      message.attributes ? JSON.stringify(message.attributes) : null,
      message.groupId ?? null,
      now,
      visibleAt(now, message),
    );
    if (message.dedupId !== undefined) s.insertDedup.run(queue, message.dedupId, id, now + DEDUP_WINDOW_MS);
    return id;
  }

  function toMessage(row: MessageRow): ReceivedMessage {
    const message: ReceivedMessage = {
      id: row.id,
      receipt: `${row.seq}.${row.deliveries}`,
      body: row.body,
      deliveryCount: row.deliveries,
      sentAt: new Date(row.sent_at),
    };
    if (row.group_id !== null) message.groupId = row.group_id;
    if (row.attributes !== null) message.attributes = JSON.parse(row.attributes) as Record<string, string>;
    return message;
  }

  /** One attempt to claim up to `limit` messages; dead-letters exhausted ones on the way. */
  function claim(queue: string, limit: number, visibilityMs: number | undefined): ReceivedMessage[] {
    let deadLettered: string | undefined;
    const rows = write('receive', (s) => {
      const row = queueRow(s, queue);
      const kind = row.fifo === 1 ? 'fifo' : 'standard';
      const now = Date.now();
      const window: Record<string, SQLInputValue> = { queue, now, limit };
      if (row.max_deliveries !== null && row.dead_letter_queue !== null) {
        const dlq = row.dead_letter_queue;
        // A message that has had its last delivery moves instead of being delivered again. The DLQ
        // is recreated if someone deleted it, so a message is never moved into a queue that is gone.
        s.createQueueIfMissing.run(dlq, DEFAULT_VISIBILITY_TIMEOUT_SECONDS * 1000, row.fifo);
        for (;;) {
          const exhausted = { ...window, max: row.max_deliveries };
          const moved = s.moveExhausted[kind].run({ ...exhausted, dlq }).changes;
          if (moved === 0) break;
          s.deleteExhausted[kind].run(exhausted);
          deadLettered = dlq;
        }
      }
      const until = now + (visibilityMs ?? row.visibility_timeout_ms);
      // One receive hands out at most maxBatchBytes of bodies (and always at least one message), so
      // maxMessages of large messages cannot pull a gigabyte into memory. Only batches that could
      // reach the cap pay for the look at body sizes.
      if (limit * SQLITE_QUEUE_LIMITS.maxMessageBytes > SQLITE_QUEUE_LIMITS.maxBatchBytes) {
        const sizes = s.windowSizes[kind].all(window) as unknown as Array<{ size: number }>;
        let total = 0;
        let fits = 0;
        for (const { size } of sizes) {
          if (fits > 0 && total + size > SQLITE_QUEUE_LIMITS.maxBatchBytes) break;
          total += size;
          fits++;
        }
        if (fits === 0) return [];
        window.limit = fits;
      }
      return s.claim[kind].all({ ...window, until }) as unknown as MessageRow[];
    });
    if (deadLettered) wake(keyOf(deadLettered));
    rows.sort((a, b) => a.seq - b.seq);
    return rows.map(toMessage);
  }

  async function receive(
    name: string,
    limit: number,
    waitSeconds: number,
    visibilityMs: number | undefined,
    call: ReportingCall,
  ): Promise<ReceivedMessage[]> {
    const { signal } = call;
    const deadline = Date.now() + waitSeconds * 1000;
    let pollMs = POLL_MIN_MS;
    const over = () => closed || signal?.aborted === true;
    for (;;) {
      const messages = claim(name, limit, visibilityMs);
      if (messages.length > 0) {
        let bytes = 0;
        for (const m of messages) bytes += m.body.byteLength;
        call.report({ bytesIn: bytes });
        return messages;
      }
      if (deadline - Date.now() <= 0 || over()) return messages;
      // Woken at once by a send in this process; another process's send is seen by the next poll.
      // Between wake-ups a cheap read (no write lock) decides whether a claim is worth trying.
      for (;;) {
        await sleepers.sleep(keyOf(name), Math.min(pollMs, Math.max(0, deadline - Date.now())), signal);
        if (over() || Date.now() >= deadline) break;
        const ready = read('receive', (s) => s.anyReady.get(name, Date.now()));
        if (ready || !read('receive', (s) => s.getQueue.get(name))) break;
        pollMs = Math.min(POLL_MAX_MS, pollMs * 2);
      }
      if (over()) return [];
      pollMs = POLL_MIN_MS;
    }
  }

  return {
    provider: PROVIDER,
    capabilities: SQLITE_QUEUE_CAPABILITIES,
    limits: SQLITE_QUEUE_LIMITS,
    queueNameProblem: (name) =>
      QUEUE_NAME.test(name) ? undefined : '1–80 characters of A–Z, a–z, 0–9, ".", "_", "-"',
    messageSize: (message) => message.bytes.byteLength,
    // Everything this driver throws is already a DriverError or a translated storage error.
    errorCode: () => 'Internal',
    native: () => {
      open('native');
      return db;
    },

    async ensureQueue(name: string, settings: QueueSettings): Promise<void> {
      write('ensureQueue', (s) => {
        // Like SQS CreateQueue: settings that are given must hold afterwards; settings left out keep
        // what an existing queue has, so a consumer's bare ensureQueue never strips a producer's DLQ.
        const existing = s.getQueue.get(name) as QueueRow | undefined;
        const fifo = settings.fifo === undefined ? (existing?.fifo ?? 0) : settings.fifo ? 1 : 0;
        if (existing && existing.fifo !== fifo) {
          throw new DriverError('AlreadyExists', {
            detail: 'the queue exists with a different fifo setting',
          });
        }
        const visibilityMs =
          settings.visibilityTimeoutSeconds === undefined
            ? (existing?.visibility_timeout_ms ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS * 1000)
            : settings.visibilityTimeoutSeconds * 1000;
        const deadLetter =
          settings.deadLetterQueue === undefined
            ? { max: existing?.max_deliveries ?? null, queue: existing?.dead_letter_queue ?? null }
            : { max: settings.maxDeliveries ?? null, queue: settings.deadLetterQueue };
        s.upsertQueue.run(name, visibilityMs, deadLetter.max, deadLetter.queue, fifo);
        if (settings.deadLetterQueue !== undefined) {
          s.createQueueIfMissing.run(
            settings.deadLetterQueue,
            DEFAULT_VISIBILITY_TIMEOUT_SECONDS * 1000,
            fifo,
          );
        }
      });
    },

    async deleteQueue(name: string): Promise<void> {
      write('deleteQueue', (s) => {
        s.deleteQueueMessages.run(name);
        s.deleteQueueDedup.run(name);
        s.deleteQueue.run(name);
      });
      // Long polls on the deleted queue wake up and report NotFound.
      wake(keyOf(name));
    },

    async send(name: string, message: OutgoingMessage, call: ReportingCall): Promise<string> {
      // Common case in one autocommit statement: a standard queue that exists, no dedup id. Anything
      // else (missing queue, FIFO rules) takes the checked path in a transaction.
      let id: string | undefined;
      if (message.dedupId === undefined) {
        const candidate = randomUUID();
        const now = Date.now();
        const inserted = read('send', (s) =>
          s.insertIfStandard.run(
            name,
            candidate,
            message.bytes,
            message.attributes ? JSON.stringify(message.attributes) : null,
            message.groupId ?? null,
            now,
            visibleAt(now, message),
            name,
          ),
        );
        if (inserted.changes > 0) id = candidate;
      }
      id ??= write('send', (s) => insertMessage(s, name, queueRow(s, name), message, Date.now()));
      call.report({ bytesOut: message.bytes.byteLength });
      wake(keyOf(name));
      return id;
    },

    async sendBatch(
      name: string,
      messages: readonly OutgoingMessage[],
      call: ReportingCall,
    ): Promise<DriverSendOutcome[]> {
      const outcomes = write('sendBatch', (s) => {
        const row = queueRow(s, name);
        const now = Date.now();
        return messages.map((message): DriverSendOutcome => {
          try {
            return { id: insertMessage(s, name, row, message, now) };
          } catch (error) {
            // A FIFO rule broken by one message fails that message; anything else fails the batch.
            if (!DriverError.isInstance(error)) throw error;
            return { error };
          }
        });
      });
      wake(keyOf(name));
      call.report({ bytesOut: messages.reduce((sum, m) => sum + m.bytes.byteLength, 0) });
      return outcomes;
    },

    receive: (name, options, call: ReportingCall) =>
      receive(
        name,
        options.maxMessages,
        options.waitSeconds,
        options.visibilityTimeoutSeconds === undefined ? undefined : options.visibilityTimeoutSeconds * 1000,
        call,
      ),

    async ack(name, messages): Promise<void> {
      const receipts = messages.map((m) => parseReceipt(m.receipt));
      // One DELETE is its own (autocommit) transaction; several share one.
      if (receipts.length === 1)
        read('ack', (s) => s.ack.run(receipts[0]!.seq, name, receipts[0]!.deliveries));
      else {
        write('ack', (s) => {
          for (const { seq, deliveries } of receipts) s.ack.run(seq, name, deliveries);
        });
      }
    },

    async release(name, message, delaySeconds): Promise<void> {
      const { seq, deliveries } = parseReceipt(message.receipt);
      // A stale receipt (already acked or redelivered) releases nothing: the message is no longer held.
      read('nack', (s) => s.release.run(Date.now() + delaySeconds * 1000, seq, name, deliveries));
      if (delaySeconds === 0) wake(keyOf(name));
    },

    async extendVisibility(name, message, seconds): Promise<void> {
      const { seq, deliveries } = parseReceipt(message.receipt);
      const until = Date.now() + seconds * 1000;
      const changes = read('extendVisibility', (s) => s.extend.run(until, seq, name, deliveries).changes);
      // Unlike nack, a consumer that lost its delivery must hear about it: it no longer owns the work.
      if (changes === 0) {
        throw new DriverError('PreconditionFailed', {
          detail: 'the receipt is no longer current (acked or redelivered)',
        });
      }
    },

    async depth(name) {
      return read('depth', (s) => {
        queueRow(s, name);
        const row = s.depth.get({ queue: name, now: Date.now() }) as {
          visible: number;
          in_flight: number;
          delayed: number;
        };
        return { visible: row.visible, inFlight: row.in_flight, delayed: row.delayed };
      });
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      sleepers.wakeAll();
      statements = undefined;
      db?.close();
      db = undefined;
    },
  };
}
