/**
 * A read-only or full disk under the local provider's state names the path and the cause, with a
 * code a caller can act on: PermissionDenied for permissions, Unavailable (retryable) for a full
 * disk, never "Internal: queue database error" or "NotFound put failed".
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CloudmuxError } from '@cloudmux/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { translateDuckDbError } from './duckdb/errors.ts';
import { translateFsError } from './fs-object-store/errors.ts';
import { createFsObjectStore } from './fs-object-store/index.ts';
import { createSqliteQueue } from './sqlite-queue.ts';
import { translateQueueError } from './sqlite-queue-errors.ts';
import { storageError } from './storage-errors.ts';

const PROBE = fileURLToPath(new URL('../test/fixtures/storage-probe.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The unprivileged user the probe runs as when the tests run as root (root ignores permissions). */
const NOBODY = 65_534;
const isRoot = process.getuid?.() === 0;

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'cloudmux-storage-'));
  // Traversable by the unprivileged probe; what it may not do is write below `state`.
  chmodSync(base, 0o755);
});
afterEach(async () => {
  makeWritable(base);
  await rm(base, { recursive: true, force: true });
});

function makeWritable(dir: string): void {
  if (!existsSync(dir)) return;
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, entry);
    chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
  }
}

/** Takes away write permission for the probe: its user is not the owner when we are root. */
function makeReadOnly(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, entry);
    chmodSync(path, statSync(path).isDirectory() ? 0o555 : 0o444);
  }
  chmodSync(dir, 0o555);
}

type ProbeResults = Record<string, { code: string; message: string }>;

async function runProbe(state: string, asNobody: boolean): Promise<ProbeResults> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@cloudmux/source', '--no-warnings', PROBE, state],
    { cwd: PACKAGE_DIR, timeout: 60_000, ...(asNobody ? { uid: NOBODY, gid: NOBODY } : {}) },
  );
  return JSON.parse(stdout) as ProbeResults;
}

/**
 * Whether this process may start the probe as the unprivileged user (needs CAP_SETUID), and that
 * user can read the probe, this package and the directory the state goes in (a checkout in a
 * root-only directory cannot be read by it, whatever Node binary it runs).
 */
async function canRunAsNobody(): Promise<boolean> {
  const paths = JSON.stringify([PROBE, PACKAGE_DIR, base]);
  const check = `const fs = require('node:fs'); for (const p of ${paths}) fs.accessSync(p, fs.constants.R_OK | (fs.statSync(p).isDirectory() ? fs.constants.X_OK : 0));`;
  try {
    await promisify(execFile)(process.execPath, ['-e', check], { uid: NOBODY, gid: NOBODY, timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const LABELS = [
  'objectStore.put',
  'queue.ensureQueue',
  'queue.send',
  'secretStore.put',
  'warehouse.ensureTable',
];

describe('a read-only state directory', () => {
  for (const scenario of ['fresh', 'existing'] as const) {
    it(`(${scenario}) every local resource fails with PermissionDenied naming the path`, async (ctx) => {
      if (isRoot && !(await canRunAsNobody())) {
        ctx.skip(
          'running as root, and uid 65534 cannot be switched to or cannot read this checkout: file permissions do not apply to root',
        );
      }
      const state = join(base, 'state');
      mkdirSync(state);
      if (scenario === 'existing') {
        // Everything made once while writable, so the read-only case meets existing files.
        const made = await runProbe(state, false);
        expect(Object.values(made).map((r) => r.code)).toEqual(LABELS.map(() => 'ok'));
      }
      makeReadOnly(state);
      const results = await runProbe(state, isRoot);
      expect(Object.keys(results)).toEqual(LABELS);
      for (const label of LABELS) {
        const { code, message } = results[label]!;
        expect({ label, code }).toEqual({ label, code: 'PermissionDenied' });
        // The message is the feature here: it names the path and the operating system's cause.
        expect(message, label).toContain(state);
        expect(message, label).toMatch(/EACCES|permission denied/i);
      }
    });
  }
});

describe('a full disk', () => {
  /** A real ENOSPC from the kernel: /dev/full fails every write with it. */
  function realEnospc(): NodeJS.ErrnoException | undefined {
    if (!existsSync('/dev/full')) return undefined;
    const fd = openSync('/dev/full', 'w');
    try {
      writeSync(fd, Buffer.alloc(16));
    } catch (error) {
      return error as NodeJS.ErrnoException;
    } finally {
      closeSync(fd);
    }
    return undefined;
  }

  it('ENOSPC is Unavailable and retryable, naming the path, in every local translation', (ctx) => {
    const enospc = realEnospc();
    if (!enospc) return ctx.skip('no /dev/full on this system to produce a real ENOSPC');
    expect(enospc.code).toBe('ENOSPC');
    const target = join(base, 'objects/lake/.cloudmux-tmp-1');
    const translated = [
      storageError(enospc, { resource: 'secretStore', operation: 'put', path: target }),
      translateFsError(enospc, 'put', 'lake/part.csv', target, join(base, '.objects.cloudmux')),
      translateQueueError(enospc, 'send', target),
      translateDuckDbError(enospc, 'insertRows', target),
    ];
    for (const error of translated) {
      expect(error).toMatchObject({ code: 'Unavailable', retryable: true });
      expect(error?.message).toContain(target);
      expect(error?.message).toContain('ENOSPC');
    }
  });

  it("SQLite's own disk-full result (SQLITE_FULL) is Unavailable and retryable, naming the database", () => {
    const file = join(base, 'full.sqlite');
    const db = new DatabaseSync(file);
    let full: unknown;
    try {
      db.exec('CREATE TABLE t (b BLOB); PRAGMA max_page_count = 4');
      for (let i = 0; i < 100 && full === undefined; i++) {
        try {
          db.prepare('INSERT INTO t VALUES (?)').run(new Uint8Array(4096));
        } catch (error) {
          full = error;
        }
      }
    } finally {
      db.close();
    }
    expect((full as { errcode?: number }).errcode).toBe(13);
    const error = translateQueueError(full, 'send', file);
    expect(error).toMatchObject({ code: 'Unavailable', retryable: true });
    expect(error.message).toContain(file);
  });
});

describe('state that is not a directory', () => {
  it('a state directory that is a file fails a put as Internal naming it, not NotFound', async () => {
    const stateDir = join(base, 'state-is-a-file');
    writeFileSync(stateDir, 'not a directory');
    const store = createFsObjectStore({ root: join(base, 'objects'), stateDir });
    const error = await store.put('k', 'v').catch((e: unknown) => e as CloudmuxError);
    expect(CloudmuxError.hasCode(error, 'Internal')).toBe(true);
    expect((error as Error).message).toContain(stateDir);
  });

  it('a queue database below a file fails naming the database path', async () => {
    writeFileSync(join(base, 'file'), 'not a directory');
    const file = join(base, 'file', 'queue.sqlite');
    const queue = createSqliteQueue({ file });
    const error = await queue.ensureQueue('q').catch((e: unknown) => e as CloudmuxError);
    expect(CloudmuxError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(file);
    // mkdir reports EEXIST for a file in the way, SQLite's open ENOTDIR: either names the cause.
    expect((error as Error).message).toMatch(/EEXIST|ENOTDIR/);
    await queue.close();
  });
});
