import { CloudmuxError, type Resources, sleep } from '@cloudmux/core';
import { dropIfExists, VIEWS } from './batch/views.ts';
import { LAYOUT } from './layout.ts';
import { failureStreak, isRetryable, type RetryBudget, retryBudgetSetting } from './retry-budget.ts';

const PREFIXES = [
  LAYOUT.lakePrefix,
  LAYOUT.quarantinePrefix,
  LAYOUT.speedPrefix,
  LAYOUT.ingestPrefix,
  'batch/',
  'catalog/',
  'deadletter/',
];

/** Removes every dataset of a previous run (the API key secret stays), so a replay starts clean. */
export async function resetPipelineState(
  resources: Resources,
  queueName: string = LAYOUT.queue,
  budget: RetryBudget = retryBudgetSetting(),
): Promise<number> {
  let removed = 0;
  for (const prefix of PREFIXES) {
    const keys: string[] = [];
    for await (const info of resources.objectStore.listAll({ prefix })) keys.push(info.key);
    for (let start = 0; start < keys.length; start += 1_000) {
      removed += await deleteAll(resources.objectStore, keys.slice(start, start + 1_000), budget);
    }
  }
  for (const table of [LAYOUT.table, LAYOUT.stagingTable, ...VIEWS.map((view) => view.name)]) {
    await dropIfExists(resources.warehouse, table);
  }
  for (const name of [queueName, LAYOUT.deadLetterQueue]) {
    try {
      await resources.queue.deleteQueue(name);
    } catch (error) {
      if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
    }
  }
  return removed;
}

/**
 * Deletes the keys, trying again the ones whose delete failed with a retryable error (deleteMany
 * reports per key instead of throwing, so the meter's retries never see them). A delete is
 * idempotent: a key already gone counts as deleted.
 */
async function deleteAll(
  store: Resources['objectStore'],
  keys: string[],
  budget: RetryBudget,
): Promise<number> {
  const streak = failureStreak(budget);
  let removed = 0;
  let left = keys;
  while (left.length) {
    const result = await store.deleteMany(left);
    removed += result.deleted.length;
    if (!result.errors.length) break;
    // The first failure that is not retryable, or the last one once the budget is spent, is surfaced.
    const fatal = result.errors.find((failure) => !isRetryable(failure.error));
    await sleep(streak.next(fatal?.error ?? result.errors[0]!.error));
    left = result.errors.map((failure) => failure.key);
  }
  return removed;
}
