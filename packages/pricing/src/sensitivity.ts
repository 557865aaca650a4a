import { CloudmuxError } from '@cloudmux/core';
import { centralMonthlyUsd, projectMonthly } from './model/index.ts';
import type { ModelParams, Projection, Scenario, UsageProfile } from './types.ts';

export type SensitivityBase = Omit<Scenario, 'eventsPerDay'>;

/** 1 k → 1 B events/day, three points a decade (1, 2, 5). */
export const DEFAULT_VOLUMES: readonly number[] = [3, 4, 5, 6, 7, 8, 9].flatMap((exp) =>
  exp === 9 ? [10 ** exp] : [1, 2, 5].map((m) => m * 10 ** exp),
);

function keyOf(profiles: readonly UsageProfile[]): string[] {
  const keys = profiles.map((p) => p.provider);
  const duplicate = keys.find((k, i) => keys.indexOf(k) !== i);
  if (duplicate) {
    throw new CloudmuxError({
      code: 'InvalidArgument',
      operation: 'sensitivity',
      message: `profiles: provider '${duplicate}' appears twice; compare one region per provider`,
    });
  }
  return keys;
}

/** Monthly projections per provider at each volume (events/day), same batch cadence and retention. */
export function sensitivity(
  profiles: readonly UsageProfile[],
  volumes: readonly number[],
  base: SensitivityBase,
  params: ModelParams = {},
): Record<string, Projection[]> {
  const keys = keyOf(profiles);
  const out: Record<string, Projection[]> = {};
  profiles.forEach((profile, i) => {
    out[keys[i] as string] = volumes.map((eventsPerDay) =>
      projectMonthly(profile, { ...base, eventsPerDay }, params),
    );
  });
  return out;
}

export interface BreakEven {
  a: string;
  b: string;
  /** Volume where the two monthly totals are equal (to 0.1 %). */
  eventsPerDay: number;
  /** Which provider is cheaper just below the crossing. */
  cheaperBelow: string;
}

/**
 * Volumes where two providers' monthly totals cross, searched on a log scale between `min` and
 * `max` events/day (20 steps a decade, then bisection).
 */
export function breakEvens(
  profiles: readonly UsageProfile[],
  base: SensitivityBase,
  params: ModelParams = {},
  range: { min: number; max: number } = { min: 1e3, max: 1e9 },
): BreakEven[] {
  const keys = keyOf(profiles);
  const monthly = (profile: UsageProfile, eventsPerDay: number) =>
    centralMonthlyUsd(profile, { ...base, eventsPerDay }, params);
  const lo = Math.log10(range.min);
  const hi = Math.log10(range.max);
  const steps = Math.max(1, Math.round((hi - lo) * 20));
  const grid = Array.from({ length: steps + 1 }, (_, i) => lo + ((hi - lo) * i) / steps);
  const out: BreakEven[] = [];
  for (let i = 0; i < profiles.length; i++) {
    for (let j = i + 1; j < profiles.length; j++) {
      const a = profiles[i] as UsageProfile;
      const b = profiles[j] as UsageProfile;
      const diff = (logV: number) => monthly(a, 10 ** logV) - monthly(b, 10 ** logV);
      let prevX = grid[0] as number;
      let prev = diff(prevX);
      for (const x of grid.slice(1)) {
        const d = diff(x);
        if (prev !== 0 && Math.sign(d) !== Math.sign(prev)) {
          let left = prevX;
          let right = x;
          for (let k = 0; k < 40 && right - left > 1e-4; k++) {
            const mid = (left + right) / 2;
            if (Math.sign(diff(mid)) === Math.sign(prev)) left = mid;
            else right = mid;
          }
          out.push({
            a: keys[i] as string,
            b: keys[j] as string,
            eventsPerDay: 10 ** ((left + right) / 2),
            cheaperBelow: prev < 0 ? (keys[i] as string) : (keys[j] as string),
          });
        }
        if (d !== 0) {
          prev = d;
          prevX = x;
        }
      }
    }
  }
  return out.sort((x, y) => x.eventsPerDay - y.eventsPerDay);
}

/** True when two projections' low–high ranges share any value: neither is clearly cheaper. */
export function rangesOverlap(
  a: Pick<Projection, 'lowUsd' | 'highUsd'>,
  b: Pick<Projection, 'lowUsd' | 'highUsd'>,
): boolean {
  return a.lowUsd <= b.highUsd && b.lowUsd <= a.highUsd;
}

export interface Verdict {
  /** Cheapest by central monthly figure. */
  cheapest: string;
  /** Only when the cheapest's whole range lies below every other provider's range. */
  clearWinner: string | null;
  /** Providers whose range overlaps the cheapest's (no clear winner among them). */
  overlapping: string[];
}

/** Who is cheapest at one volume, and whether the ranges let the report say so. */
export function verdictAt(projections: Readonly<Record<string, Projection>>): Verdict {
  const entries = Object.entries(projections);
  if (entries.length === 0) {
    throw new CloudmuxError({
      code: 'InvalidArgument',
      operation: 'verdictAt',
      message: 'projections: give at least one provider',
    });
  }
  const sorted = [...entries].sort((x, y) => x[1].monthlyUsd - y[1].monthlyUsd);
  const [cheapest, best] = sorted[0] as [string, Projection];
  const overlapping = sorted
    .slice(1)
    .filter(([, p]) => rangesOverlap(best, p))
    .map(([name]) => name);
  return { cheapest, clearWinner: overlapping.length === 0 ? cheapest : null, overlapping };
}
