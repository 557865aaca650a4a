/**
 * What a consumer process and its parent say to each other over IPC. Kept apart from worker.ts,
 * which is a process entry point: importing it would start a consumer in the importing process.
 */
import type { MeterSnapshot } from '@cloudmux/core';

export type WorkerMessage =
  | { type: 'ready' }
  | {
      type: 'progress';
      messages: number;
      events: number;
      files: number;
      processed: string[];
      /** Ids of messages released on their last delivery (dead-lettered), since the last report. */
      deadLettered: string[];
    }
  | {
      type: 'done';
      messages: number;
      events: number;
      files: number;
      processed: string[];
      deadLettered: string[];
      /** CPU time of the process (user + system), for the benchmark's scaling figures. */
      cpuSeconds?: number;
    }
  | { type: 'error'; code: string; message: string }
  | { type: 'usage'; snapshot: MeterSnapshot };

/** How often a consumer reports its meter to the parent. */
export const USAGE_INTERVAL_MS = 1_000;
