/**
 * Strict query-parameter parsing for the serving API: a value that is not exactly what the route
 * takes is a 400 naming the parameter, never silently normalised (2001-01-32 is not 2001-02-01).
 */
import { CloudmuxError } from '@cloudmux/core';

/** A request the endpoint cannot answer: names the parameter (`field`) and what it must be. */
export class BadParameter extends CloudmuxError {
  readonly field: string;
  constructor(field: string, message: string) {
    super({ code: 'InvalidArgument', message, operation: 'serve' });
    this.field = field;
  }
}
/** True for a real calendar day written YYYY-MM-DD (years 0001–9999). */
export function isIsoDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  // The Date rolls an impossible day over into the next month; a real one comes back unchanged.
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function dateParameter(name: string, value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  if (!isIsoDate(value))
    throw new BadParameter(name, `${name} must be a calendar date YYYY-MM-DD (got ${JSON.stringify(value)})`);
  return value;
}

/** A whole number in [min, max]; absent means the default (0 is a value, not "absent"). */
export function intParameter(
  name: string,
  value: string | undefined,
  options: { min: number; max: number; fallback: number },
): number {
  if (value === undefined || value === '') return options.fallback;
  if (!/^-?\d+$/.test(value.trim()))
    throw new BadParameter(name, `${name} must be a whole number (got ${JSON.stringify(value)})`);
  const n = Number(value);
  if (n < options.min || n > options.max)
    throw new BadParameter(name, `${name} must be between ${options.min} and ${options.max} (got ${n})`);
  return n;
}
