/**
 * What a failed filesystem call means to a caller of the filesystem object store. The store's
 * own translation in one place, so a real errno error can be checked against it. The driver
 * throws DriverErrors (a code and the words that name the key or path); the portable ObjectStore
 * writes the message around them.
 */
import { CloudmuxError, DriverError, type ErrorCode } from '@cloudmux/core';
import { storageError } from '../storage-errors.ts';

const PROVIDER = 'local';

export const fail = (code: ErrorCode, detail: string, cause?: unknown): DriverError =>
  new DriverError(code, cause === undefined ? { detail } : { detail, cause });

/** The code of an errno error the driver let escape (`errorCode` of the driver). */
export function fsErrorCode(error: unknown): ErrorCode {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return (code && FS_CODES[code]) || 'Internal';
}

const FS_CODES: Record<string, ErrorCode> = {
  ENOENT: 'NotFound',
  ENOTDIR: 'NotFound',
  EEXIST: 'AlreadyExists',
  ELOOP: 'PermissionDenied',
  EBUSY: 'Unavailable',
  EAGAIN: 'Unavailable',
  ETIMEDOUT: 'Timeout',
  ENAMETOOLONG: 'InvalidArgument',
  EINVAL: 'InvalidArgument',
  EISDIR: 'InvalidArgument',
};

/**
 * Translates anything thrown inside an operation into a CloudmuxError (CloudmuxErrors pass
 * through). A read-only or full disk names the failing path (`path` when the error has none). A
 * path of the store's own state directory that is missing or not a directory is a broken store,
 * never NotFound for the key.
 */
export function translateFsError(
  error: unknown,
  operation: string,
  key: string | undefined,
  path: string,
  stateDir: string,
): CloudmuxError | DriverError {
  if (CloudmuxError.isInstance(error) || DriverError.isInstance(error)) return error;
  const storage = storageError(error, { provider: PROVIDER, resource: 'objectStore', operation, path });
  if (storage) return storage;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const failedPath = (error as NodeJS.ErrnoException | undefined)?.path;
  if (
    failedPath !== undefined &&
    (failedPath === stateDir || failedPath.startsWith(`${stateDir}/`)) &&
    (code === 'ENOTDIR' || code === 'ENOENT' || code === 'EEXIST')
  ) {
    return fail(
      'Internal',
      `the object store's state directory ${stateDir} is not usable: ${failedPath}: ${code}; it must be a writable directory`,
      error,
    );
  }
  const mapped = (code && FS_CODES[code]) || 'Internal';
  const what = key === undefined ? '' : ` (key ${JSON.stringify(key)})`;
  return fail(mapped, `${operation} failed${what}: ${code ?? String(error)}`, error);
}
