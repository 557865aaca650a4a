/**
 * Argument rules of the portable ObjectStore: one answer on every provider, with sizes taken from
 * the driver's declared limits. Each check throws InvalidArgument naming the field; the operation
 * runner adds provider, operation and key to the message.
 *
 * The key rules, and why each is the same everywhere:
 * - a key is a non-empty string of at most `limits.maxKeyBytes` UTF-8 bytes;
 * - no control characters (U+0000–U+001F, U+007F): S3 answered NotFound for a key with a newline,
 *   GCS InvalidArgument, and Azure stored it and then failed to list the container;
 * - no `.` or `..` segment (`a/../b`, `./a`, `..`): S3 and GCS store such a key as given, Azure
 *   resolves it to another key (`b`), and a filesystem would climb out of its directory.
 * A driver may refuse more (`keyProblem`): the filesystem store rejects `a//b`, for example.
 */
import { Readable } from 'node:stream';
import { DriverError } from '../portable/errors.ts';
import type {
  DriverBody,
  DriverListOptions,
  DriverPresignOptions,
  DriverPutOptions,
  DriverRange,
  ObjectStoreDriver,
} from './driver.ts';
import type { ByteRange, ListOptions, ObjectBody, PresignOptions, PutOptions } from './types.ts';

/** Page size when the caller names none (at most the driver's own maximum). */
export const DEFAULT_PAGE_SIZE = 1000;
const METADATA_NAME = /^[a-z0-9][a-z0-9._-]*$/;

function invalid(problem: string): DriverError {
  return new DriverError('InvalidArgument', { detail: problem });
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Why `key` breaks the portable rules (see the file comment), or undefined. */
export function portableKeyProblem(key: unknown, maxBytes: number): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'a key must be a non-empty string';
  if (hasControlCharacter(key)) return 'a key must not contain control characters (such as a newline)';
  for (const segment of key.split('/')) {
    if (segment === '.' || segment === '..') return "a key must not contain '.' or '..' segments";
  }
  const bytes = Buffer.byteLength(key);
  if (bytes > maxBytes) return `a key of ${bytes} bytes exceeds this store's limit of ${maxBytes}`;
  return undefined;
}

export function checkKey(driver: ObjectStoreDriver, key: unknown, field = 'key'): string {
  const problem = portableKeyProblem(key, driver.limits.maxKeyBytes) ?? driver.keyProblem(key as string);
  if (problem !== undefined) throw invalid(`${field} ${JSON.stringify(key)} is not valid: ${problem}`);
  return key as string;
}

/** A key, or a key followed by `/` naming the prefix of a warehouse load. */
export function checkKeyOrPrefix(driver: ObjectStoreDriver, key: unknown): void {
  const name = typeof key === 'string' && key.length > 1 && key.endsWith('/') ? key.slice(0, -1) : key;
  checkKey(driver, name);
}

export function checkRange(range: ByteRange | undefined): DriverRange | undefined {
  if (range === undefined) return undefined;
  if (typeof range !== 'object' || range === null) throw invalid('range must be { offset, length? }');
  const { offset, length } = range;
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw invalid('range offset must be a whole number ≥ 0');
  }
  if (length === undefined) return { offset };
  // HTTP ranges cannot express zero bytes, so no service can answer an empty range.
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 1) {
    throw invalid('range length must be a whole number ≥ 1');
  }
  return { offset, length };
}

export function checkMetadata(metadata: unknown): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  if (typeof metadata !== 'object' || metadata === null) throw invalid('metadata must be an object');
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_NAME.test(name)) {
      throw invalid(`metadata name ${JSON.stringify(name)} must be lower-case ASCII ([a-z0-9._-])`);
    }
    if (typeof value !== 'string') throw invalid(`metadata '${name}' must be a string`);
  }
  return metadata as Record<string, string>;
}

export function checkCreateOnly(ifNoneMatch: unknown): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch !== '*') throw invalid("ifNoneMatch accepts only '*'");
  return true;
}

export function putSettings(options: PutOptions): DriverPutOptions {
  const createOnly = checkCreateOnly(options.ifNoneMatch);
  const { ifMatch, contentType } = options;
  if (ifMatch !== undefined && (typeof ifMatch !== 'string' || ifMatch.length === 0)) {
    throw invalid('ifMatch must be a non-empty etag');
  }
  if (createOnly && ifMatch !== undefined) throw invalid('ifNoneMatch and ifMatch cannot be combined');
  if (contentType !== undefined && typeof contentType !== 'string')
    throw invalid('contentType must be a string');
  const settings: DriverPutOptions = {};
  if (contentType !== undefined) settings.contentType = contentType;
  const metadata = checkMetadata(options.metadata);
  if (metadata !== undefined) settings.metadata = metadata;
  if (createOnly) settings.createOnly = true;
  if (ifMatch !== undefined) settings.ifMatch = ifMatch;
  return settings;
}

/** Text as UTF-8 bytes, web streams as Node Readables; anything else is InvalidArgument. */
export function driverBody(body: ObjectBody): DriverBody {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array || body instanceof Readable) return body;
  if (typeof (body as ReadableStream | undefined)?.getReader === 'function') {
    return Readable.fromWeb(body as import('node:stream/web').ReadableStream);
  }
  throw invalid('a body is a Uint8Array, a string, a ReadableStream or a Readable');
}

/** A repeated put with a buffered body and no condition leaves the same object: it may be retried. */
export function isReplayable(body: ObjectBody, options: PutOptions): boolean {
  return (
    (typeof body === 'string' || body instanceof Uint8Array) &&
    options.ifNoneMatch === undefined &&
    options.ifMatch === undefined
  );
}

function checkListText(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  // No key holds a control character, so a filter with one could only ever match nothing.
  if (hasControlCharacter(value)) throw invalid(`${field} must not contain control characters`);
  return value;
}

export function listSettings(driver: ObjectStoreDriver, options: ListOptions): DriverListOptions {
  const max = driver.limits.maxListPageSize;
  const pageSize = options.pageSize ?? Math.min(DEFAULT_PAGE_SIZE, max);
  if (typeof pageSize !== 'number' || !Number.isInteger(pageSize) || pageSize < 1) {
    throw invalid('pageSize must be a whole number ≥ 1');
  }
  const settings: DriverListOptions = {
    prefix: checkListText(options.prefix, 'prefix') ?? '',
    // A page may always hold fewer entries than asked: a larger size is cut to the service's maximum.
    pageSize: Math.min(pageSize, max),
  };
  const delimiter = checkListText(options.delimiter, 'delimiter');
  if (delimiter) settings.delimiter = delimiter;
  const startAfter = checkListText(options.startAfter, 'startAfter');
  if (startAfter !== undefined) settings.startAfter = startAfter;
  if (options.pageToken !== undefined) {
    if (typeof options.pageToken !== 'string') throw invalid('pageToken must be a string');
    if (options.pageToken !== '') settings.pageToken = options.pageToken;
  }
  return settings;
}

export function presignSettings(driver: ObjectStoreDriver, options: PresignOptions): DriverPresignOptions {
  if (typeof options !== 'object' || options === null)
    throw invalid('presign needs { method, expiresInSeconds }');
  const { method, expiresInSeconds, contentType } = options;
  if (method !== 'GET' && method !== 'PUT') throw invalid("method must be 'GET' or 'PUT'");
  const max = driver.limits.maxPresignSeconds;
  if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > max) {
    throw invalid(`expiresInSeconds must be a whole number from 1 to ${max}`);
  }
  const settings: DriverPresignOptions = { method, expiresInSeconds };
  if (contentType !== undefined) settings.contentType = contentType;
  return settings;
}
