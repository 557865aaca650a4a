/**
 * The Node versions cloudmux runs on, checked when `@cloudmux/core` is imported. On an older Node the
 * first failure would otherwise be a missing built-in far from its cause (`node:sqlite` in the local
 * provider, `using` in the apps), or a registry message blaming a package that is installed.
 *
 * This module imports only `errors.ts`, and `index.ts` imports it first, so the check runs before
 * any other module of the package evaluates.
 */
import { CloudmuxError } from './errors.ts';

/** Equal to `engines.node` of every published package (a test keeps them in step). */
export const MINIMUM_NODE_VERSION = '24.11.0';

/** Thrown at import on a Node older than {@link MINIMUM_NODE_VERSION}. */
export class UnsupportedNodeError extends CloudmuxError {
  readonly found: string;
  readonly required: string;
  constructor(found: string, required: string = MINIMUM_NODE_VERSION) {
    super({
      code: 'Unsupported',
      message: `cloudmux needs Node >= ${required}; this is Node ${found}. Install Node ${required} or newer (the Active LTS line) and run again`,
      operation: 'import',
      retryable: false,
    });
    this.name = 'UnsupportedNodeError';
    this.found = found;
    this.required = required;
  }
}

/** True when `version` (`major.minor.patch`, no leading `v`) is at least `minimum`. */
export function isSupportedNodeVersion(version: string, minimum: string = MINIMUM_NODE_VERSION): boolean {
  const have = numericParts(version);
  const need = numericParts(minimum);
  for (let i = 0; i < 3; i++) {
    if (have[i]! !== need[i]!) return have[i]! > need[i]!;
  }
  return true;
}

export function assertSupportedNode(version: string = process.versions.node): void {
  if (!isSupportedNodeVersion(version)) throw new UnsupportedNodeError(version);
}

function numericParts(version: string): [number, number, number] {
  // A pre-release ("25.0.0-rc.1") counts as its release: cloudmux does not test pre-releases apart.
  const [major = 0, minor = 0, patch = 0] = version
    .replace(/^v/, '')
    .split('-')[0]!
    .split('.')
    .map((part) => Number.parseInt(part, 10) || 0);
  return [major, minor, patch];
}

assertSupportedNode();
