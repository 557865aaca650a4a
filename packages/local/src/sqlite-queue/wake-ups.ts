/**
 * Long polls of the SQLite queue: a receive that finds nothing sleeps until a send in this process
 * wakes its queue, or until the next poll for another process's sends (SQLite has no notification
 * across processes). Between polls the interval doubles from POLL_MIN_MS to POLL_MAX_MS.
 */
import { DriverError } from '@cloudmux/core';

/** Cross-process long polls look for work at this interval, growing while the queue stays empty. */
export const POLL_MIN_MS = 5;
export const POLL_MAX_MS = 100;

/** Sleepers of this process, keyed by database file and queue (every client of the file shares them). */
const waiters = new Map<string, Set<() => void>>();

/** Wakes every receive of this process sleeping on `key`. */
export function wake(key: string): void {
  const set = waiters.get(key);
  if (!set) return;
  for (const resolveWaiter of set) resolveWaiter();
}

/** One client's sleepers, so closing the client ends its long polls at once. */
export function createSleepers() {
  const pending = new Set<() => void>();
  return {
    /** Sleeps until `wake(key)`, `ms` pass, `wakeAll()` or the signal aborts. */
    sleep(key: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
      return new Promise((done) => {
        let set = waiters.get(key);
        if (!set) {
          set = new Set();
          waiters.set(key, set);
        }
        const finish = () => {
          clearTimeout(timer);
          set.delete(finish);
          if (set.size === 0) waiters.delete(key);
          pending.delete(finish);
          signal?.removeEventListener('abort', finish);
          done();
        };
        const timer = setTimeout(finish, ms);
        set.add(finish);
        pending.add(finish);
        signal?.addEventListener('abort', finish, { once: true });
      });
    },
    /** Ends every sleep of this client (on close). */
    wakeAll(): void {
      for (const finish of [...pending]) finish();
    },
  };
}

/** A receipt is `<seq>.<deliveryCount>`: it names one delivery of one message. */
export function parseReceipt(receipt: string): { seq: number; deliveries: number } {
  const dot = receipt.indexOf('.');
  const seq = Number(receipt.slice(0, dot));
  const deliveries = Number(receipt.slice(dot + 1));
  if (dot <= 0 || !Number.isSafeInteger(seq) || !Number.isSafeInteger(deliveries)) {
    throw new DriverError('InvalidArgument', { detail: 'not a receipt issued by the local queue' });
  }
  return { seq, deliveries };
}
