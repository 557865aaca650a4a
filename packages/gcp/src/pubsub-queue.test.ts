import {
  CloudmuxError,
  Meter,
  messageText,
  portableQueue,
  type Queue,
  type ReceivedMessage,
} from '@cloudmux/core';
import { PSTEST_MISSING, type Pstest, pstestAvailable, startPstest } from '@cloudmux/emulators/gcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPubSubQueue } from './pubsub-queue.ts';

const available = pstestAvailable();

/** Far above what pstest needs; a wait that reaches it means the message is not coming. */
const DEADLINE_MS = 15_000;

/** Receives until one message arrives, failing at the deadline instead of looping forever. */
async function receiveOne(queue: Queue, name: string): Promise<ReceivedMessage> {
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    const [message] = await queue.receive(name, { waitSeconds: 1 });
    if (message) return message;
  }
  throw new Error(`no message arrived on ${name} within ${DEADLINE_MS} ms`);
}

describe.skipIf(!available)(
  `pubsub queue against pstest${!available ? ` — skipped: ${PSTEST_MISSING}` : ''}`,
  () => {
    let emulator: Pstest;
    let queue: Queue;
    beforeAll(async () => {
      emulator = await startPstest();
      queue = createPubSubQueue({ projectId: 'test', apiEndpoint: emulator.endpoint, topicPrefix: 'unit-' });
    });
    afterAll(async () => {
      await queue?.close();
      await emulator?.stop();
    });

    it('round-trips binary bodies and attributes, and acks', async () => {
      await queue.ensureQueue('basic');
      const body = new Uint8Array([0, 255, 1, 254]);
      const { id } = await queue.send('basic', body, { attributes: { kind: 'bin' } });
      const [message] = await queue.receive('basic', { waitSeconds: 2 });
      expect(message?.id).toBe(id);
      expect(Array.from(message?.body ?? [])).toEqual([0, 255, 1, 254]);
      expect(message?.attributes).toEqual({ kind: 'bin' });
      expect(message?.deliveryCount).toBe(1);
      await queue.ack('basic', message!);
      await queue.ack('basic', message!);
      expect(await queue.receive('basic')).toEqual([]);
    });

    it('counts deliveries through nack and dead-letters after maxDeliveries', async () => {
      await queue.ensureQueue('dl', {
        visibilityTimeoutSeconds: 30,
        deadLetterQueue: 'dl-dead',
        maxDeliveries: 2,
      });
      await queue.send('dl', 'poison');
      const first = await queue.receive('dl', { waitSeconds: 2 });
      expect(first[0]?.deliveryCount).toBe(1);
      await queue.nack('dl', first[0]!);
      const second = await queue.receive('dl', { waitSeconds: 2 });
      expect(second[0]?.deliveryCount).toBe(2);
      await queue.nack('dl', second[0]!);
      const dead = await queue.receive('dl-dead', { waitSeconds: 3 });
      expect(dead.map(messageText)).toEqual(['poison']);
    });

    it('keeps order per ordering key on a fifo queue', async () => {
      await queue.ensureQueue('fifo', { fifo: true });
      for (const n of [1, 2, 3]) await queue.send('fifo', String(n), { groupId: 'g' });
      const seen: string[] = [];
      const deadline = Date.now() + DEADLINE_MS;
      while (seen.length < 3 && Date.now() < deadline) {
        const batch = await queue.receive('fifo', { maxMessages: 10, waitSeconds: 2 });
        expect(batch.length).toBeLessThanOrEqual(1);
        for (const m of batch) {
          seen.push(messageText(m));
          await queue.ack('fifo', m);
        }
      }
      expect(seen).toEqual(['1', '2', '3']);
    });

    it('rejects oversize messages and meters the 1,000-byte minimum', async () => {
      await queue.ensureQueue('limits');
      const big = await queue.send('limits', new Uint8Array(10_000_001)).catch((e) => e);
      expect(CloudmuxError.hasCode(big, 'InvalidArgument')).toBe(true);
      const meter = new Meter();
      await portableQueue(queue, { meter }).send('limits', 'tiny');
      expect(meter.totalUnits()['pubsub.billable-bytes']).toBe(1000);
    });

    it('meters publish and pull but not acknowledge or modifyAckDeadline (free: https://cloud.google.com/pubsub/pricing)', async () => {
      await queue.ensureQueue('billing');
      await queue.send('billing', 'one');
      // Usage is read from meters, as the registry's meter would see it.
      const pulled = new Meter();
      const message = await receiveOne(portableQueue(queue, { meter: pulled }), 'billing');
      expect(pulled.totalUnits()['pubsub.billable-bytes']).toBe(1000);
      const free = new Meter();
      const metered = portableQueue(queue, { meter: free });
      await metered.extendVisibility('billing', message, 30);
      await metered.nack('billing', message);
      const again = await receiveOne(queue, 'billing');
      await metered.ack('billing', again);
      expect(
        free
          .summary()
          .map((o) => o.operation)
          .sort(),
      ).toEqual(['ack', 'extendVisibility', 'nack']);
      expect(free.totalUnits()['pubsub.billable-bytes']).toBeUndefined();
    });

    it('hides a delayed message until its delay has passed', async () => {
      await queue.ensureQueue('delayed');
      const sentAt = Date.now();
      await queue.send('delayed', 'later', { delaySeconds: 2 });
      // The message was hidden after sentAt, so whatever the machine's speed, the receive that
      // returns it must complete at least the delay after sentAt (the adapter keeps milliseconds).
      const message = await receiveOne(queue, 'delayed');
      expect(Date.now() - sentAt).toBeGreaterThanOrEqual(2000);
      expect(message.deliveryCount).toBe(1);
      expect(message.attributes).toBeUndefined();
      // A redelivery after the delay counts as the second delivery, not the third.
      await queue.nack('delayed', message);
      const again = await receiveOne(queue, 'delayed');
      expect(again.deliveryCount).toBe(2);
    });

    it('maps a missing queue to NotFound', async () => {
      const missing = await queue.receive('nope').catch((e) => e);
      expect(CloudmuxError.hasCode(missing, 'NotFound')).toBe(true);
    });
  },
);

if (!available) {
  describe('pubsub queue against pstest', () => {
    it('needs the emulator', (ctx) => ctx.skip(PSTEST_MISSING));
  });
}
