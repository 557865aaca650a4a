import { type BillableUnits, CloudmuxError } from '@cloudmux/core';
import {
  bigqueryMinimumBytes,
  isValidRedshiftBaseRpu,
  REDSHIFT_MINIMUM_SECONDS,
  redshiftRpuHours,
  roundUpBigqueryMb,
  roundUpSynapseMb,
  SYNAPSE_MINIMUM_BYTES_PER_QUERY,
} from './rules.ts';
import { type PriceTable, priceTable } from './tables.ts';
import type {
  CostClass,
  CostLine,
  ModelParams,
  Projection,
  Scenario,
  UnpricedUnit,
  UsageProfile,
} from './types.ts';

/** A month is 730 hours, the convention of the AWS and Azure price pages. */
export const HOURS_PER_MONTH = 730;
export const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

const DEFAULT_REDSHIFT_BASE_RPU = 8;
const REDSHIFT_RANGE_RPU = [4, 8] as const;
const DEFAULT_SYNAPSE_DWU = 100;
/**
 * In a batch run only byte quantities grow with the events it loads; its requests are its steps
 * (load, views, quality checks, catalog): S3 requests measured 22 vs 23 writes and 8 vs 8 reads in
 * runs of 5,000 and 20,000 events.
 */
function scalesWithEvents(unit: string): boolean {
  return /(^|[.-])bytes($|[.-])/.test(unit);
}

/** Each batch run resumes a paused dedicated pool for at least one hour (compute is billed by the hour). */
const SYNAPSE_HOURS_PER_RESUME = 1;

/** Where the lake and the warehouse of each provider keep their bytes. */
const STORAGE_UNITS: Record<string, { lake: string; warehouse: string; egress: string }> = {
  aws: {
    lake: 's3.storage.byte-months',
    warehouse: 'redshift.storage.byte-months',
    egress: 's3.egress.internet-bytes',
  },
  gcp: {
    lake: 'gcs.storage.byte-months',
    warehouse: 'bigquery.storage.byte-months',
    egress: 'gcs.egress.internet-bytes',
  },
  azure: {
    lake: 'blob.storage.byte-months',
    warehouse: 'synapse.storage.byte-months',
    egress: 'blob.egress.internet-bytes',
  },
};

/**
 * Units the adapters report that carry no price of their own: inputs to a rule that prices another
 * unit, or counters kept for the report. Anything else without a price is listed as unpriced.
 */
const NOT_BILLED_SEPARATELY: Readonly<Record<string, string>> = {
  'redshift.statements': 'Redshift statements are billed as RPU time, not per statement',
  'redshift.statement-ms': 'Redshift statement time becomes RPU-hours',
  'redshift.result-rows': 'Redshift Data API results carry no charge of their own',
  'redshift.result-bytes': 'Redshift Data API results carry no charge of their own',
  'bigquery.queries': 'BigQuery query count feeds the per-query minimum',
  'bigquery.bytes-processed': 'BigQuery bytes processed become bytes billed',
  'bigquery.minimum-bytes': 'BigQuery minimum bytes feed bytes billed',
  'bigquery.slot-ms': 'BigQuery on-demand bills bytes, not slot time',
  'synapse.serverless.queries': 'Synapse serverless query count feeds the 10 MB minimum',
  'synapse.serverless.bytes-processed': 'Synapse serverless data processed becomes bytes billed',
  'synapse.dedicated.statements': 'a Synapse dedicated pool bills DWU-hours, not statements',
  'secretmanager.versions-added': 'Secret Manager bills active versions per month, not additions',
};

const SERVICE_BY_PREFIX: Record<string, string> = {
  s3: 'S3',
  sqs: 'SQS',
  redshift: 'Redshift Serverless',
  secretsmanager: 'Secrets Manager',
  kms: 'KMS',
  gcs: 'Cloud Storage',
  pubsub: 'Pub/Sub',
  bigquery: 'BigQuery',
  secretmanager: 'Secret Manager',
  cloudkms: 'Cloud KMS',
  blob: 'Blob Storage',
  queue: 'Queue Storage',
  keyvault: 'Key Vault',
  synapse: 'Synapse',
};

