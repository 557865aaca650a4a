import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBatch } from '../src/batch/run.ts';
import { openPipeline } from '../src/context.ts';
import { insertRogueRow, landSmallSlice } from './helpers.ts';

const PROVIDERS = (process.env.PIPELINE_PROVIDERS ?? 'local').split(',').filter(Boolean);

describe.each(PROVIDERS)('data quality on %s', (provider) => {
  let baseDir: string | undefined;
  afterAll(async () => {
    if (baseDir) await rm(baseDir, { recursive: true, force: true });
  });

  it('fails the run and posts an alert when a check fails', async () => {
    baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-pipeline-dq-'));
    const alerts: unknown[] = [];
    const hook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        alerts.push(JSON.parse(body));
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const { resources } = await openPipeline({ baseDir, provider });
    try {
      await landSmallSlice(resources);

      const clean = await runBatch({ objectStore: resources.objectStore, warehouse: resources.warehouse });
      expect(clean.record.status).toBe('succeeded');

      await insertRogueRow(resources.warehouse);
      const { port } = hook.address() as AddressInfo;
      const failed = await runBatch({
        objectStore: resources.objectStore,
        warehouse: resources.warehouse,
        alertWebhook: `http://127.0.0.1:${port}/alert`,
      });
      expect(failed.record.status).toBe('failed');
      const quality = failed.record.steps.find((step) => step.name === 'quality')!;
      expect(quality.status).toBe('failed');
      expect(quality.error?.message).toMatch(/delay-range/);
      expect(quality.error?.message).toMatch(/reconciliation/);
      expect(failed.record.steps.find((step) => step.name === 'views')!.status).toBe('skipped');
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ alert: 'batch-run-failed', failedSteps: [{ name: 'quality' }] });
    } finally {
      await resources.close();
      hook.close();
    }
  });
});
