import { CloudmuxError, type ObjectStore } from '@cloudmux/core';
import { LAYOUT } from '../layout.ts';

/** What the batch layer has done so far; the serving layer reads the watermark from here. */
export interface BatchState {
  /** Lake files already in the warehouse (loads are incremental). */
  loadedFiles: string[];
  /** Rows those files held when loaded (= rows landed). */
  landedRows: number;
  /**
   * Rows of loaded files whose id the warehouse already had (the same event id sent in two requests):
   * the warehouse keeps one row per id, so loaded = landed − duplicateRows.
   */
  duplicateRows: number;
  /**
   * A load chunk between its insert and this bookkeeping: the next run tells from the row count
   * whether the insert committed, so a crash there neither loses nor miscounts rows.
   */
  pendingLoad: { keys: string[]; staged: number; rowsBefore: number } | null;
  /** Latest event time in the warehouse, epoch ms. */
  watermarkTs: number | null;
  /**
   * Batch views answer for days before this one (UTC 'YYYY-MM-DD'); the speed layer answers from it on.
   * The watermark's own day may still be filling, so it stays with the speed layer.
   */
  cutoffDay: string | null;
  /** Speed partials removed because the batch views now cover them. */
  compactedPartials: number;
  compactedEvents: number;
  lastRunId: string | null;
  updatedAt: string | null;
}

export const EMPTY_STATE: BatchState = {
  loadedFiles: [],
  landedRows: 0,
  duplicateRows: 0,
  pendingLoad: null,
  watermarkTs: null,
  cutoffDay: null,
  compactedPartials: 0,
  compactedEvents: 0,
  lastRunId: null,
  updatedAt: null,
};

export async function readBatchState(store: ObjectStore): Promise<BatchState> {
  try {
    const text = await (await store.get(LAYOUT.batchState)).text();
    return { ...EMPTY_STATE, ...(JSON.parse(text) as Partial<BatchState>) };
  } catch (error) {
    if (CloudmuxError.hasCode(error, 'NotFound')) return structuredClone(EMPTY_STATE);
    throw error;
  }
}

export async function writeBatchState(store: ObjectStore, state: BatchState): Promise<void> {
  state.updatedAt = new Date().toISOString();
  await store.put(LAYOUT.batchState, JSON.stringify(state), { contentType: 'application/json' });
}
