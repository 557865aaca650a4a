/**
 * The self-hosted provider's cost: machines you run, at a price per machine-hour that YOU state
 * (hardware amortisation, power, space, operations — whatever your books say). cloudmux publishes
 * no such price; the default below is a documented placeholder so a comparison runs at all, and
 * every line it produces is labelled `user-stated` with where the figure came from.
 *
 * The month is flat: the stated machines carry every volume. A volume they cannot sustain needs
 * more machines, which is for the user to state (the pipeline run's measured throughput on the
 * stack is in the same report to judge it by).
 */
import { CloudmuxError } from '@cloudmux/core';
import { HOURS_PER_MONTH } from './model/month.ts';
import type { CostLine, Projection, Scenario } from './types.ts';

export interface MachineHourPrice {
  /** USD per machine-hour, as the user states it. */
  usdPerMachineHour: number;
  /** Machines running the stack (object store, queue, warehouse), all month. */
  machines: number;
  /** Where the figures came from, e.g. `--machine-hour-usd 0.12 --machines 3` or `default`. */
  statedAs: string;
  /** Day the figures were stated (YYYY-MM-DD); default today. */
  asOf?: string;
}

/**
 * Documented defaults, not a published price: three machines (a three-node NATS cluster and MinIO
 * and Trino beside it) at $0.10 an hour each (about $73 a month: a small rented dedicated server).
 */
export const DEFAULT_MACHINE_HOUR_PRICE: Omit<MachineHourPrice, 'statedAs'> = {
  usdPerMachineHour: 0.1,
  machines: 3,
};

// The month the cloud tables price by (730 h), so the columns compare.
const DOCS =
  'https://github.com/cloudmux/cloudmux/blob/main/packages/pricing/README.md#self-hosted-machine-hours';

function invalid(field: string, message: string): CloudmuxError {
  return new CloudmuxError({
    code: 'InvalidArgument',
    operation: 'machineHours',
    message: `${field}: ${message}`,
  });
}

/** The month of a self-hosted stack at `scenario`'s volume: machines × hours × the stated price. */
export function projectMachineHours(price: MachineHourPrice, scenario: Scenario): Projection {
  if (!(Number.isFinite(price.usdPerMachineHour) && price.usdPerMachineHour >= 0)) {
    throw invalid('usdPerMachineHour', 'must be a number ≥ 0 (USD per machine-hour)');
  }
  if (!(Number.isInteger(price.machines) && price.machines >= 1)) {
    throw invalid('machines', 'must be a whole number ≥ 1');
  }
  const quantity = price.machines * HOURS_PER_MONTH;
  const usd = quantity * price.usdPerMachineHour;
  const line: CostLine = {
    service: 'self-hosted machines',
    unit: 'selfhosted.machine-hours',
    class: 'fixed',
    quantity,
    freeQuantity: 0,
    unitPriceUsd: price.usdPerMachineHour,
    usd,
    source: {
      url: DOCS,
      asOf: price.asOf ?? new Date().toISOString().slice(0, 10),
      class: 'user-stated',
      via: price.statedAs,
      note: 'stated by the user, not a published price',
    },
  };
  return {
    provider: 'selfhosted',
    region: 'your machines',
    eventsPerDay: scenario.eventsPerDay,
    batchRunsPerDay: scenario.batchRunsPerDay,
    monthlyUsd: usd,
    lowUsd: usd,
    highUsd: usd,
    lines: [line],
    unpriced: [],
    assumptions: [
      `Self-hosted: ${price.machines} machine(s) × ${HOURS_PER_MONTH} h × $${price.usdPerMachineHour}/machine-hour, a price the user states (${price.statedAs}), not a published one.`,
      'Flat across volumes: the stated machines are assumed to carry every volume; state more machines for volumes they cannot sustain.',
    ],
  };
}
