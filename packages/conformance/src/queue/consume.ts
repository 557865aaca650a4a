/**
 * Queue cases: validation with one answer everywhere, sendAll chunking, and the consume iterator
 * (redelivery, cancellation).
 */
import { CloudmuxError, type ConsumedMessage, messageText } from '@cloudmux/core';
import { expectCode, gate, skipWithReason } from '../harness.ts';
import type { QueueSuite } from './fixture.ts';
import { DEADLINE_MS, sleep } from './fixture.ts';

export function queueConsumeCases(s: QueueSuite): void {
  const { expect, target, contractCase, freshQueue, pollWait, collect, collectOne, expectNothing } = s;
  contractCase('an empty body is InvalidArgument; in a batch it fails alone', async () => {
    const name = await freshQueue();
    await expectCode(s.queue.send(name, ''), 'InvalidArgument');
    await expectCode(s.queue.send(name, new Uint8Array(0)), 'InvalidArgument');
    const results = await s.queue.sendBatch(name, [
      { body: '' },
      { body: 'kept' },
      { body: new Uint8Array(0) },
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, true, false]);
    for (const failed of [results[0], results[2]]) {
      expect(failed && !failed.ok && CloudmuxError.hasCode(failed.error, 'InvalidArgument')).toBe(true);
    }
    const message = await collectOne(name);
    expect(messageText(message)).toBe('kept');
    await s.queue.ack(name, message);
    await expectNothing(name);
  });

  contractCase(
    'delaySeconds outside whole 0..maxDelaySeconds is InvalidArgument and sends nothing',
    async () => {
      const name = await freshQueue();
      await expectCode(s.queue.send(name, 'negative', { delaySeconds: -1 }), 'InvalidArgument');
      await expectCode(
        s.queue.send(name, 'too late', { delaySeconds: s.queue.limits.maxDelaySeconds + 1 }),
        'InvalidArgument',
      );
      await expectCode(s.queue.send(name, 'fraction', { delaySeconds: 0.5 }), 'InvalidArgument');
      const results = await s.queue.sendBatch(name, [
        { body: 'negative', delaySeconds: -5 },
        { body: 'on time' },
      ]);
      expect(results.map((r) => r.ok)).toEqual([false, true]);
      const failed = results[0];
      expect(failed && !failed.ok && CloudmuxError.hasCode(failed.error, 'InvalidArgument')).toBe(true);
      const message = await collectOne(name);
      expect(messageText(message)).toBe('on time');
      await expectCode(s.queue.nack(name, message, { delaySeconds: -1 }), 'InvalidArgument');
      await s.queue.ack(name, message);
      await expectNothing(name);
    },
  );

  contractCase('sendAll sends more entries than one batch holds, each with its result', async () => {
    const name = await freshQueue();
    const count = s.queue.limits.maxBatchEntries + 1;
    const entries = Array.from({ length: count }, (_, i) => ({ body: `all-${i}` }));
    const results = await s.queue.sendAll(name, [...entries, { body: '' }]);
    expect(results).toHaveLength(count + 1);
    expect(results.slice(0, count).every((r) => r.ok)).toBe(true);
    expect(results[count]?.ok).toBe(false);
    const received = await collect(name, count);
    expect(new Set(received.map(messageText))).toEqual(new Set(entries.map((e) => e.body)));
    await s.queue.ackMany(name, received);
    await expectNothing(name);
  });

  contractCase('sendBatch over maxBatchBytes is split into requests the service accepts', async (ctx) => {
    const { maxBatchEntries, maxBatchBytes, maxMessageBytes } = s.queue.limits;
    const count = Math.floor(maxBatchBytes / maxMessageBytes) + 1;
    if (count > maxBatchEntries) {
      skipWithReason(
        ctx,
        `${maxBatchEntries} entries of at most ${maxMessageBytes} bytes never exceed ${maxBatchBytes} bytes`,
      );
    }
    const name = await freshQueue();
    const entries = Array.from({ length: count }, (_, i) => ({
      body: String(i % 10).repeat(maxMessageBytes),
    }));
    const results = await s.queue.sendBatch(name, entries);
    expect(results.every((r) => r.ok)).toBe(true);
    const received = await collect(name, count);
    expect(received.map((m) => m.body.byteLength)).toEqual(entries.map(() => maxMessageBytes));
    await s.queue.ackMany(name, received);
  });

  contractCase('consume: a message not acked is redelivered, an acked one is not', async () => {
    const name = await freshQueue();
    await s.queue.send(name, 'consume me');
    const controller = new AbortController();
    const giveUp = setTimeout(() => controller.abort(), DEADLINE_MS);
    const seen: ConsumedMessage[] = [];
    try {
      for await (const message of s.queue.consume(name, {
        signal: controller.signal,
        maxMessages: 1,
        visibilityTimeoutSeconds: 1,
        waitSeconds: pollWait(),
      })) {
        seen.push(message);
        // The first delivery is dropped as a crashed handler would drop it: it must come back.
        if (seen.length === 1) continue;
        await message.ack();
        break;
      }
    } finally {
      clearTimeout(giveUp);
    }
    expect(seen.map(messageText)).toEqual(['consume me', 'consume me']);
    expect(seen[1]!.id).toBe(seen[0]!.id);
    expect(seen.map((m) => m.deliveryCount)).toEqual([1, 2]);
    await sleep(1_500);
    await expectNothing(name);
  });

  contractCase('consume with extend keeps a held message hidden past its visibility timeout', async (ctx) => {
    const name = await freshQueue();
    await s.queue.send(name, 'long job');
    const controller = new AbortController();
    const giveUp = setTimeout(() => controller.abort(), DEADLINE_MS);
    const run = await gate(
      ctx,
      target,
      s.queue.capabilities.extendVisibility,
      'extendVisibility',
      async () => {
        for await (const _ of s.queue.consume(name, { extend: true, signal: controller.signal })) break;
      },
    );
    if (!run) {
      clearTimeout(giveUp);
      return;
    }
    try {
      for await (const message of s.queue.consume(name, {
        signal: controller.signal,
        maxMessages: 1,
        visibilityTimeoutSeconds: 2,
        waitSeconds: pollWait(),
        extend: true,
      })) {
        // Held for twice the visibility timeout: without extension it would be redelivered here.
        await expectNothing(name);
        await message.ack();
        break;
      }
    } finally {
      clearTimeout(giveUp);
    }
    await sleep(2_500);
    await expectNothing(name);
  });

  contractCase('consume ends with Cancelled when its signal aborts', async () => {
    const name = await freshQueue();
    await s.queue.sendBatch(name, [{ body: 'first' }, { body: 'second' }]);
    const controller = new AbortController();
    const seen: string[] = [];
    const consuming = (async () => {
      for await (const message of s.queue.consume(name, { signal: controller.signal, maxMessages: 2 })) {
        seen.push(messageText(message));
        await message.ack();
        if (seen.length === 2) controller.abort();
      }
    })();
    await expectCode(consuming, 'Cancelled');
    expect(seen.sort()).toEqual(['first', 'second']);
    await expectNothing(name);
  });

  contractCase(
    'an aborted long poll rejects promptly with Cancelled; a pre-aborted call does nothing',
    async (ctx) => {
      // A service may still hand a message to the poll the client abandoned (SQS does); it then
      // comes back after this visibility timeout rather than the default 30 s.
      const name = await freshQueue({ visibilityTimeoutSeconds: 5 });
      const waitSeconds = Math.min(20, s.queue.limits.maxWaitSeconds);
      const run = await gate(ctx, target, s.queue.capabilities.longPoll, 'longPoll', () =>
        s.queue.receive(name, { waitSeconds }),
      );
      if (!run) return;
      const controller = new AbortController();
      const waiting = s.queue.receive(name, { waitSeconds, signal: controller.signal });
      await sleep(500);
      const abortedAt = Date.now();
      controller.abort();
      await expectCode(waiting, 'Cancelled');
      // A deadline against a hang, not a speed claim: the call gave up long before its wait ran out.
      expect(Date.now() - abortedAt).toBeLessThan((waitSeconds * 1000) / 2);
      await expectCode(s.queue.send(name, 'never sent', { signal: AbortSignal.abort() }), 'Cancelled');
      // Nothing was lost to the abandoned poll: a message sent now is delivered.
      await s.queue.send(name, 'after the abort');
      const message = await collectOne(name);
      expect(messageText(message)).toBe('after the abort');
      await s.queue.ack(name, message);
      await expectNothing(name);
    },
  );
}
