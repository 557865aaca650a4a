import type { ObjectStore, Queue, Warehouse } from '@cloudmux/core';
import { LAYOUT, newId } from '../layout.ts';
import { log } from '../log.ts';
import { type RunRecord, runDag, type StepRecord } from './orchestrator.ts';
import { BATCH_STEPS, type BatchContext } from './steps.ts';

export interface BatchOptions {
  objectStore: ObjectStore;
  warehouse: Warehouse;
  /** When given, the dead-letter queue is archived first (and an alert raised if it held any). */
  queue?: Queue;
  /** Posted a JSON alert when the run fails (e.g. a data-quality check). */
  alertWebhook?: string;
  onStep?: (step: StepRecord) => void;
}

export interface BatchRun {
  record: RunRecord;
  results: BatchContext['results'];
}

/** Runs the batch DAG; a failed run is logged as an alert and posted to the webhook when one is set. */
export async function runBatch(options: BatchOptions): Promise<BatchRun> {
  const runId = newId('run');
  const context: BatchContext = {
    objectStore: options.objectStore,
    warehouse: options.warehouse,
    ...(options.queue ? { queue: options.queue } : {}),
    runId,
    results: {},
  };
  const record = await runDag(BATCH_STEPS, context, {
    store: options.objectStore,
    runId,
    ...(options.onStep ? { onStep: options.onStep } : {}),
  });
  if (record.status === 'failed') {
    const failed = record.steps.filter((step) => step.status === 'failed');
    await raiseAlert(
      {
        alert: 'batch-run-failed',
        runId: record.runId,
        failedSteps: failed.map((step) => ({ name: step.name, error: step.error })),
      },
      options.alertWebhook,
    );
  }
  const newlyDeadLettered = context.results.newlyDeadLettered ?? 0;
  if (newlyDeadLettered > 0) {
    const step = record.steps.find((s) => s.name === 'dead-letters');
    await raiseAlert(
      {
        alert: 'messages-dead-lettered',
        runId: record.runId,
        messages: newlyDeadLettered,
        events: step?.output?.events ?? 0,
        archivedUnder: LAYOUT.deadLetterPrefix,
      },
      options.alertWebhook,
    );
  }
  return { record, results: context.results };
}

export async function raiseAlert(
  alert: { alert: string } & Record<string, unknown>,
  webhook: string | undefined,
): Promise<void> {
  log('error', 'alert', alert);
  if (!webhook) return;
  try {
    const response = await fetch(webhook, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert),
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) log('warn', 'alert-webhook-failed', { status: response.status });
  } catch (error) {
    log('warn', 'alert-webhook-failed', { error: (error as Error).message });
  }
}
