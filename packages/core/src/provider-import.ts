/**
 * How the registry imports a provider package when the app passes no importer. A package manager
 * installs providers as dependencies of the app, not of `@cloudmux/core` (pnpm keeps them out of
 * core's reach), so the specifier is resolved from the app's directory first, then from here (a flat
 * npm `node_modules`, an absolute path or URL).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export type Importer = (specifier: string) => Promise<unknown>;

export function importerFrom(baseDir: string): Importer {
  // createRequire wants a file inside the directory; it need not exist.
  const resolveFromApp = createRequire(join(baseDir, 'package.json')).resolve;
  return (specifier) => {
    const resolved = resolveOrUndefined(resolveFromApp, specifier);
    return resolved === undefined ? import(specifier) : import(pathToFileURL(resolved).href);
  };
}

function resolveOrUndefined(resolve: NodeJS.RequireResolve, specifier: string): string | undefined {
  try {
    return resolve(specifier);
  } catch {
    // Not resolvable from the app (absent, or exported for `import` only): the fallback import
    // either finds it or reports the failure with Node's own error.
    return undefined;
  }
}

/** True when `error` says the module `specifier` itself is missing (not one of its dependencies). */
export function isModuleMissing(error: unknown, specifier: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  // Node names the missing package in quotes ("Cannot find package '@cloudmux/aws' imported from …");
  // a missing dependency of the provider is named instead, and is a broken install, not a missing one.
  const message = String((error as Error).message);
  return message.includes(`'${specifier}'`) || message.includes(`"${specifier}"`);
}
