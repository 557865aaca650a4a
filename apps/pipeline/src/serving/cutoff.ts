import { isIsoDate } from './params.ts';

/**
 * The cutoff day as the queries can use it. A day past year 9999 (a batch over an event dated in
 * year 10000, accepted before ingest had time bounds) means the batch covers every day that can be
 * asked for; anything else unreadable means the batch view cannot be trusted for any day.
 */
export function servingCutoff(cutoffDay: string | null): { day: string | null; problem?: string } {
  if (cutoffDay === null || isIsoDate(cutoffDay)) return { day: cutoffDay };
  if (/^\+\d{5,}-/.test(cutoffDay))
    return { day: '9999-12-31', problem: `cutoff day ${cutoffDay} is past year 9999` };
  return { day: null, problem: `cutoff day ${JSON.stringify(cutoffDay)} is not a date` };
}
