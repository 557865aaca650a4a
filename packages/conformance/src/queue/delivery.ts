/**
 * Queue cases: delivery, visibility, nack and extension, batches, long polls, at-least-once processing, acks.
 */
import { bodyBytes, CloudmuxError, messageText, type ReceivedMessage } from '@cloudmux/core';
import { expectCode, gate, skipWithReason, uniqueName } from '../harness.ts';
import type { QueueSuite } from './fixture.ts';
import {
  DEADLINE_MS,
  DELAY_SECONDS,
  sleep,
  tooSlowForDelayWindow,
  VISIBILITY_ROUNDING_MS,
} from './fixture.ts';

export function queueDeliveryCases(s: QueueSuite): void {
  const {
    expect,
    target,
    created,
    contractCase,
    freshQueue,
    sendAll,
    receiveSome,
    collect,
    collectOne,
    receiveNotBefore,
    expectNothing,
  } = s;
  contractCase('send, receive and ack round-trip the body and id', async () => {
    const name = await freshQueue();
    const sent = await s.queue.send(name, 'hello queue');
    expect(typeof sent.id).toBe('string');
    const message = await collectOne(name);
    expect(messageText(message)).toBe('hello queue');
    expect(message.id).toBe(sent.id);
    expect(message.deliveryCount).toBe(1);
    expect(typeof message.receipt).toBe('string');
    await s.queue.ack(name, message);
  });

  contractCase('an acked message is not redelivered after its visibility timeout', async () => {
    const name = await freshQueue();
    await s.queue.send(name, 'done once');
    const message = await collectOne(name, { visibilityTimeoutSeconds: 1 });
    await s.queue.ack(name, message);
    await sleep(1_500);
    await expectNothing(name);
  });

  contractCase(
    'an unacked message is redelivered after its visibility timeout with a rising deliveryCount',
    async () => {
      const name = await freshQueue();
      await s.queue.send(name, 'try again');
      const first = await collectOne(name, { visibilityTimeoutSeconds: 1 });
      const second = await collectOne(name, { visibilityTimeoutSeconds: 1 });
      const third = await collectOne(name, { visibilityTimeoutSeconds: 30 });
      expect([first, second, third].map(messageText)).toEqual(['try again', 'try again', 'try again']);
      expect(second.id).toBe(first.id);
      expect(first.deliveryCount).toBe(1);
      expect(second.deliveryCount).toBe(2);
      expect(third.deliveryCount).toBe(3);
      await s.queue.ack(name, third);
    },
  );

  contractCase('a message in flight is hidden from other receivers', async () => {
    const name = await freshQueue({ visibilityTimeoutSeconds: 60 });
    await s.queue.send(name, 'mine');
    const held = await collectOne(name);
    await expectNothing(name);
    await s.queue.ack(name, held);
  });

  contractCase('nack releases a message for prompt redelivery', async () => {
    const name = await freshQueue({ visibilityTimeoutSeconds: 60 });
    await s.queue.send(name, 'release me');
    const first = await collectOne(name);
    await s.queue.nack(name, first);
    // Well within the 60 s visibility timeout: only the nack can have made it visible again.
    const again = await collectOne(name);
    expect(again.id).toBe(first.id);
    expect(again.deliveryCount).toBe(2);
    await s.queue.ack(name, again);
  });

  contractCase('nack with a delay redelivers only after the delay', async (ctx) => {
    const name = await freshQueue({ visibilityTimeoutSeconds: 60 });
    await s.queue.send(name, 'later please');
    const first = await collectOne(name);
    const run = await gate(ctx, target, s.queue.capabilities.delayedNack, 'delayedNack', () =>
      s.queue.nack(name, first, { delaySeconds: 5 }),
    );
    if (!run) return;
    const nackedAt = Date.now();
    await s.queue.nack(name, first, { delaySeconds: DELAY_SECONDS });
    const { message: again, emptyInsideWindow } = await receiveNotBefore(
      name,
      nackedAt + DELAY_SECONDS * 1000 - VISIBILITY_ROUNDING_MS,
    );
    expect(again.id).toBe(first.id);
    expect(again.deliveryCount).toBe(2);
    await s.queue.ack(name, again);
    if (emptyInsideWindow === 0) skipWithReason(ctx, tooSlowForDelayWindow(DELAY_SECONDS));
  });

  contractCase('extendVisibility keeps a message hidden past its original timeout', async (ctx) => {
    const name = await freshQueue();
    await s.queue.send(name, 'long job');
    const message = await collectOne(name, { visibilityTimeoutSeconds: 2 });
    const run = await gate(ctx, target, s.queue.capabilities.extendVisibility, 'extendVisibility', () =>
      s.queue.extendVisibility(name, message, 60),
    );
    if (!run) return;
    await s.queue.extendVisibility(name, message, 60);
    await sleep(2_500);
    await expectNothing(name);
    // The receipt still holds the delivery: the ack after the extension takes.
    await s.queue.ack(name, message);
  });

  contractCase('sendBatch returns one result per entry, in order, and sends them all', async () => {
    const name = await freshQueue();
    const bodies = ['one', 'two', 'three', 'four'];
    const results = await s.queue.sendBatch(
      name,
      bodies.map((body) => ({ body })),
    );
    expect(results).toHaveLength(bodies.length);
    const ids = results.map((r) => (r.ok ? r.id : undefined));
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(bodies.length);
    const received = await collect(name, bodies.length);
    expect(received.map(messageText).sort()).toEqual([...bodies].sort());
    expect(received.map((m) => m.id).sort()).toEqual([...ids].sort());
    await s.queue.ackMany(name, received);
  });

  contractCase('sendBatch fails an oversize entry alone and sends the rest', async () => {
    const name = await freshQueue();
    const oversize = new Uint8Array(s.queue.limits.maxMessageBytes + 1).fill(97);
    const results = await s.queue.sendBatch(name, [
      { body: 'before' },
      { body: oversize },
      { body: 'after' },
    ]);
    expect(results).toHaveLength(3);
    expect(results[0]?.ok).toBe(true);
    expect(results[2]?.ok).toBe(true);
    const failed = results[1];
    expect(failed?.ok).toBe(false);
    if (failed && !failed.ok) expect(CloudmuxError.hasCode(failed.error, 'InvalidArgument')).toBe(true);
    const received = await collect(name, 2);
    expect(received.map(messageText).sort()).toEqual(['after', 'before']);
    await s.queue.ackMany(name, received);
  });

  contractCase('sendBatch with more than maxBatchEntries entries is rejected whole', async () => {
    const name = await freshQueue();
    const tooMany = Array.from({ length: s.queue.limits.maxBatchEntries + 1 }, (_, i) => ({ body: `m${i}` }));
    await expectCode(s.queue.sendBatch(name, tooMany), 'InvalidArgument');
    const full = await s.queue.sendBatch(name, tooMany.slice(1));
    expect(full.every((r) => r.ok)).toBe(true);
    // Nothing of the rejected call was sent: exactly the full batch arrives, and then nothing.
    const received = await collect(name, s.queue.limits.maxBatchEntries);
    expect(new Set(received.map(messageText)).size).toBe(s.queue.limits.maxBatchEntries);
    await expectNothing(name);
  });

  contractCase('receive returns at most maxMessages and rejects more than maxBatchEntries', async () => {
    const name = await freshQueue();
    await s.queue.sendBatch(
      name,
      Array.from({ length: 6 }, (_, i) => ({ body: `b${i}` })),
    );
    const seen: ReceivedMessage[] = [];
    const deadline = Date.now() + DEADLINE_MS;
    while (seen.length < 6 && Date.now() < deadline) {
      const batch = await receiveSome(name, { maxMessages: 4 });
      expect(batch.length).toBeLessThanOrEqual(4);
      seen.push(...batch);
    }
    expect(seen.map(messageText).sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
    await s.queue.ackMany(name, seen);
    await expectCode(
      s.queue.receive(name, { maxMessages: s.queue.limits.maxBatchEntries + 1 }),
      'InvalidArgument',
    );
  });

  contractCase('a waiting long poll returns the message that arrives during the wait', async (ctx) => {
    const name = await freshQueue();
    const waitSeconds = Math.min(20, s.queue.limits.maxWaitSeconds);
    const run = await gate(ctx, target, s.queue.capabilities.longPoll, 'longPoll', () =>
      s.queue.receive(name, { waitSeconds }),
    );
    if (!run) return;
    const waiting = s.queue.receive(name, { waitSeconds });
    await sleep(500);
    const sentAt = Date.now();
    await s.queue.send(name, 'worth the wait');
    const messages = await waiting;
    // The message must come back from this very call, and because it arrived: a poll that sleeps
    // out its whole wait and only then looks would return it too, but not before its wait ran out.
    expect(messages.map(messageText)).toEqual(['worth the wait']);
    expect(
      Date.now() - sentAt,
      `the long poll returned only after its ${waitSeconds} s wait ran out, not when the message arrived`,
    ).toBeLessThan((waitSeconds * 1000) / 2);
    await s.queue.ack(name, messages[0]!);
  });

  contractCase('a long poll on an empty queue returns an empty list', async (ctx) => {
    const name = await freshQueue();
    const run = await gate(ctx, target, s.queue.capabilities.longPoll, 'longPoll', () =>
      s.queue.receive(name, { waitSeconds: 1 }),
    );
    if (!run) return;
    expect(await s.queue.receive(name, { waitSeconds: 1 })).toEqual([]);
  });

  contractCase(
    'after maxDeliveries a message moves to the dead-letter queue with its body intact',
    async (ctx) => {
      const deadLetterQueue = uniqueName('cmq-dlq');
      const options = { visibilityTimeoutSeconds: 60, maxDeliveries: 2, deadLetterQueue };
      if (!s.queue.capabilities.deadLetter) {
        await gate(ctx, target, false, 'deadLetter', () => s.queue.ensureQueue(uniqueName('cmq'), options));
        return;
      }
      await gate(ctx, target, true, 'deadLetter', async () => undefined);
      created.add(deadLetterQueue);
      await s.queue.ensureQueue(deadLetterQueue, { visibilityTimeoutSeconds: 60 });
      const name = await freshQueue(options);
      const body = new Uint8Array([0, 1, 2, 254, 255, 0x7b, 0x22]);
      const sendable = s.queue.capabilities.binaryBodies ? body : 'poison ☠ message';
      await s.queue.send(name, sendable);
      const deadline = Date.now() + DEADLINE_MS;
      let deadLettered: ReceivedMessage | undefined;
      while (!deadLettered && Date.now() < deadline) {
        for (const message of await receiveSome(name)) {
          expect(message.deliveryCount).toBeLessThanOrEqual(2);
          await s.queue.nack(name, message);
        }
        [deadLettered] = await receiveSome(deadLetterQueue);
      }
      expect(deadLettered, 'the message never reached the dead-letter queue').toBeDefined();
      // Ids are not compared: some services republish a dead letter under a new id.
      expect(deadLettered!.body).toEqual(bodyBytes(sendable));
      await s.queue.ack(deadLetterQueue, deadLettered!);
      await expectNothing(name);
    },
  );

  contractCase('at least once: every message is processed despite a failing handler', async () => {
    const name = await freshQueue({ visibilityTimeoutSeconds: 60 });
    const total = 40;
    await sendAll(
      name,
      Array.from({ length: total }, (_, seq) => ({ body: JSON.stringify({ seq }) })),
    );
    const processed = new Set<number>();
    let handled = 0;
    let failures = 0;
    const deadline = Date.now() + DEADLINE_MS * 2;
    while (processed.size < total && Date.now() < deadline) {
      const batch = await receiveSome(name, { maxMessages: Math.min(10, s.queue.limits.maxBatchEntries) });
      for (const message of batch) {
        handled++;
        // As in Dapr's conformance suite: the first two deliveries and every fifth one fail.
        if (handled <= 2 || handled % 5 === 0) {
          failures++;
          await s.queue.nack(name, message);
          continue;
        }
        processed.add((JSON.parse(messageText(message)) as { seq: number }).seq);
        await s.queue.ack(name, message);
      }
    }
    expect(failures).toBeGreaterThanOrEqual(2);
    expect([...processed].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    await expectNothing(name);
  });

  contractCase('ack is idempotent', async () => {
    const name = await freshQueue();
    await s.queue.send(name, 'twice');
    const message = await collectOne(name);
    await s.queue.ack(name, message);
    await s.queue.ack(name, message);
    await s.queue.ackMany(name, [message]);
    await expectNothing(name);
  });

  contractCase('ackMany acknowledges every message it is given', async () => {
    const name = await freshQueue();
    await s.queue.sendBatch(name, [{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    const messages = await collect(name, 3, { visibilityTimeoutSeconds: 1 });
    expect(messages).toHaveLength(3);
    await s.queue.ackMany(name, messages);
    await sleep(1_500);
    await expectNothing(name);
  });
}
