import { CloudmuxError } from '@cloudmux/core';
import { isValidRedshiftBaseRpu } from '../rules.ts';
import type { PriceTable } from '../tables.ts';
import { priceTable } from '../tables.ts';
import type { ModelParams, Projection, Scenario, UsageProfile } from '../types.ts';
import { fmt, type Month, type Resolved } from './month.ts';
import { price } from './price.ts';
import { monthQuantities, pausedScheduleHours } from './quantities.ts';

const DEFAULT_REDSHIFT_BASE_RPU = 8;
const REDSHIFT_RANGE_RPU = [4, 8] as const;
const DEFAULT_SYNAPSE_DWU = 100;

/** The priced month at one setting of every parameter. */
function buildMonth(profile: UsageProfile, scenario: Scenario, table: PriceTable, p: Resolved): Month {
  const { q, assumptions } = monthQuantities(profile, scenario, p);
  assumptions.unshift(
    `Prices: ${table.provider} ${table.region}, list prices in USD without taxes, discounts or commitments; first price tier only (volume tiers not applied).`,
  );
  return price(table, q, p.freeTier, assumptions);
}

function invalid(field: string, message: string): CloudmuxError {
  return new CloudmuxError({
    code: 'InvalidArgument',
    operation: 'projectMonthly',
    message: `${field}: ${message}`,
  });
}

function validate(profile: UsageProfile, scenario: Scenario, params: ModelParams) {
  if (!(profile.eventsMeasured > 0)) throw invalid('profile.eventsMeasured', 'must be > 0 (a measured run)');
  if (!(scenario.eventsPerDay > 0)) throw invalid('scenario.eventsPerDay', 'must be > 0');
  if (!(scenario.batchRunsPerDay > 0)) throw invalid('scenario.batchRunsPerDay', 'must be > 0');
  if (!(scenario.retentionDays >= 0)) throw invalid('scenario.retentionDays', 'must be ≥ 0');
  if (params.redshiftBaseRpu !== undefined && !isValidRedshiftBaseRpu(params.redshiftBaseRpu)) {
    throw invalid(
      'params.redshiftBaseRpu',
      'Redshift Serverless base capacity is 4, or 8 to 512 in steps of 8',
    );
  }
  const hours = params.synapse?.hoursPerDay;
  if (hours !== undefined && !(hours >= 0 && hours <= 24)) {
    throw invalid('params.synapse.hoursPerDay', 'must be between 0 and 24');
  }
  const dwu = params.synapse?.dwu;
  if (dwu !== undefined && !(dwu >= 100 && dwu % 100 === 0)) {
    throw invalid('params.synapse.dwu', 'dedicated pools come in multiples of 100 DWU (DW100c and up)');
  }
}

function synapsePoolOf(profile: UsageProfile, params: ModelParams): 'serverless' | 'dedicated' {
  if (params.synapse?.pool) return params.synapse.pool;
  const reported = { ...profile.perEventUnits, ...profile.batchRunUnits };
  return Object.keys(reported).some((u) => u.startsWith('synapse.serverless.')) ? 'serverless' : 'dedicated';
}

function resolve(profile: UsageProfile, scenario: Scenario, params: ModelParams): Resolved {
  return {
    redshiftBaseRpu: params.redshiftBaseRpu ?? DEFAULT_REDSHIFT_BASE_RPU,
    redshiftStatementTime: params.redshiftStatementTime ?? 'per-run',
    synapsePool: synapsePoolOf(profile, params),
    synapseDwu: params.synapse?.dwu ?? DEFAULT_SYNAPSE_DWU,
    synapseHoursPerDay: params.synapse?.hoursPerDay ?? 24,
    kms: params.kms ?? false,
    servedBytesPerEvent: params.servedBytesPerEvent ?? 0,
    secretVersionsPerSecret: params.secretVersionsPerSecret ?? 1,
    freeTier: scenario.freeTier,
  };
}

