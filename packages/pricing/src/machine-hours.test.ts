import { CloudmuxError } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MACHINE_HOUR_PRICE, projectMachineHours } from './machine-hours.ts';
import { priceSourceSchema } from './tables.ts';

const scenario = { eventsPerDay: 1_000_000, batchRunsPerDay: 24, retentionDays: 30, freeTier: false };

describe('projectMachineHours', () => {
  it('prices machines × 730 h at the stated price, labelled user-stated', () => {
    const p = projectMachineHours(
      {
        usdPerMachineHour: 0.25,
        machines: 4,
        statedAs: '--machine-hour-usd 0.25 --machines 4',
        asOf: '2026-12-02',
      },
      scenario,
    );
    expect(p.monthlyUsd).toBeCloseTo(4 * 730 * 0.25, 9);
    expect([p.lowUsd, p.highUsd]).toEqual([p.monthlyUsd, p.monthlyUsd]);
    expect(p.lines).toHaveLength(1);
    expect(p.lines[0]!.source).toMatchObject({
      class: 'user-stated',
      via: '--machine-hour-usd 0.25 --machines 4',
    });
    expect(priceSourceSchema.safeParse(p.lines[0]!.source).success).toBe(true);
    expect(p.assumptions.join(' ')).toContain('not a published one');
  });

  it('the documented default is 3 machines at $0.10 an hour', () => {
    const p = projectMachineHours({ ...DEFAULT_MACHINE_HOUR_PRICE, statedAs: 'default' }, scenario);
    expect(p.monthlyUsd).toBeCloseTo(219, 9);
  });

  it('refuses a negative price or a fractional machine count with InvalidArgument', () => {
    for (const bad of [
      { usdPerMachineHour: -1, machines: 3 },
      { usdPerMachineHour: Number.NaN, machines: 3 },
      { usdPerMachineHour: 0.1, machines: 0 },
      { usdPerMachineHour: 0.1, machines: 1.5 },
    ]) {
      const error = (() => {
        try {
          projectMachineHours({ ...bad, statedAs: 'test' }, scenario);
        } catch (e) {
          return e;
        }
      })();
      expect(CloudmuxError.hasCode(error, 'InvalidArgument')).toBe(true);
    }
  });
});
