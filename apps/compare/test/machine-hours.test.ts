import { describe, expect, it } from 'vitest';
import { machineHourCost } from '../src/costing.ts';

const settings = { volumes: [100_000, 10_000_000], batchRunsPerDay: 24, retentionDays: 30, freeTier: false };

describe('the self-hosted provider is priced from the machine-hours the user states', () => {
  it('projects machines × 730 h × the stated price at every volume, with the statement in the assumptions', () => {
    const cost = machineHourCost(
      { usdPerMachineHour: 0.5, machines: 2, statedAs: '--machine-hour-usd 0.5 --machines 2' },
      settings,
    );
    expect(cost.projections.map((p) => [p.eventsPerDay, p.monthlyUsd])).toEqual([
      [100_000, 730],
      [10_000_000, 730],
    ]);
    expect(cost.projections[0]!.lines[0]!.source.class).toBe('user-stated');
    expect(cost.sensitivity.length).toBeGreaterThan(10);
    expect(cost.assumptions.join(' ')).toContain('--machine-hour-usd 0.5 --machines 2');
  });
});
