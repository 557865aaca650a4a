import { CloudmuxError, type Resources } from '@cloudmux/core';
import { dropIfExists, VIEWS } from './batch/views.ts';
import { LAYOUT } from './layout.ts';

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
): Promise<number> {
  let removed = 0;
  for (const prefix of PREFIXES) {
    const keys: string[] = [];
    for await (const info of resources.objectStore.listAll({ prefix })) keys.push(info.key);
    for (let start = 0; start < keys.length; start += 1_000) {
      const result = await resources.objectStore.deleteMany(keys.slice(start, start + 1_000));
      if (result.errors.length) throw result.errors[0]!.error;
      removed += result.deleted.length;
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
