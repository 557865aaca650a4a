/**
 * Argument rules of the portable SecretStore: one answer on every provider, with sizes taken from
 * the driver's limits. Each check throws InvalidArgument naming the field; the operation runner adds
 * provider, operation and secret name. No message ever contains a value.
 */
import { DriverError } from '../portable/errors.ts';
import type { SecretStoreDriver } from './driver.ts';

function invalid(problem: string): DriverError {
  return new DriverError('InvalidArgument', { detail: problem });
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Non-empty text without control characters, and acceptable to the driver's service. */
export function checkSecretName(driver: SecretStoreDriver, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0)
    throw invalid('a secret name must be a non-empty string');
  if (CONTROL.test(name)) throw invalid('a secret name must not contain control characters');
  const problem = driver.secretNameProblem(name);
  if (problem !== undefined) throw invalid(`secret name is not valid on ${driver.provider}: ${problem}`);
}

/** Names in a `list` prefix follow the name rule, except that the empty prefix lists everything. */
export function checkPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string') throw invalid('prefix must be a string');
  if (CONTROL.test(prefix)) throw invalid('prefix must not contain control characters');
}

export function checkVersion(version: unknown): void {
  if (version === undefined) return;
  if (typeof version !== 'string' || version.length === 0)
    throw invalid('version must be a non-empty string');
}

/**
 * The value's bytes, checked: a string or Uint8Array of at least one byte (Secrets Manager refuses
 * an empty value, so no portable store takes one) within `limits.maxValueBytes` as the service counts.
 */
export function secretBytes(driver: SecretStoreDriver, value: unknown): Uint8Array {
  if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw invalid('a secret value is a string or a Uint8Array');
  }
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  if (bytes.byteLength === 0) throw invalid('a secret value must not be empty');
  const size = driver.valueSize(value, bytes);
  if (size > driver.limits.maxValueBytes) {
    throw invalid(
      `a value of ${size} bytes (as ${driver.provider} counts them) exceeds the limit of ${driver.limits.maxValueBytes}`,
    );
  }
  return bytes;
}