interface Resolved {
  redshiftBaseRpu: number;
  redshiftStatementTime: 'per-run' | 'scaled';
  synapsePool: 'serverless' | 'dedicated';
  synapseDwu: number;
  synapseHoursPerDay: number;
  kms: boolean;
  servedBytesPerEvent: number;
  secretVersionsPerSecret: number;
  freeTier: boolean;
}

interface Month {
  usd: number;
  lines: CostLine[];
  unpriced: UnpricedUnit[];
  assumptions: string[];
}

type Quantities = Map<string, { cls: CostClass; unit: string; quantity: number }>;

function add(q: Quantities, cls: CostClass, unit: string, quantity: number) {
  if (!(quantity > 0)) return;
  const key = `${cls}|${unit}`;
  const found = q.get(key);
  if (found) found.quantity += quantity;
  else q.set(key, { cls, unit, quantity });
}

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

function invalid(field: string, message: string): CloudmuxError {
  return new CloudmuxError({
    code: 'InvalidArgument',
    resource: 'config',
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

/** Hours a day a dedicated pool runs when it is paused outside the batch runs. */
export function pausedScheduleHours(batchRunsPerDay: number): number {
  return Math.min(24, batchRunsPerDay * SYNAPSE_HOURS_PER_RESUME);
}

/**
 * The month at one setting of every parameter: quantities per cost class, then priced line by line.
 * `assumptions` says, in words, every rule and parameter the figure rests on.
 */
function buildMonth(profile: UsageProfile, scenario: Scenario, table: PriceTable, p: Resolved): Month {
  const assumptions: string[] = [];
  const q: Quantities = new Map();
  const provider = profile.provider;
  const { eventsPerDay, batchRunsPerDay, retentionDays } = scenario;
  const eventsPerMonth = eventsPerDay * DAYS_PER_MONTH;
  const runsPerMonth = batchRunsPerDay * DAYS_PER_MONTH;
  const eventsPerRun = eventsPerDay / batchRunsPerDay;
  const perEventScale = eventsPerMonth / profile.eventsMeasured;
  const runScale = eventsPerRun / profile.eventsMeasured;

  assumptions.push(
    `Prices: ${table.provider} ${table.region}, list prices in USD without taxes, discounts or commitments; first price tier only (volume tiers not applied).`,
    `Month: ${HOURS_PER_MONTH} hours (${fmt(DAYS_PER_MONTH)} days): ${fmt(eventsPerMonth)} events and ${fmt(runsPerMonth)} batch runs of ${fmt(eventsPerRun)} events each.`,
    `Per-event units: the ingest and speed units of the measured run (${fmt(profile.eventsMeasured)} events) divided by its events, times events per month; request batching as measured.`,
    `Per-batch-run units: one measured batch run over ${fmt(profile.eventsMeasured)} events. Byte units (data loaded, streamed, processed) scale with the run's events (×${fmt(runScale)}); request counts (object writes and reads, queue and secret calls) are the run's own steps and stay as measured; minimums apply once per run.`,
    'Inter-service traffic stays in one region: $0 (same-region transfer between these services is free).',
  );

  // Per event: linear, except warehouse compute used outside the batch (priced without per-run minimums).
  for (const [unit, value] of Object.entries(profile.perEventUnits)) {
    if (unit === 'redshift.statement-ms') {
      add(q, 'per-event', 'redshift.rpu-hours', (p.redshiftBaseRpu * (value / 1000) * perEventScale) / 3600);
      continue;
    }
    if (unit === 'synapse.serverless.bytes-processed') {
      add(q, 'per-event', 'synapse.serverless.bytes-billed', value * perEventScale);
      continue;
    }
    if (unit in NOT_BILLED_SEPARATELY || unit === 'synapse.serverless.bytes-billed') continue;
    add(q, 'per-event', unit, value * perEventScale);
  }

  // Per batch run: the run's minimums apply to the projected run, not to the measured one.
  const batch: BillableUnits = { ...profile.batchRunUnits };
  const runQuantity = perRunWarehouse(provider, batch, runScale, p, assumptions);
  for (const [unit, perRun] of Object.entries(runQuantity))
    add(q, 'per-batch-run', unit, perRun * runsPerMonth);
  for (const [unit, value] of Object.entries(batch)) {
    if (unit in NOT_BILLED_SEPARATELY) continue;
    add(q, 'per-batch-run', unit, value * (scalesWithEvents(unit) ? runScale : 1) * runsPerMonth);
  }

  // Fixed: storage at steady state, secrets, provisioned hours, keys.
  const storage = STORAGE_UNITS[provider];
  if (storage) {
    const lakeBytes = profile.bytesPerEvent.lake * eventsPerDay * retentionDays;
    add(q, 'fixed', storage.lake, lakeBytes);
    assumptions.push(
      `Lake storage: ${fmt(profile.bytesPerEvent.lake)} bytes/event (measured) × ${fmt(eventsPerDay)} events/day × ${retentionDays} days retained = ${fmt(lakeBytes / 1e9)} GB held all month.`,
    );
    const warehouseOwnsStorage = !(provider === 'azure' && p.synapsePool === 'serverless');
    if (warehouseOwnsStorage) {
      const measured = profile.bytesPerEvent.warehouse;
      const perEvent = measured ?? profile.bytesPerEvent.lake;
      const warehouseBytes = perEvent * eventsPerDay * retentionDays;
      add(q, 'fixed', storage.warehouse, warehouseBytes);
      assumptions.push(
        measured === null
          ? `Warehouse storage: the engine did not report the table size, so the lake's ${fmt(perEvent)} bytes/event stand in for it (${retentionDays} days retained).`
          : `Warehouse storage: ${fmt(perEvent)} bytes/event as the engine reports the table × ${retentionDays} days retained = ${fmt(warehouseBytes / 1e9)} GB.`,
      );
    } else {
      assumptions.push(
        'Synapse serverless keeps no tables: the warehouse reads the lake, so it has no storage of its own.',
      );
    }
    if (p.servedBytesPerEvent > 0) {
      add(q, 'per-event', storage.egress, p.servedBytesPerEvent * eventsPerMonth);
      assumptions.push(`Internet egress: ${fmt(p.servedBytesPerEvent)} bytes served per event.`);
    } else {
      assumptions.push(
        'Internet egress: none modelled (the pipeline serves no responses outside the region).',
      );
    }
  }
  assumptions.push(
    'Queue retention: consumers keep up, so the backlog (and any per-GB queue storage) is negligible; Pub/Sub does not retain acknowledged messages.',
  );

  const reported = Object.keys({ ...profile.perEventUnits, ...profile.batchRunUnits });
  if (provider === 'aws' && reported.some((u) => u.startsWith('redshift.'))) {
    assumptions.push(
      'Redshift Data API: no charge of its own is published (the docs describe the API and state no price); only RPU time and storage are billed.',
    );
  }
  if (provider === 'aws') {
    add(q, 'fixed', 'secretsmanager.secret-months', profile.secrets);
    assumptions.push(
      `Secrets Manager: ${profile.secrets} secret(s) stored all month, one region (no replicas).`,
    );
  } else if (provider === 'gcp') {
    add(q, 'fixed', 'secretmanager.active-version-months', profile.secrets * p.secretVersionsPerSecret);
    assumptions.push(
      `Secret Manager: ${profile.secrets} secret(s) × ${p.secretVersionsPerSecret} active version(s), automatic replication (one location).`,
    );
  } else if (provider === 'azure') {
    assumptions.push(
      'Key Vault Standard bills secret operations only; storing a secret has no monthly charge.',
    );
  }

  if (provider === 'azure' && p.synapsePool === 'dedicated') {
    const hours = p.synapseHoursPerDay * DAYS_PER_MONTH;
    add(q, 'fixed', 'synapse.dwu100-hours', (p.synapseDwu / 100) * hours);
    assumptions.push(
      `Synapse dedicated pool: DW${p.synapseDwu}c running ${fmt(p.synapseHoursPerDay)} h/day (${fmt(hours)} h/month), paused otherwise; compute is billed per hour while online.`,
    );
  } else if (provider === 'azure') {
    assumptions.push('Synapse serverless pool: billed per data processed, nothing while idle.');
  }

  if (p.kms) kmsQuantities(provider, q, assumptions);
  else assumptions.push('Encryption: provider-managed keys (no SSE-KMS / CMEK requests billed).');

  return price(table, q, p.freeTier, assumptions);
}

/**
 * Warehouse compute of one batch run at projected scale. Consumes the warehouse units from `batch`
 * (so they are not also scaled linearly) and returns billable quantities per run.
 */
function perRunWarehouse(
  provider: string,
  batch: BillableUnits,
  runScale: number,
  p: Resolved,
  assumptions: string[],
): BillableUnits {
  const out: BillableUnits = {};
  if (provider === 'aws' && (batch['redshift.statement-ms'] ?? 0) > 0) {
    const measured = (batch['redshift.statement-ms'] ?? 0) / 1000;
    const seconds = p.redshiftStatementTime === 'scaled' ? measured * runScale : measured;
    out['redshift.rpu-hours'] = redshiftRpuHours(p.redshiftBaseRpu, seconds);
    const reading =
      p.redshiftStatementTime === 'scaled'
        ? `scaled with the run's events (${fmt(measured)} s × ${fmt(runScale)})`
        : `as the measured run took them (${fmt(measured)} s), not scaled with events`;
    assumptions.push(
      `Redshift Serverless: each batch run is one active period billed at the ${p.redshiftBaseRpu}-RPU base capacity for max(${REDSHIFT_MINIMUM_SECONDS} s, statement seconds) = ${fmt(Math.max(REDSHIFT_MINIMUM_SECONDS, seconds))} s, statement seconds ${reading}. Caveat: the statement time comes from the test server on this machine, not from Redshift's RPU metering; it measures neither Redshift's speed nor how it scales, so the range spans both readings.`,
    );
  }
  if (provider === 'gcp' && batch['bigquery.queries'] !== undefined) {
    const processed = (batch['bigquery.bytes-processed'] ?? 0) * runScale;
    const minimum = batch['bigquery.minimum-bytes'] ?? bigqueryMinimumBytes(0) * batch['bigquery.queries'];
    out['bigquery.bytes-billed'] = Math.max(minimum, roundUpBigqueryMb(processed));
    delete batch['bigquery.bytes-billed'];
    assumptions.push(
      `BigQuery on-demand: per batch run max(${fmt(minimum / 2 ** 20)} MiB of minimums over ${batch['bigquery.queries']} queries, bytes processed × run scale) — the minimums (10 MB per table referenced, 10 MB per query) are compared with the run's total, not query by query.`,
    );
  } else if (provider === 'gcp' && batch['bigquery.bytes-billed'] !== undefined) {
    assumptions.push(
      'BigQuery: the run reported bytes billed without query counts, so bytes billed scale linearly with events.',
    );
  }
  if (provider === 'azure' && batch['synapse.serverless.queries'] !== undefined) {
    const processed = (batch['synapse.serverless.bytes-processed'] ?? 0) * runScale;
    const minimum = SYNAPSE_MINIMUM_BYTES_PER_QUERY * batch['synapse.serverless.queries'];
    out['synapse.serverless.bytes-billed'] = Math.max(minimum, roundUpSynapseMb(processed));
    delete batch['synapse.serverless.bytes-billed'];
    assumptions.push(
      `Synapse serverless: per batch run max(10 MB × ${batch['synapse.serverless.queries']} queries, data processed × run scale), MB = 10^6 bytes, TB = 10^12 bytes.`,
    );
  }
  return out;
}

function kmsQuantities(provider: string, q: Quantities, assumptions: string[]) {
  const requests = (units: string[]) =>
    [...q.values()].filter((l) => units.includes(l.unit)).reduce((n, l) => n + l.quantity, 0);
  if (provider === 'aws') {
    add(q, 'fixed', 'kms.key-months', 1);
    add(q, 'per-event', 'kms.requests', requests(['s3.requests.class-a', 's3.requests.class-b']));
    assumptions.push(
      'SSE-KMS on the lake: one customer-managed key; one KMS request per S3 PUT and GET (S3 Bucket Keys off).',
    );
  } else if (provider === 'gcp') {
    add(q, 'fixed', 'cloudkms.key-version-months', 1);
    add(
      q,
      'per-event',
      'cloudkms.crypto-operations',
      requests(['gcs.operations.class-a', 'gcs.operations.class-b']),
    );
    assumptions.push(
      'CMEK on the lake: one active key version; one Cloud KMS operation per object write and read.',
    );
  } else if (provider === 'azure') {
    assumptions.push(
      'Customer-managed key on the storage account: Key Vault key operations are not modelled per request.',
    );
  }
}

function serviceOf(unit: string, table: PriceTable): string {
  const prefix = unit.split('.')[0] ?? unit;
  return table.prices.find((e) => e.unit === unit)?.service ?? SERVICE_BY_PREFIX[prefix] ?? prefix;
}

function price(table: PriceTable, q: Quantities, freeTier: boolean, assumptions: string[]): Month {
  const lines: CostLine[] = [];
  const unpriced: UnpricedUnit[] = [];
  const order: CostClass[] = ['per-event', 'per-batch-run', 'fixed'];
  const sorted = [...q.values()].sort(
    (a, b) => order.indexOf(a.cls) - order.indexOf(b.cls) || a.unit.localeCompare(b.unit),
  );
  const freeLeft = new Map<string, number>();
  for (const { cls, unit, quantity } of sorted) {
    const entry = table.prices.find((e) => e.unit === unit);
    if (!entry) {
      const found = unpriced.find((u) => u.unit === unit);
      if (found) found.quantity += quantity;
      else unpriced.push({ service: serviceOf(unit, table), unit, quantity });
      continue;
    }
    if (!freeLeft.has(unit)) freeLeft.set(unit, freeTier ? (entry.freeTier?.quantity ?? 0) : 0);
    const freeQuantity = Math.min(quantity, freeLeft.get(unit) ?? 0);
    freeLeft.set(unit, (freeLeft.get(unit) ?? 0) - freeQuantity);
    const unitPriceUsd = entry.usd / entry.per;
    lines.push({
      service: entry.service,
      unit,
      class: cls,
      quantity,
      freeQuantity,
      unitPriceUsd,
      usd: (quantity - freeQuantity) * unitPriceUsd,
      source: entry.source,
    });
  }
  assumptions.push(
    freeTier
      ? 'Free tiers: monthly allowances subtracted (once per unit, per billing account).'
      : 'Free tiers: not applied.',
  );
  if (unpriced.length) {
    assumptions.push(
      `Unpriced (no confirmed price in the ${table.provider} ${table.region} table, not counted in the total): ${unpriced.map((u) => u.unit).join(', ')}.`,
    );
  }
  return { usd: lines.reduce((n, l) => n + l.usd, 0), lines, unpriced, assumptions };
}

/**
 * Prices units as they are, without projecting: the figure for one measured run, or for quantities a
 * caller already built. Units in no price table come back in `unpriced`.
 */
export function priceUnits(
  provider: string,
  region: string,
  units: BillableUnits,
  options: { freeTier?: boolean; costClass?: CostClass } = {},
): { usd: number; lines: CostLine[]; unpriced: UnpricedUnit[] } {
  if (provider === 'local') return { usd: 0, lines: [], unpriced: [] };
  const table = priceTable(provider, region);
  const q: Quantities = new Map();
  for (const [unit, value] of Object.entries(units)) {
    if (!(unit in NOT_BILLED_SEPARATELY)) add(q, options.costClass ?? 'per-event', unit, value);
  }
  const { usd, lines, unpriced } = price(table, q, options.freeTier ?? false, []);
  return { usd, lines, unpriced };
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
