/** Small helpers the scheme tables share, so no entry re-implements URL handling. */
import { ConfigError } from '../errors.ts';
import type { ParsedResourceUrl } from './types.ts';

/** Drops undefined values, so a URL without a parameter leaves the provider's default in place. */
export function defined(entries: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined));
}

/** A key prefix: `a/b` → `a/b/`, empty stays empty (no prefix). */
export function directoryPrefix(url: ParsedResourceUrl): string {
  return url.path === '' || url.path.endsWith('/') ? url.path : `${url.path}/`;
}

/** A name prefix taken as written (`cmx-` stays `cmx-`); empty → undefined (the provider's default). */
export function namePrefix(url: ParsedResourceUrl): string | undefined {
  return url.path === '' ? undefined : url.path;
}

/** `true`/`false` parameters; anything else names the parameter and its two values. */
export function flag(url: ParsedResourceUrl, name: string): boolean | undefined {
  const value = url.query.get(name);
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigError({
    field: `url ?${name}`,
    problem: `'${value}' is not a boolean`,
    fix: `write ?${name}=true or ?${name}=false`,
  });
}

/** A positive integer parameter. */
export function positiveInteger(url: ParsedResourceUrl, name: string): number | undefined {
  const value = url.query.get(name);
  if (value === undefined) return undefined;
  if (/^[1-9][0-9]{0,8}$/.test(value)) return Number(value);
  throw new ConfigError({
    field: `url ?${name}`,
    problem: `'${value}' is not a positive integer`,
    fix: `write ?${name}= followed by a whole number ≥ 1`,
  });
}

/** The one path segment a scheme expects (a database, a dataset), or a ConfigError naming it. */
export function singleSegment(url: ParsedResourceUrl, what: string, example: string): string {
  const path = url.path.replace(/\/+$/, '');
  if (path === '' || path.includes('/')) {
    throw new ConfigError({
      field: 'url path',
      problem: path === '' ? `names no ${what}` : `'${path}' is not a single ${what} name`,
      fix: `write it as ${example}`,
    });
  }
  return path;
}
