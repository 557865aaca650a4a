import { CloudmuxError } from '@cloudmux/core';

const DAY_MS = 86_400_000;

/** The range of event times the pipeline accepts, epoch milliseconds, both ends inclusive. */
export interface EventTimeBounds {
  min: number;
  /** A function so that a long-running `serve` keeps accepting real-time events as days pass. */
  max: () => number;
}

/**
 * Default bounds: 1970-01-01 (the flights of 2001 and anything since) up to one day after now (clock
 * skew and time zones of real-time senders). Every accepted time is then a day the lake can name, the
 * warehouse can store and the serving layer can format — a ts of 9007199254740991 or in year 10000 is
 * quarantined at ingest instead of blocking the speed layer or serving.
 */
export const DEFAULT_EVENT_TIME_MIN = 0;
export const DEFAULT_EVENT_TIME_MAX_AHEAD_MS = DAY_MS;

/** Epoch ms from an ISO date / date-time or a whole number of ms; undefined when it is neither. */
function parseInstant(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^-?\d+$/.test(trimmed)) {
    const ms = Number(trimmed);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(trimmed)) return undefined;
  const ms = Date.parse(/T/.test(trimmed) && !/(Z|[+-]\d{2}:\d{2})$/.test(trimmed) ? `${trimmed}Z` : trimmed);
  return Number.isNaN(ms) ? undefined : ms;
}

function invalidBound(field: string, value: string, why: string): CloudmuxError {
  return new CloudmuxError({
    code: 'InvalidArgument',
    operation: 'eventTimeBounds',
    message: `${field}=${JSON.stringify(value)} ${why}: give an ISO date (2001-01-01), an ISO date-time or epoch milliseconds`,
  });
}

/**
 * Bounds from explicit options, then PIPELINE_EVENT_TIME_MIN / PIPELINE_EVENT_TIME_MAX, then the
 * defaults. A configured maximum is fixed; the default one moves with the clock.
 */
export function eventTimeBounds(
  options: { min?: string; max?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): EventTimeBounds {
  const minText = options.min ?? env.PIPELINE_EVENT_TIME_MIN;
  const maxText = options.max ?? env.PIPELINE_EVENT_TIME_MAX;
  const minField = options.min !== undefined ? 'eventTimeMin' : 'PIPELINE_EVENT_TIME_MIN';
  const maxField = options.max !== undefined ? 'eventTimeMax' : 'PIPELINE_EVENT_TIME_MAX';
  let min = DEFAULT_EVENT_TIME_MIN;
  if (minText !== undefined && minText !== '') {
    const parsed = parseInstant(minText);
    if (parsed === undefined) throw invalidBound(minField, minText, 'is not a time');
    min = parsed;
  }
  let max: () => number = () => Date.now() + DEFAULT_EVENT_TIME_MAX_AHEAD_MS;
  if (maxText !== undefined && maxText !== '') {
    const parsed = parseInstant(maxText);
    if (parsed === undefined) throw invalidBound(maxField, maxText, 'is not a time');
    if (parsed < min)
      throw invalidBound(maxField, maxText, `is before the minimum ${new Date(min).toISOString()}`);
    max = () => parsed;
  }
  return { min, max };
}

/** The range every stage can represent: a four-digit year (ISO day names, Parquet, SQL DATE). */
export const REPRESENTABLE_MIN = Date.parse('0001-01-01T00:00:00Z');
export const REPRESENTABLE_MAX = Date.parse('9999-12-31T23:59:59.999Z');

/** Why a time cannot flow through the pipeline, or undefined when it can. */
export function unrepresentableTime(ts: unknown): string | undefined {
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) return 'ts: not a whole number of milliseconds';
  if (ts < REPRESENTABLE_MIN || ts > REPRESENTABLE_MAX) return 'ts: outside years 0001–9999';
  return undefined;
}
