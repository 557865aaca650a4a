import { type ObjectStore, sleep } from '@cloudmux/core';
import { LAYOUT, newId } from '../layout.ts';
import { failureStreak, type RetryBudget, retryBudgetSetting } from '../retry-budget.ts';

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface Step<C> {
  name: string;
  dependsOn?: readonly string[];
  /** Idempotent: running it again after a failure or a success gives the same result. */
  run(context: C): Promise<Record<string, unknown> | undefined>;
}

export interface StepRecord {
  name: string;
  status: StepStatus;
  attempts: number;
  startedAt?: string;
  seconds?: number;
  output?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export interface RunRecord {
  runId: string;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  finishedAt?: string;
  steps: StepRecord[];
}

export interface OrchestratorOptions {
  store: ObjectStore;
  /**
   * How long a step's retryable failures are retried, counted from its first failure (default
   * PIPELINE_RETRY_SECONDS or 30 s): a time, not a count, so a step rides out a service that is gone
   * for a few seconds whatever each attempt costs.
   */
  retry?: RetryBudget;
  runId?: string;
  onStep?: (step: StepRecord) => void;
}

/** Dependency order (Kahn); a cycle or an unknown dependency is a programming error. */
export function topologicalOrder<C>(steps: readonly Step<C>[]): Step<C>[] {
  const byName = new Map(steps.map((step) => [step.name, step]));
  const indegree = new Map(steps.map((step) => [step.name, 0]));
  for (const step of steps) {
    for (const dependency of step.dependsOn ?? []) {
      if (!byName.has(dependency)) throw new Error(`step ${step.name} depends on unknown step ${dependency}`);
      indegree.set(step.name, indegree.get(step.name)! + 1);
    }
  }
  const ready = steps.filter((step) => indegree.get(step.name) === 0);
  const order: Step<C>[] = [];
  while (ready.length) {
    const step = ready.shift()!;
    order.push(step);
    for (const next of steps) {
      if (!(next.dependsOn ?? []).includes(step.name)) continue;
      const left = indegree.get(next.name)! - 1;
      indegree.set(next.name, left);
      if (left === 0) ready.push(next);
    }
  }
  if (order.length !== steps.length) throw new Error('the step graph has a cycle');
  return order;
}

/**
 * A small DAG runner: steps in dependency order, retryable failures retried with backoff, a failed
 * step skips everything that depends on it, and the run record (status per step) is written to the
 * ObjectStore after every change, so `pipeline status` can show a run in progress or a crash.
 */
export async function runDag<C>(
  steps: readonly Step<C>[],
  context: C,
  options: OrchestratorOptions,
): Promise<RunRecord> {
  const budget = options.retry ?? retryBudgetSetting();
  const order = topologicalOrder(steps);
  const record: RunRecord = {
    runId: options.runId ?? newId('run'),
    status: 'running',
    startedAt: new Date().toISOString(),
    steps: order.map((step) => ({ name: step.name, status: 'pending', attempts: 0 })),
  };
  const key = `${LAYOUT.batchRunsPrefix}${record.runId}.json`;
  const save = () =>
    options.store.put(key, JSON.stringify(record, null, 2), { contentType: 'application/json' });
  await save();
  for (const [index, step] of order.entries()) {
    const entry = record.steps[index]!;
    const failedDependency = (step.dependsOn ?? []).find(
      (name) => record.steps.find((s) => s.name === name)?.status !== 'succeeded',
    );
    if (failedDependency) {
      entry.status = 'skipped';
      entry.error = { code: 'Skipped', message: `dependency ${failedDependency} did not succeed` };
      options.onStep?.(entry);
      await save();
      continue;
    }
    entry.status = 'running';
    entry.startedAt = new Date().toISOString();
    const started = performance.now();
    await save();
    const streak = failureStreak(budget);
    for (;;) {
      entry.attempts++;
      try {
        const output = await step.run(context);
        entry.status = 'succeeded';
        if (output) entry.output = output;
        break;
      } catch (error) {
        // Undefined when not retryable or retried for the whole budget: the step fails with it.
        const delayMs = streak.delayFor(error);
        if (delayMs !== undefined) {
          await sleep(delayMs);
          continue;
        }
        entry.status = 'failed';
        const err = error as { code?: string; message?: string };
        entry.error = { code: err.code ?? 'Internal', message: err.message ?? String(error) };
        break;
      }
    }
    entry.seconds = (performance.now() - started) / 1000;
    options.onStep?.(entry);
    await save();
  }
  record.status = record.steps.every((step) => step.status === 'succeeded') ? 'succeeded' : 'failed';
  record.finishedAt = new Date().toISOString();
  await save();
  return record;
}

/** Run records, newest first. */
export async function runHistory(store: ObjectStore, limit = 10): Promise<RunRecord[]> {
  const keys: string[] = [];
  for await (const info of store.listAll({ prefix: LAYOUT.batchRunsPrefix })) keys.push(info.key);
  keys.sort().reverse();
  return Promise.all(
    keys.slice(0, limit).map(async (key) => JSON.parse(await (await store.get(key)).text()) as RunRecord),
  );
}
