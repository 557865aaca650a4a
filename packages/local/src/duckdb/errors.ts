import { CloudmuxError, DriverError, type ErrorCode } from '@cloudmux/core';
import { storageError } from '../storage-errors.ts';

/**
 * DuckDB raises plain `Error`s whose message starts with the error class ("Parser Error: …",
 * "Catalog Error: …"); the class and a few well-known phrases decide the code. DuckDB's message is
 * kept: it names the statement position, never a bound parameter's value.
 */
export function translateDuckDbError(
  error: unknown,
  operation: string,
  path = 'the warehouse file',
): CloudmuxError | DriverError {
  if (CloudmuxError.isInstance(error) || DriverError.isInstance(error)) return error;
  // Plain fs errors (creating the database's directory) name their path themselves.
  const storage = storageError(error, { resource: 'warehouse', operation, path });
  if (storage) return storage;
  const message = error instanceof Error ? error.message : String(error);
  const kind = /^([A-Za-z ]+?) Error:/.exec(message)?.[1] ?? '';
  const { code, retryable } = classify(kind, message);
  // The portable Warehouse writes the message around DuckDB's own words.
  return new DriverError(code, {
    detail: `duckdb: ${message}`,
    cause: error,
    ...(retryable === undefined ? {} : { retryable }),
  });
}

function classify(kind: string, message: string): { code: ErrorCode; retryable?: boolean } {
  switch (kind) {
    case 'Catalog':
      // A missing relation is NotFound; a misspelt function or type is a bad statement.
      if (/(Table|View|Schema|Catalog|Database) with name .* does not exist/i.test(message))
        return { code: 'NotFound' };
      if (/already exists/i.test(message)) return { code: 'AlreadyExists' };
      if (/write-write conflict/i.test(message)) return { code: 'PreconditionFailed', retryable: true };
      return { code: 'InvalidArgument' };
    case 'Parser':
    case 'Syntax':
    case 'Binder':
    case 'Conversion':
    case 'Invalid Input':
    case 'Invalid type':
    case 'Out of Range':
    case 'Constraint':
    case 'Mismatch Type':
    case 'Type':
    case 'Not implemented':
    case 'Dependency':
      return { code: 'InvalidArgument' };
    case 'Transaction':
    case 'TransactionContext':
      // Optimistic concurrency: another transaction won; the whole transaction may be retried.
      return { code: 'PreconditionFailed', retryable: /conflict/i.test(message) };
    case 'IO':
      if (/no files found|does not exist|no such file/i.test(message)) return { code: 'NotFound' };
      if (/could not set lock|conflicting lock/i.test(message)) return { code: 'Unavailable' };
      // DuckDB's IO messages name the file and quote the OS error: a read-only or full disk.
      if (/permission denied|read-only file system|operation not permitted/i.test(message))
        return { code: 'PermissionDenied' };
      if (/no space left on device|disk quota exceeded/i.test(message))
        return { code: 'Unavailable', retryable: true };
      return { code: 'Internal' };
    case 'Permission':
      return { code: 'PermissionDenied' };
    case 'INTERRUPT':
      return { code: 'Timeout' };
    default:
      return { code: 'Internal' };
  }
}
