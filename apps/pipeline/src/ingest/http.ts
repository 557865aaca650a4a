import { CloudmuxError, type SecretStore, withSecretCache } from '@cloudmux/core';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LAYOUT } from '../layout.ts';
import { log } from '../log.ts';
import { apiKeyMatches } from './api-key.ts';
import type { Ingestor } from './ingestor.ts';

export interface IngestRoutesOptions {
  ingestor: Ingestor;
  secrets: SecretStore;
  /** Largest request body accepted, in bytes (counted as it arrives, chunked or not). Default 16 MiB. */
  maxBodyBytes?: number;
  /**
   * Ingest requests handled at once; more are answered 503 with Retry-After before their body is
   * read, which bounds the memory of `serve` to about this many bodies (each parsed into events).
   * Default 8: ingest is CPU-bound, so more in flight adds memory, not throughput, on a small host.
   */
  maxConcurrent?: number;
  /** Observes each answer (status), for metrics. */
  onResponse?: (status: number) => void;
}

/** Seconds a client should wait before retrying a 503. */
const RETRY_AFTER_SECONDS = 1;
const STORAGE_RETRY_AFTER_SECONDS = 5;

/** Parses a JSON array (or a single object) or NDJSON; a line that is not JSON becomes a rejectable value. */
export function parseEventsBody(text: string, contentType: string | undefined): unknown[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const ndjson = contentType?.includes('ndjson') || (!trimmed.startsWith('[') && trimmed.includes('\n'));
  if (!ndjson) {
    const parsed: unknown = JSON.parse(trimmed);
    return Array.isArray(parsed) ? parsed : [parsed];
  }
  return trimmed
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        // Kept, not dropped: the schema rejects it and it lands in quarantine with its reason.
        return { unparseable: line };
      }
    });
}

/** `POST /events`: the ingest endpoint, guarded by the API key held in the SecretStore. */
export function ingestRoutes(options: IngestRoutesOptions): Hono {
  // A rotation of the key is picked up within 30 s without a restart.
  const secrets = withSecretCache(options.secrets, { ttlMs: 30_000 });
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxConcurrent = options.maxConcurrent ?? 8;
  let inFlight = 0;
  const app = new Hono();
  app.post(
    '/events',
    async (c, next) => {
      if (inFlight >= maxConcurrent) {
        options.onResponse?.(503);
        c.header('Retry-After', String(RETRY_AFTER_SECONDS));
        return c.json(
          { error: `${maxConcurrent} ingest requests in progress; retry shortly`, code: 'Throttled' },
          503,
        );
      }
      inFlight++;
      try {
        await next();
      } finally {
        inFlight--;
        options.onResponse?.(c.res.status);
      }
    },
    async (c, next) => {
      const bearer = c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
      const presented = c.req.header('x-api-key') ?? bearer;
      const expected = (await secrets.get(LAYOUT.apiKeySecret)).reveal();
      if (!apiKeyMatches(presented, expected))
        return c.json({ error: 'invalid or missing API key', code: 'Unauthenticated' }, 401);
      await next();
    },
    // Counts the bytes as they arrive (Content-Length is only a claim for chunked bodies) and answers
    // 413 the moment the limit is crossed, holding at most the limit in memory.
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) =>
        c.json({ error: `body larger than ${maxBodyBytes} bytes`, code: 'InvalidArgument' }, 413),
    }),
    async (c) => {
      let events: unknown[];
      try {
        events = parseEventsBody(await c.req.text(), c.req.header('content-type'));
      } catch {
        return c.json({ error: 'body is neither a JSON array nor NDJSON', code: 'InvalidArgument' }, 400);
      }
      try {
        const result = await options.ingestor.ingest(events, 'http');
        return c.json(result, result.quarantined && !result.accepted ? 422 : 202);
      } catch (error) {
        return storageFailure(c, error);
      }
    },
  );
  return app;
}

/**
 * A fault below ingest (full disk, throttled or unreachable service): retryable ones are 503 with
 * Retry-After, the rest 500; both name the code and the failing operation. Adapter messages carry no
 * secrets (config errors never echo them) and are scrubbed by the log as well.
 */
function storageFailure(c: import('hono').Context, error: unknown): Response {
  if (!CloudmuxError.isInstance(error)) {
    log('error', 'ingest-failed', { code: 'Internal', message: (error as Error)?.message ?? String(error) });
    return c.json({ error: 'ingest failed: internal error', code: 'Internal' }, 500);
  }
  const where = [error.provider, error.resource, error.operation].filter(Boolean).join(' ');
  const cause = error.cause as { code?: string } | undefined;
  const detail = {
    error: `ingest failed: ${error.code}${where ? ` in ${where}` : ''}: ${error.message}`,
    code: error.code,
    retryable: error.retryable,
    ...(typeof cause?.code === 'string' ? { cause: cause.code } : {}),
  };
  log('error', 'ingest-failed', detail);
  if (error.retryable) {
    c.header('Retry-After', String(STORAGE_RETRY_AFTER_SECONDS));
    return c.json(detail, 503);
  }
  return c.json(detail, 500);
}
