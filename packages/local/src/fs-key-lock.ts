import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { CloudmuxError } from '@cloudmux/core';

/**
 * Per-key mutual exclusion across processes: a lock file created with O_EXCL (Node has no flock(),
 * and an exclusive create is atomic on every local filesystem).
 *
 * The lock file carries a payload: a writer stages the key's new sidecar in it, and releases the
 * lock by renaming it into the sidecar's place, so taking the lock, writing the sidecar and
 * releasing cost one create, one write and one rename. The payload is JSON with an `o` field
 * `[pid, host]`, so a waiter can tell a crashed holder (dead pid on this host, or a lock older than
 * `staleMs`) and break it.
 */
export interface KeyLocksOptions {
  dir: string;
  /** A lock older than this is considered abandoned. Locks are held for a few syscalls only. */
  staleMs: number;
  /** Give up waiting after this long (Timeout, retryable). */
  waitMs: number;
}

export interface HeldLock {
  /** The lock file; rename it into place to publish its payload and release the lock at once. */
  readonly path: string;
  /** Releases the lock without publishing its payload. */
  release(): void;
}

const HOST = hostname();

/** Marks a lock payload with its owner, for stale-lock detection. */
export function ownedPayload(payload: Record<string, unknown>): string {
  return JSON.stringify({ ...payload, o: [process.pid, HOST] });
}

export class KeyLocks {
  readonly #options: KeyLocksOptions;
  #dirReady = false;

  constructor(options: KeyLocksOptions) {
    this.#options = options;
  }

  /** Path of the lock file of `key`: hashed so deep or long keys map to one flat directory. */
  pathOf(key: string): string {
    return `${this.#options.dir}/${createHash('sha1').update(key).digest('base64url')}`;
  }

  /** True while some process holds the lock of `key`. */
  isHeld(key: string): boolean {
    try {
      statSync(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  /** Acquires the lock of `key`, writing `payload` (from `ownedPayload`) into the lock file. */
  async acquire(key: string, payload: string): Promise<HeldLock> {
    const path = this.pathOf(key);
    const deadline = Date.now() + this.#options.waitMs;
    for (let attempt = 0; ; attempt++) {
      if (this.#tryCreate(path, payload)) return { path, release: () => releaseLock(path) };
      this.#breakIfStale(path);
      if (Date.now() > deadline) {
        throw new CloudmuxError({
          code: 'Timeout',
          message: `timed out after ${this.#options.waitMs} ms waiting for the write lock of an object key`,
          resource: 'objectStore',
          operation: 'lock',
        });
      }
      // Holders keep the lock for microseconds; a short jittered wait keeps waiters from lockstep.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(16, 1 + attempt)));
    }
  }

  #tryCreate(path: string, payload: string): boolean {
    try {
      writeFileSync(path, payload, { flag: 'wx' });
      this.#dirReady = true;
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code === 'ENOENT' && !this.#dirReady) {
        mkdirSync(this.#options.dir, { recursive: true });
        this.#dirReady = true;
        return this.#tryCreate(path, payload);
      }
      throw error;
    }
  }

  /**
   * Breaks an abandoned lock. The lock is first renamed aside (atomic, so only one waiter wins)
   * and its content compared with what was judged stale: if a live holder replaced it in between,
   * it is linked back (link never overwrites).
   */
  #breakIfStale(path: string): void {
    let observed: string;
    let mtimeMs: number;
    try {
      observed = readFileSync(path, 'utf8');
      mtimeMs = statSync(path).mtimeMs;
    } catch {
      return; // released meanwhile
    }
    if (!isAbandoned(observed, mtimeMs, this.#options.staleMs)) return;
    const aside = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.broken`;
    try {
      renameSync(path, aside);
    } catch {
      return; // another waiter broke it first
    }
    try {
      if (readFileSync(aside, 'utf8') !== observed) {
        try {
          linkSync(aside, path);
        } catch {
          // someone took the free lock in the instant it was aside; theirs stands
        }
      }
    } finally {
      unlinkSync(aside);
    }
  }
}

function ownerOf(content: string): { pid: number; host: string } | undefined {
  try {
    const owner = (JSON.parse(content) as { o?: unknown }).o;
    if (Array.isArray(owner) && typeof owner[0] === 'number' && typeof owner[1] === 'string') {
      return { pid: owner[0], host: owner[1] };
    }
  } catch {
    // an empty or torn lock file: a holder between create and write, or a crash in between
  }
  return undefined;
}

function isAbandoned(content: string, mtimeMs: number, staleMs: number): boolean {
  const owner = ownerOf(content);
  if (owner && owner.host === HOST && !isAlive(owner.pid)) return true;
  return Date.now() - mtimeMs > staleMs;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function releaseLock(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    // Only a stale-lock breaker can have removed it; nothing is left to release.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
