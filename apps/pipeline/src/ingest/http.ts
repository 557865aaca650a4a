import { type SecretStore, withSecretCache } from '@cloudmux/core';
import { Hono } from 'hono';
import { LAYOUT } from '../layout.ts';
import { apiKeyMatches } from './api-key.ts';
import type { Ingestor } from './ingestor.ts';

export interface IngestRoutesOptions {
  ingestor: Ingestor;
  secrets: SecretStore;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
}

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
  const app = new Hono();
  app.post('/events', async (c) => {
    const bearer = c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
    const presented = c.req.header('x-api-key') ?? bearer;
    const expected = (await secrets.get(LAYOUT.apiKeySecret)).reveal();
    if (!apiKeyMatches(presented, expected)) return c.json({ error: 'invalid or missing API key' }, 401);
    const length = Number(c.req.header('content-length') ?? 0);
    if (length > maxBodyBytes) return c.json({ error: `body larger than ${maxBodyBytes} bytes` }, 413);
    let events: unknown[];
    try {
      events = parseEventsBody(await c.req.text(), c.req.header('content-type'));
    } catch {
      return c.json({ error: 'body is neither a JSON array nor NDJSON' }, 400);
    }
    const result = await options.ingestor.ingest(events, 'http');
    return c.json(result, result.quarantined && !result.accepted ? 422 : 202);
  });
  return app;
}
