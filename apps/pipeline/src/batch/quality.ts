import { CloudmuxError, type Warehouse } from '@cloudmux/core';
import { LAKE_COLUMNS } from '../lake/writer.ts';
import { DELAY_MAX, DELAY_MIN } from '../schema.ts';

export interface CheckResult {
  name: string;
  passed: boolean;
  detail: string;
}

export interface ReconciliationCounts {
  /** Events in distinct accepted messages (ingest manifests). */
  accepted: number;
  /** Rows in the loaded lake files. */
  landed: number;
  loaded: number;
  /** Rows of loaded files whose id was already in the warehouse. */
  duplicates?: number;
  /** Events of messages that were dead-lettered (archived). */
  deadLettered?: number;
  /** Events the speed layer quarantined. */
  speedQuarantined?: number;
}

/** A failed data-quality check: not retryable, fails the run and raises an alert. */
export class DataQualityError extends CloudmuxError {
  readonly checks: CheckResult[];
  constructor(checks: CheckResult[]) {
    const failed = checks.filter((check) => !check.passed);
    super({
      code: 'PreconditionFailed',
      message: `data-quality checks failed: ${failed.map((check) => `${check.name} (${check.detail})`).join('; ')}`,
      operation: 'quality',
      retryable: false,
    });
    this.name = 'DataQualityError';
    this.checks = checks;
  }
}

/** Schema, not-null, range, uniqueness and exact reconciliation checks, computed inside the warehouse. */
export async function runQualityChecks(
  warehouse: Warehouse,
  table: string,
  counts: Omit<ReconciliationCounts, 'loaded'>,
): Promise<{ checks: CheckResult[]; loaded: number }> {
  const d = warehouse.dialect;
  const source = d.quoteIdent(table);
  const checks: CheckResult[] = [];

  const probe = await warehouse.query(d.limit(`SELECT * FROM ${source}`, 1));
  const actual = probe.columns.map((column) => `${column.name}:${column.type}`).join(',');
  const expected = LAKE_COLUMNS.map((column) => `${column.name}:${column.type}`).join(',');
  checks.push({
    name: 'schema',
    passed: actual === expected,
    detail: actual === expected ? expected : `${actual} ≠ ${expected}`,
  });

  const nullChecks = LAKE_COLUMNS.map(
    (column) =>
      `${d.fn.countIf(`${d.quoteIdent(column.name)} IS NULL`)} AS ${d.quoteIdent(`null_${column.name}`)}`,
  );
  const stats = await warehouse.query(
    `SELECT COUNT(*) AS total, COUNT(DISTINCT id) AS distinct_ids, ${nullChecks.join(', ')}, ` +
      `${d.fn.countIf(`delay < ${DELAY_MIN} OR delay > ${DELAY_MAX}`)} AS delay_out_of_range, ` +
      `${d.fn.countIf('distance <= 0')} AS bad_distance FROM ${source}`,
  );
  const row = stats.rows[0] ?? {};
  const n = (name: string) => Number(row[name] ?? 0);
  const nulls = LAKE_COLUMNS.filter((column) => n(`null_${column.name}`) > 0).map(
    (c) => `${c.name}: ${n(`null_${c.name}`)}`,
  );
  checks.push({
    name: 'not-null',
    passed: nulls.length === 0,
    detail: nulls.length ? nulls.join(', ') : 'no nulls',
  });
  checks.push({
    name: 'delay-range',
    passed: n('delay_out_of_range') === 0,
    detail: `${n('delay_out_of_range')} rows outside [${DELAY_MIN}, ${DELAY_MAX}]`,
  });
  checks.push({
    name: 'distance-positive',
    passed: n('bad_distance') === 0,
    detail: `${n('bad_distance')} rows with distance <= 0`,
  });
  checks.push({
    name: 'unique-ids',
    passed: n('total') === n('distinct_ids'),
    detail: `${n('total') - n('distinct_ids')} duplicate ids`,
  });
  const loaded = n('total');
  const duplicates = counts.duplicates ?? 0;
  const deadLettered = counts.deadLettered ?? 0;
  const speedQuarantined = counts.speedQuarantined ?? 0;
  // Every accepted event is landed, quarantined by the speed layer or dead-lettered; the warehouse
  // holds every landed event once per id.
  const reconciled =
    counts.accepted === counts.landed + speedQuarantined + deadLettered &&
    loaded === counts.landed - duplicates;
  checks.push({
    name: 'reconciliation',
    passed: reconciled,
    detail:
      `accepted ${counts.accepted} = landed ${counts.landed} + quarantined by the speed layer ${speedQuarantined} + dead-lettered ${deadLettered}; ` +
      `loaded ${loaded} = landed ${counts.landed} − duplicate ids ${duplicates}`,
  });
  return { checks, loaded };
}