/** Settings of the parameters the model cannot know, for the low/high range. Declared parameters stay fixed. */
function variants(
  profile: UsageProfile,
  scenario: Scenario,
  params: ModelParams,
  central: Resolved,
): Resolved[] {
  let out: Resolved[] = [central];
  const vary = <K extends keyof Resolved>(key: K, values: readonly Resolved[K][]) => {
    out = out.flatMap((v) => values.map((value) => ({ ...v, [key]: value })));
  };
  vary('freeTier', [false, true]);
  if (profile.provider === 'aws' && params.redshiftBaseRpu === undefined)
    vary('redshiftBaseRpu', REDSHIFT_RANGE_RPU);
  if (profile.provider === 'aws' && params.redshiftStatementTime === undefined) {
    vary('redshiftStatementTime', ['per-run', 'scaled']);
  }
  if (
    profile.provider === 'azure' &&
    central.synapsePool === 'dedicated' &&
    params.synapse?.hoursPerDay === undefined
  ) {
    vary('synapseHoursPerDay', [pausedScheduleHours(scenario.batchRunsPerDay), 24]);
  }
  return out;
}

/** The central monthly total alone (no range), for searches that evaluate many volumes. */
export function centralMonthlyUsd(
  profile: UsageProfile,
  scenario: Scenario,
  params: ModelParams = {},
): number {
  if (profile.provider === 'local') return 0;
  validate(profile, scenario, params);
  const table = priceTable(profile.provider, profile.region);
  return buildMonth(profile, scenario, table, resolve(profile, scenario, params)).usd;
}

/**
 * The month at `scenario` for one provider: fixed + per-batch-run + per-event lines, the units no
 * price covers, every assumption, and the low/high range over the uncertain parameters.
 */
export function projectMonthly(
  profile: UsageProfile,
  scenario: Scenario,
  params: ModelParams = {},
): Projection {
  const base = {
    provider: profile.provider,
    region: profile.region,
    eventsPerDay: scenario.eventsPerDay,
    batchRunsPerDay: scenario.batchRunsPerDay,
  };
  if (profile.provider === 'local') {
    return {
      ...base,
      monthlyUsd: 0,
      lowUsd: 0,
      highUsd: 0,
      lines: [],
      unpriced: [],
      assumptions: ['local: runs on your own machine; no cloud charges (hardware and power not counted).'],
    };
  }
  validate(profile, scenario, params);
  const table = priceTable(profile.provider, profile.region);
  const central = resolve(profile, scenario, params);
  const month = buildMonth(profile, scenario, table, central);
  const totals = variants(profile, scenario, params, central).map(
    (v) => buildMonth(profile, scenario, table, v).usd,
  );
  const range: string[] = ['Range (low/high): free tier on and off'];
  if (profile.provider === 'aws' && params.redshiftBaseRpu === undefined) {
    range.push(
      `Redshift base capacity ${REDSHIFT_RANGE_RPU.join(' or ')} RPU (central ${central.redshiftBaseRpu})`,
    );
  }
  if (profile.provider === 'aws' && params.redshiftStatementTime === undefined) {
    range.push(
      "Redshift statement time per run as measured or scaled with the run's events (central: as measured)",
    );
  }
  if (
    profile.provider === 'azure' &&
    central.synapsePool === 'dedicated' &&
    params.synapse?.hoursPerDay === undefined
  ) {
    range.push(
      `Synapse dedicated pool paused outside the batch runs (${fmt(pausedScheduleHours(scenario.batchRunsPerDay))} h/day) or never paused (central: never)`,
    );
  }
  return {
    ...base,
    monthlyUsd: month.usd,
    lowUsd: Math.min(...totals),
    highUsd: Math.max(...totals),
    lines: month.lines,
    unpriced: month.unpriced,
    assumptions: [...month.assumptions, `${range.join('; ')}.`],
  };
}
