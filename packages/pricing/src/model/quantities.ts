import type { BillableUnits } from '@cloudmux/core';
import {
  bigqueryMinimumBytes,
  REDSHIFT_MINIMUM_SECONDS,
  redshiftRpuHours,
  roundUpBigqueryMb,
  roundUpSynapseMb,
  SYNAPSE_MINIMUM_BYTES_PER_QUERY,
} from '../rules.ts';
import type { Scenario, UsageProfile } from '../types.ts';
import { add, DAYS_PER_MONTH, fmt, HOURS_PER_MONTH, type Quantities, type Resolved } from './month.ts';
import { NOT_BILLED_SEPARATELY, STORAGE_UNITS, scalesWithEvents } from './units.ts';

/** Each batch run resumes a paused dedicated pool for at least one hour (compute is billed by the hour). */
const SYNAPSE_HOURS_PER_RESUME = 1;

/** Hours a day a dedicated pool runs when it is paused outside the batch runs. */
export function pausedScheduleHours(batchRunsPerDay: number): number {
  return Math.min(24, batchRunsPerDay * SYNAPSE_HOURS_PER_RESUME);
}

/** The scale factors of one month: how a measured run maps onto it. */
interface Scale {
  eventsPerMonth: number;
  runsPerMonth: number;
  /** Events per month ÷ events measured. */
  perEvent: number;
  /** Events in one projected batch run ÷ events measured. */
  perRun: number;
}

/**
 * The month's quantities at one setting of every parameter, per cost class, with `assumptions`
 * saying in words every rule and parameter they rest on.
 */
export function monthQuantities(
  profile: UsageProfile,
  scenario: Scenario,
  p: Resolved,
): { q: Quantities; assumptions: string[] } {
  const { eventsPerDay, batchRunsPerDay } = scenario;
  const eventsPerRun = eventsPerDay / batchRunsPerDay;
  const scale: Scale = {
    eventsPerMonth: eventsPerDay * DAYS_PER_MONTH,
    runsPerMonth: batchRunsPerDay * DAYS_PER_MONTH,
    perEvent: (eventsPerDay * DAYS_PER_MONTH) / profile.eventsMeasured,
    perRun: eventsPerRun / profile.eventsMeasured,
  };
  const q: Quantities = new Map();
  const assumptions: string[] = [
    `Month: ${HOURS_PER_MONTH} hours (${fmt(DAYS_PER_MONTH)} days): ${fmt(scale.eventsPerMonth)} events and ${fmt(scale.runsPerMonth)} batch runs of ${fmt(eventsPerRun)} events each.`,
  ];
  perEventQuantities(profile, scale, p, q, assumptions);
  batchRunQuantities(profile, scale, p, q, assumptions);
  fixedQuantities(profile, scenario, p, q, assumptions);
  if (p.kms) kmsQuantities(profile.provider, q, assumptions);
  else assumptions.push('Encryption: provider-managed keys (no SSE-KMS / CMEK requests billed).');
  return { q, assumptions };
}

function perEventQuantities(
  profile: UsageProfile,
  scale: Scale,
  p: Resolved,
  q: Quantities,
  assumptions: string[],
) {
  assumptions.push(
    `Per-event units: the ingest and speed units of the measured run (${fmt(profile.eventsMeasured)} events) divided by its events, times events per month; request batching as measured; idle polling between events is not modelled.`,
    'Inter-service traffic: every service in one region, where transfer between them is not charged; no cross-region or cross-zone traffic modelled.',
  );
  // Linear, except warehouse compute used outside the batch (priced without per-run minimums).
  for (const [unit, value] of Object.entries(profile.perEventUnits)) {
    if (unit === 'redshift.statement-ms') {
      add(q, 'per-event', 'redshift.rpu-hours', (p.redshiftBaseRpu * (value / 1000) * scale.perEvent) / 3600);
      continue;
    }
    if (unit === 'synapse.serverless.bytes-processed') {
      add(q, 'per-event', 'synapse.serverless.bytes-billed', value * scale.perEvent);
      continue;
    }
    if (unit in NOT_BILLED_SEPARATELY || unit === 'synapse.serverless.bytes-billed') continue;
    add(q, 'per-event', unit, value * scale.perEvent);
  }
  if (p.servedBytesPerEvent > 0) {
    const egress = STORAGE_UNITS[profile.provider]?.egress;
    if (egress) add(q, 'per-event', egress, p.servedBytesPerEvent * scale.eventsPerMonth);
    assumptions.push(`Internet egress: ${fmt(p.servedBytesPerEvent)} bytes served per event.`);
  } else {
    assumptions.push('Internet egress: none modelled (the pipeline serves no responses outside the region).');
  }
}

/** The run's minimums apply to the projected run, not to the measured one. */
function batchRunQuantities(
  profile: UsageProfile,
  scale: Scale,
  p: Resolved,
  q: Quantities,
  assumptions: string[],
) {
  assumptions.push(
    `Per-batch-run units: one measured batch run over ${fmt(profile.eventsMeasured)} events. Byte units (data loaded, streamed, processed) scale with the run's events (×${fmt(scale.perRun)}); request counts (object writes and reads, queue and secret calls) are the run's own steps and stay as measured; minimums apply once per run.`,
  );
  const batch: BillableUnits = { ...profile.batchRunUnits };
  const runQuantity = perRunWarehouse(profile.provider, batch, scale.perRun, p, assumptions);
  for (const [unit, perRun] of Object.entries(runQuantity))
    add(q, 'per-batch-run', unit, perRun * scale.runsPerMonth);
  for (const [unit, value] of Object.entries(batch)) {
    if (unit in NOT_BILLED_SEPARATELY) continue;
    add(q, 'per-batch-run', unit, value * (scalesWithEvents(unit) ? scale.perRun : 1) * scale.runsPerMonth);
  }
}

/** Storage at steady state over the retention, secrets, provisioned hours. */
function fixedQuantities(
  profile: UsageProfile,
  scenario: Scenario,
  p: Resolved,
  q: Quantities,
  assumptions: string[],
) {
  const provider = profile.provider;
  const { eventsPerDay, retentionDays } = scenario;

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
