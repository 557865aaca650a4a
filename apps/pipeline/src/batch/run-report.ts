import { CloudmuxError, type ObjectStore } from '@cloudmux/core';
import type { SourceCounts } from '../ingest/ingestor.ts';
import { LAYOUT } from '../layout.ts';
import { readAllJson } from '../stored-json.ts';
import type { CheckResult } from './quality.ts';

/**
 * What a batch run's quality step saw, persisted so the dashboard and `GET /runs` show it after the
 * process that ran it is gone: the reconciliation counts, the quarantine reasons and every check.
 */
export interface RunReport {
  runId: string;
  at: string;
  ingest: SourceCounts & { bySource: Record<string, SourceCounts> };
  /** Quarantined events per failing field (`delay`, `id`, …; `(event)` when the whole event is wrong). */
  quarantineReasons: Record<string, number>;
  landed: number;
  loaded: number;
  /** Set aside on the way: events the speed layer quarantined, events in dead-lettered messages. */
  speedQuarantined?: number;
  deadLettered?: number;
  /** Rows not loaded because their id was already in the warehouse. */
  duplicates?: number;
  checks: CheckResult[];
}

const reportKey = (runId: string) => `${LAYOUT.batchReportsPrefix}${runId}.json`;

/** Quarantined events counted per failing field; an event failing two fields counts under both. */
export async function quarantineReasons(store: ObjectStore): Promise<Record<string, number>> {
  const byField: Record<string, number> = {};
  for (const { value: body } of await readAllJson<{ events: Array<{ reasons: string[] }> }>(
    store,
    LAYOUT.quarantinePrefix,
  )) {
    for (const entry of body.events) {
      const fields = new Set(entry.reasons.map((reason) => reason.split(':')[0]!.trim()));
      for (const field of fields) byField[field] = (byField[field] ?? 0) + 1;
    }
  }
  return byField;
}

export async function writeRunReport(store: ObjectStore, report: RunReport): Promise<void> {
  await store.put(reportKey(report.runId), JSON.stringify(report, null, 2), {
    contentType: 'application/json',
  });
}

/** The run's report, or null for a run whose quality step never ran (it failed earlier or is running). */
export async function readRunReport(store: ObjectStore, runId: string): Promise<RunReport | null> {
  try {
    return JSON.parse(await (await store.get(reportKey(runId))).text()) as RunReport;
  } catch (error) {
    if (CloudmuxError.hasCode(error, 'NotFound')) return null;
    throw error;
  }
}

/** What `pipeline run` measured beyond the batch run: its stage times, throughput and consumption. */
export interface PipelineRunSummary {
  runId: string;
  at: string;
  stages: Array<{ name: string; seconds: number }>;
  totalSeconds: number;
  eventsPerSecond: number;
  consumed: number;
  enqueuedMessages: number;
  reconciled: boolean;
}

const summaryKey = (runId: string) => `${LAYOUT.runSummariesPrefix}${runId}.json`;

export async function writeRunSummary(store: ObjectStore, summary: PipelineRunSummary): Promise<void> {
  await store.put(summaryKey(summary.runId), JSON.stringify(summary, null, 2), {
    contentType: 'application/json',
  });
}

/** Null for a batch run started on its own (`pipeline batch`), which has no such summary. */
export async function readRunSummary(store: ObjectStore, runId: string): Promise<PipelineRunSummary | null> {
  try {
    return JSON.parse(await (await store.get(summaryKey(runId))).text()) as PipelineRunSummary;
  } catch (error) {
    if (CloudmuxError.hasCode(error, 'NotFound')) return null;
    throw error;
  }
}
