/**
 * What a failed SQLite call on the queue database means to a caller. SQLite reports result codes
 * ("unable to open database file", "attempt to write a readonly database"); where it does not say
 * why, the file system is asked, so the error names the path and the cause.
 */
import { CloudmuxError, DriverError, type ErrorCode } from '@cloudmux/core';
import { storageError, writeProblem } from './storage-errors.ts';

// Primary result codes (the low byte of an extended code): https://sqlite.org/rescode.html
const SQLITE_PERM = 3;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

// The detail names the database file and SQLite's cause; the portable queue writes the message.
function fail(code: ErrorCode, detail: string, cause: unknown, retryable?: boolean) {
  return new DriverError(code, { detail, cause, ...(retryable === undefined ? {} : { retryable }) });
}

/** Translates a failure on the queue database `file`; CloudmuxErrors pass through. */
export function translateQueueError(
  error: unknown,
  operation: string,
  file: string,
): CloudmuxError | DriverError {
  if (CloudmuxError.isInstance(error) || DriverError.isInstance(error)) return error;
  // Creating the database's directory fails with a plain fs error.
  const storage = storageError(error, { resource: 'queue', operation, path: file });
  if (storage) return storage;
  const { errcode, errstr } = error as { errcode?: number; errstr?: string };
  const primary = errcode === undefined ? undefined : errcode & 0xff;
  const what = `queue database ${file}`;
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return fail('Unavailable', `${what} is locked by another process`, error);
    case SQLITE_FULL:
      return fail(
        'Unavailable',
        `${what}: the disk is full (SQLITE_FULL); free space, then retry`,
        error,
        true,
      );
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_CANTOPEN: {
      // SQLite does not say why; the file system does (a read-only directory also makes the
      // database read-only: its journal lives beside it).
      const problem = writeProblem(file);
      const found = problem && storageError(problem, { resource: 'queue', operation, path: file });
      if (found) return fail(found.code, `${what}: ${found.detail}`, error);
      if (primary === SQLITE_CANTOPEN) {
        return fail(
          'Internal',
          `${what} cannot be opened: ${problem?.code ?? errstr ?? 'unknown cause'}`,
          error,
        );
      }
      return fail('PermissionDenied', `${what} is read-only: ${errstr ?? 'SQLITE_READONLY'}`, error);
    }
    case SQLITE_IOERR:
      return fail('Unavailable', `${what}: disk I/O error (${errstr ?? 'SQLITE_IOERR'})`, error);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return fail('Internal', `${what} is corrupt or not a SQLite database (${errstr})`, error);
    default:
      return fail(
        'Internal',
        `${what}: ${errstr ?? (error instanceof Error ? error.message : String(error))}`,
        error,
      );
  }
}
