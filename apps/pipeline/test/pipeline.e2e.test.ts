import { rm } from 'node:fs/promises';
import {
  describePipelineEndToEnd,
  describePoisonHandling,
  describeWarehouseRecovery,
  type PipelineE2ETarget,
} from './e2e-suite.ts';

/**
 * The end-to-end suite on the embedded local provider (or any providers named in
 * PIPELINE_PROVIDERS, each configured by environment as `pipeline run --provider` would be).
 */
const PROVIDERS = (process.env.PIPELINE_PROVIDERS ?? 'local').split(',').filter(Boolean);

for (const provider of PROVIDERS) {
  const target: PipelineE2ETarget = {
    title: provider,
    provider,
    open: async (baseDir) => ({
      context: { baseDir, provider },
      stop: () => rm(baseDir, { recursive: true, force: true }),
    }),
    speedOnlyFlights: 3_000,
    crashFlights: 4_000,
    airportsChecked: 8,
    // The recomputation and DuckDB sum the same doubles in the same order.
    exactFloats: provider === 'local',
  };
  describePipelineEndToEnd(target);
  describePoisonHandling(target);
  describeWarehouseRecovery(target);
}
