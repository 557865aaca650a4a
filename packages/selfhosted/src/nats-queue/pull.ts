/**
 * One JetStream pull request, at the wire level (`$JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>`),
 * on the official client's core connection.
 *
 * Why not `consumer.fetch()` of `@nats-io/jetstream`: it waits at least 1 s and then until the whole
 * batch is filled or the wait ends, while a queue receive must return at once with what is there and,
 * when nothing is, wait only until a first message arrives. The server does exactly that for a pull
 * request with `no_wait` and `expires` together (nats-server ≥ 2.9): it sends what it has, then a
 * `408` status; on an empty stream it holds the request until a message arrives or `expires` ends.
 * Without `expires`, `no_wait` answers at once (`404 No Messages` when empty).
 */
import { DriverError } from '@cloudmux/core';
import { createInbox, type Msg, type NatsConnection } from '@nats-io/nats-core';

export interface PullRequest {
  stream: string;
  consumer: string;
  batch: number;
  waitSeconds: number;
  signal?: AbortSignal | undefined;
}

/** What the server said besides the messages: nothing (client timeout) or a status line. */
export interface PullResult {
  messages: Msg[];
  /** `404`/`408` end a pull normally; `409` (consumer deleted, too many waiting pulls) does not. */
  status?: { code: number; description: string };
}

/** Headroom over `expires` before the client stops waiting for the server's end-of-pull status. */
const CLIENT_GRACE_MS = 5_000;
const encoder = new TextEncoder();

export async function pullMessages(nc: NatsConnection, request: PullRequest): Promise<PullResult> {
  const { stream, consumer, batch, waitSeconds, signal } = request;
  signal?.throwIfAborted();
  const inbox = createInbox();
  // One more than the batch: the closing status message.
  const subscription = nc.subscribe(inbox, { max: batch + 1 });
  const body: Record<string, unknown> = { batch, no_wait: true };
  if (waitSeconds > 0) body.expires = waitSeconds * 1_000_000_000;
  const stop = () => subscription.unsubscribe();
  const timer = setTimeout(stop, waitSeconds * 1000 + CLIENT_GRACE_MS);
  signal?.addEventListener('abort', stop, { once: true });
  const result: PullResult = { messages: [] };
  try {
    nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, encoder.encode(JSON.stringify(body)), {
      reply: inbox,
    });
    for await (const message of subscription) {
      const status = statusOf(message);
      if (status) {
        result.status = status;
        break;
      }
      result.messages.push(message);
      if (result.messages.length >= batch) break;
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    subscription.unsubscribe();
  }
  // Messages already delivered to an aborted pull stay in flight until their visibility ends,
  // as on SQS: the caller asked to stop, not to lose them.
  signal?.throwIfAborted();
  if (result.status && result.status.code !== 404 && result.status.code !== 408) {
    throw new DriverError(result.status.code === 409 ? 'Unavailable' : 'Internal', {
      detail: `JetStream refused the pull: ${result.status.code} ${result.status.description}`,
    });
  }
  return result;
}

function statusOf(message: Msg): PullResult['status'] | undefined {
  const headers = message.headers;
  if (!headers || message.data.length > 0 || !headers.hasError) return undefined;
  return { code: headers.code, description: headers.description };
}

/** The delivery facts JetStream encodes in a message's ack subject. */
export interface AckSubject {
  stream: string;
  consumer: string;
  deliveryCount: number;
  streamSequence: number;
  /** Nanoseconds since the epoch when the message was stored. */
  storedAtNanos: bigint;
}

/**
 * Parses `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>` (9 tokens) or the
 * domain form `$JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>[.<token>]`.
 */
export function parseAckSubject(subject: string): AckSubject | undefined {
  const tokens = subject.split('.');
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK') return undefined;
  const rest = tokens.length === 9 ? tokens.slice(2) : tokens.length >= 11 ? tokens.slice(4) : undefined;
  if (!rest) return undefined;
  const [stream, consumer, delivered, sequence, , timestamp] = rest;
  if (!stream || !consumer || !delivered || !sequence || !timestamp) return undefined;
  const deliveryCount = Number(delivered);
  const streamSequence = Number(sequence);
  if (!Number.isSafeInteger(deliveryCount) || !Number.isSafeInteger(streamSequence)) return undefined;
  return { stream, consumer, deliveryCount, streamSequence, storedAtNanos: BigInt(timestamp) };
}
