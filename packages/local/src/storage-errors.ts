/**
 * Errors of the disk under the local provider's state (objects, queue database, warehouse file,
 * secrets): a read-only or full disk must say which path failed and why, never surface as
 * "Internal: queue database error" or "NotFound". Permission problems are PermissionDenied (a
 * person has to fix them); a full disk or exhausted file handles are Unavailable and retryable
 * (space can come back; the error model has no separate "resource exhausted" code).
 */
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { DriverError, type ErrorCode, type ResourceName } from '@cloudmux/core';

interface Cause {
  code: ErrorCode;
  text: string;
  fix: string;
}

const CAUSES: Record<string, Cause> = {
  EACCES: {
    code: 'PermissionDenied',
    text: 'permission denied',
    fix: 'make it writable by the user running cloudmux',
  },
  EPERM: {
    code: 'PermissionDenied',
    text: 'operation not permitted',
    fix: 'make it writable by the user running cloudmux',
  },
  EROFS: {
    code: 'PermissionDenied',
    text: 'read-only file system',
    fix: 'point the local provider at a writable file system',
  },
  ENOSPC: { code: 'Unavailable', text: 'no space left on device', fix: 'free disk space, then retry' },
  EDQUOT: {
    code: 'Unavailable',
    text: 'disk quota exceeded',
    fix: 'free space within the quota, then retry',
  },
  EMFILE: { code: 'Unavailable', text: 'too many open files in this process', fix: 'retry later' },
  ENFILE: { code: 'Unavailable', text: 'too many open files on this system', fix: 'retry later' },
  EIO: { code: 'Unavailable', text: 'input/output error', fix: 'check the disk, then retry' },
};

export interface StorageContext {
  provider?: string;
  resource: ResourceName;
  operation: string;
  /** The path the call was working on, named when the error itself carries none (fd writes). */
  path: string;
}

/** The errno code of a Node fs error, if it is one. */
export const errnoOf = (error: unknown): string | undefined =>
  (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * The DriverError for a failed filesystem call on the provider's own storage, its detail naming the
 * path, the cause and the fix (the portable layer writes the message around it); undefined when the
 * errno is not a storage condition (ENOENT, EEXIST, ENOTDIR…), which the caller interprets itself.
 */
export function storageError(error: unknown, context: StorageContext): DriverError | undefined {
  const errno = errnoOf(error);
  const cause = errno === undefined ? undefined : CAUSES[errno];
  if (!cause) return undefined;
  const path = (error as NodeJS.ErrnoException).path ?? context.path;
  return new DriverError(cause.code, {
    detail: `cannot access ${path}: ${cause.text} (${errno}); ${cause.fix}`,
    cause: error,
    retryable: cause.code === 'Unavailable',
  });
}

/**
 * Why `file` cannot be written, as the errno error the file system gives for it (or for its
 * directory when the file does not exist yet); undefined when both look writable. Used where a
 * library (SQLite, DuckDB) reports only "cannot open" and the cause has to be found out.
 */
export function writeProblem(file: string): NodeJS.ErrnoException | undefined {
  for (const target of [file, dirname(file)]) {
    try {
      accessSync(target, constants.W_OK);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT' && target === file) continue;
      return error as NodeJS.ErrnoException;
    }
  }
  return undefined;
}
