/**
 * The ingest endpoint under hostile bodies, saturation and storage faults, through a real HTTP server
 * on the local provider: a chunked body over the limit is cut off with 413 as it streams in, excess
 * concurrent requests get 503 + Retry-After before their bodies are read, and a full disk is a 503
 * with Retry-After naming the cause.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { afterEach, describe, expect, it } from 'vitest';
import { openPipeline, type PipelineContextOptions } from '../src/context.ts';
import { ensureApiKey } from '../src/ingest/api-key.ts';
import { createIngestor } from '../src/ingest/ingestor.ts';
import { LAYOUT } from '../src/layout.ts';
import { REQUEST_RETRY_BUDGET } from '../src/retry-budget.ts';
import { createApi } from '../src/serving/api.ts';

const MiB = 1024 * 1024;

interface Harness {
  url: string;
  apiKey: string;
  close(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function startServer(
  context: PipelineContextOptions,
  routes: { maxConcurrent?: number } = {},
): Promise<Harness> {
  const { resources } = await openPipeline(context);
  await resources.queue.ensureQueue(LAYOUT.queue);
  const apiKey = await ensureApiKey(resources.secretStore);
  const ingestor = createIngestor({
    objectStore: resources.objectStore,
    queue: resources.queue,
    eventsPerMessage: 1000,
    retry: REQUEST_RETRY_BUDGET,
  });
  const app = createApi({ resources, ingestor, ...(routes.maxConcurrent ? { ingest: routes } : {}) });
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Requests a failed case left open must not hold the close.
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
    await resources.close();
  };
  cleanups.push(close);
  return { url: `http://127.0.0.1:${port}`, apiKey, close };
}

async function tempContext(): Promise<PipelineContextOptions> {
  const baseDir = await mkdtemp(join(tmpdir(), 'cloudmux-pipeline-http-'));
  cleanups.push(() => rm(baseDir, { recursive: true, force: true }));
  return { baseDir, provider: 'local' };
}

const event = (id: string) => ({
  id,
  ts: 978307260000,
  delay: 3,
  distance: 300,
  origin: 'LAX',
  destination: 'SFO',
});

/**
 * Streams `total` bytes as a chunked body (no Content-Length), one chunk per tick, and stops writing
 * as soon as a response arrives. Resolves with the status and how much had been written by then.
 */
function postChunked(harness: Harness, total: number): Promise<{ status: number; written: number }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const req = request(`${harness.url}/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        'x-api-key': harness.apiKey,
        'transfer-encoding': 'chunked',
      },
    });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, written }));
    });
    req.on('error', (error) => (answered ? undefined : reject(error)));
    const line = `${JSON.stringify(event('x'.repeat(40)))}\n`;
    const chunk = Buffer.from(line.repeat(Math.ceil((256 * 1024) / line.length)));
    const pump = () => {
      if (answered) return void req.destroy();
      if (written >= total) return void req.end();
      written += chunk.length;
      req.write(chunk, () => setImmediate(pump));
    };
    pump();
  });
}

describe('POST /events body limit and saturation', () => {
  it('cuts off a chunked 20 MiB body with 413 as the bytes arrive, and stays healthy', async () => {
    const harness = await startServer(await tempContext());
    expect((await postChunked(harness, 20 * MiB)).status).toBe(413);
    // The answer comes while a much larger body is still streaming: it is not read to the end first
    // (the slack is what the sockets buffer between the client's writes and the server's reads).
    const huge = await postChunked(harness, 400 * MiB);
    expect(huge.status).toBe(413);
    expect(huge.written).toBeLessThan(64 * MiB);

    const ok = await fetch(`${harness.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': harness.apiKey },
      body: JSON.stringify([event('after-413')]),
    });
    expect(ok.status).toBe(202);
    expect((await fetch(`${harness.url}/health`)).status).toBe(200);
  }, 60_000);

  it('answers 503 with Retry-After when the in-flight ingest requests are at the limit', async () => {
    const harness = await startServer(await tempContext(), { maxConcurrent: 2 });
    // Two requests whose bodies have started but not finished hold both slots.
    const held = [0, 1].map(() => {
      const req = request(`${harness.url}/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          'x-api-key': harness.apiKey,
          'transfer-encoding': 'chunked',
        },
      });
      const status = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
      });
      req.write(`${JSON.stringify(event(`held-${Math.random().toString(36).slice(2)}`))}\n`);
      return { req, status };
    });
    // Until both are inside the handler, a third may still be admitted: poll until it is refused.
    let refused: Response | undefined;
    for (let attempt = 0; attempt < 100 && !refused; attempt++) {
      const response = await fetch(`${harness.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': harness.apiKey },
        body: JSON.stringify([event(`probe-${attempt}`)]),
      });
      if (response.status === 503) refused = response;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get('retry-after')).toBe('1');
    expect(((await refused!.json()) as { code: string }).code).toBe('Throttled');
    for (const { req } of held) req.end();
    expect(await Promise.all(held.map((h) => h.status))).toEqual([202, 202]);
  }, 60_000);
});

/** A tmpfs of a few KiB: a real full disk under the local object store. Needs CAP_SYS_ADMIN. */
function mountTinyDisk(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`;
  }
}

describe('POST /events under storage faults', () => {
  it('answers 503 with Retry-After naming the cause when the disk is full', async (ctx) => {
    const context = await tempContext();
    const disk = join(context.baseDir!, 'full-disk');
    await mkdir(disk);
    const unavailable = mountTinyDisk(disk);
    if (unavailable) return ctx.skip(`full-disk case skipped: ${unavailable}`);
    cleanups.push(async () => void execFileSync('umount', [disk]));
    const harness = await startServer({
      ...context,
      overrides: { providers: { local: { objectStore: { dir: disk } } } },
    });
    // Fill the disk, then post a request whose quarantine and manifest cannot be written.
    const filler = Array.from({ length: 2000 }, (_, i) => event(`fill-${i}`));
    let response = await fetch(`${harness.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': harness.apiKey },
      body: JSON.stringify(filler),
    });
    for (let i = 0; i < 20 && response.status === 202; i++) {
      response = await fetch(`${harness.url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': harness.apiKey },
        body: JSON.stringify(filler.map((e) => ({ ...e, id: `${e.id}-${i}` }))),
      });
    }
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    const body = (await response.json()) as { code: string; cause?: string; retryable: boolean };
    expect(body.code).toBe('Unavailable');
    expect(body.cause).toBe('ENOSPC');
    expect(body.retryable).toBe(true);
  }, 60_000);

  it('answers 500 with the typed code for a fault that is not retryable', async () => {
    const context = await tempContext();
    const harness = await startServer(context);
    const { resources } = await openPipeline(context, ['queue']);
    try {
      await resources.queue.deleteQueue(LAYOUT.queue);
    } finally {
      await resources.close();
    }
    const response = await fetch(`${harness.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': harness.apiKey },
      body: JSON.stringify([event('to-a-missing-queue')]),
    });
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(((await response.json()) as { code: string }).code).toBe('NotFound');
  }, 60_000);
});
