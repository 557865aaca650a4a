import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatch } from '../src/batch/run.ts';
import { openPipeline } from '../src/context.ts';
import { createApi } from '../src/serving/api.ts';
import { insertRogueRow, landSmallSlice } from './helpers.ts';

interface RunsBody {
  runs: Array<{
    status: string;
    steps: Array<{ name: string; status: string; error: { code: string } | null }>;
    reconciliation: { accepted: number; landed: number; loaded: number; reconciled: boolean } | null;
    checks: Array<{ name: string; passed: boolean }> | null;
    pipelineRun: unknown;
  }>;
}

describe('GET /runs after a run that a data-quality check failed', () => {
  let baseDir: string | undefined;
  afterAll(async () => {
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  it('shows the failed checks and the counts that do not reconcile, newest run first', async () => {
    baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-pipeline-runs-'));
    const { resources } = await openPipeline({ baseDir, provider: 'local' });
    try {
      await landSmallSlice(resources);
      const clean = await runBatch({ objectStore: resources.objectStore, warehouse: resources.warehouse });
      expect(clean.record.status).toBe('succeeded');
      await insertRogueRow(resources.warehouse);
      const failed = await runBatch({ objectStore: resources.objectStore, warehouse: resources.warehouse });
      expect(failed.record.status).toBe('failed');

      const response = await createApi({ resources }).request('/runs');
      expect(response.status).toBe(200);
      const { runs } = (await response.json()) as RunsBody;
      expect(runs.map((run) => run.status)).toEqual(['failed', 'succeeded']);
      const [latest, earlier] = runs as [RunsBody['runs'][0], RunsBody['runs'][0]];
      expect(latest.steps.map((step) => [step.name, step.status])).toEqual([
        ['dead-letters', 'succeeded'],
        ['load', 'succeeded'],
        ['quality', 'failed'],
        ['views', 'skipped'],
        ['compact-speed', 'skipped'],
        ['catalog', 'skipped'],
      ]);
      expect(latest.steps.find((step) => step.name === 'quality')?.error?.code).toBe('PreconditionFailed');
      // The report was written before the failing check threw: the dashboard can say which checks failed.
      expect(latest.checks?.filter((check) => !check.passed).map((check) => check.name)).toEqual([
        'delay-range',
        'reconciliation',
      ]);
      expect(latest.reconciliation).toEqual(
        expect.objectContaining({ accepted: 500, landed: 500, loaded: 501, reconciled: false }),
      );
      expect(earlier.checks?.every((check) => check.passed)).toBe(true);
      expect(earlier.reconciliation).toEqual(
        expect.objectContaining({ accepted: 500, landed: 500, loaded: 500, reconciled: true }),
      );
      // Batch runs started on their own have no `pipeline run` summary.
      expect(latest.pipelineRun).toBeNull();
    } finally {
      await resources.close();
    }
  });
});
