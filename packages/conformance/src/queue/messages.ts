/**
 * Queue cases: message size and bodies, delayed sends, depth, FIFO order, queue lifecycle.
 */
import { CloudmuxError, messageText, type ReceivedMessage } from '@cloudmux/core';
import { eventually, expectCode, gate, openedFromUrl, skipWithReason, uniqueName } from '../harness.ts';
import type { QueueSuite } from './fixture.ts';
import { DEADLINE_MS, DELAY_SECONDS, tooSlowForDelayWindow, VISIBILITY_ROUNDING_MS } from './fixture.ts';

export function queueMessageCases(s: QueueSuite): void {
  const {
    expect,
    target,
    created,
    contractCase,
    freshQueue,
    receiveSome,
    collectOne,
    receiveNotBefore,
    expectNothing,
  } = s;
  contractCase('a message larger than maxMessageBytes is rejected with InvalidArgument', async () => {
    const name = await freshQueue();
    await expectCode(s.queue.send(name, 'x'.repeat(s.queue.limits.maxMessageBytes + 1)), 'InvalidArgument');
    await expectNothing(name);
  });

  contractCase('a message of exactly maxMessageBytes round-trips', async () => {
    const name = await freshQueue();
    const body = 'y'.repeat(s.queue.limits.maxMessageBytes);
    await s.queue.send(name, body);
    const message = await collectOne(name);
    expect(message.body.byteLength).toBe(s.queue.limits.maxMessageBytes);
    expect(messageText(message) === body).toBe(true);
    await s.queue.ack(name, message);
  });

  contractCase('binary bodies round-trip byte for byte', async (ctx) => {
    const name = await freshQueue();
    // Every byte value, including sequences that are not valid UTF-8.
    const body = new Uint8Array(512).map((_, i) => (i * 7) % 256);
    const run = await gate(ctx, target, s.queue.capabilities.binaryBodies, 'binaryBodies', () =>
      s.queue.send(name, body),
    );
    if (!run) return;
    await s.queue.send(name, body);
    const message = await collectOne(name);
    expect(message.body).toEqual(body);
    await s.queue.ack(name, message);
  });

  contractCase('unicode text bodies round-trip', async () => {
    const name = await freshQueue();
    const body = 'naïve café — 日本語 — 🦀🚀 — e\u0301 — <tag attr="1"> & \'quotes\'\nline two\ttab';
    await s.queue.send(name, body);
    const message = await collectOne(name);
    expect(messageText(message)).toBe(body);
    await s.queue.ack(name, message);
  });

  contractCase('a delayed send is not delivered before its delay', async (ctx) => {
    const name = await freshQueue();
    const sentAt = Date.now();
    await s.queue.send(name, 'not yet', { delaySeconds: DELAY_SECONDS });
    const { message, emptyInsideWindow } = await receiveNotBefore(
      name,
      sentAt + DELAY_SECONDS * 1000 - VISIBILITY_ROUNDING_MS,
    );
    expect(messageText(message)).toBe('not yet');
    await s.queue.ack(name, message);
    if (emptyInsideWindow === 0) skipWithReason(ctx, tooSlowForDelayWindow(DELAY_SECONDS));
  });

  contractCase('depth counts visible and in-flight messages', async (ctx) => {
    const name = await freshQueue({ visibilityTimeoutSeconds: 60 });
    const run = await gate(ctx, target, s.queue.capabilities.approximateDepth, 'approximateDepth', () =>
      s.queue.depth(name),
    );
    if (!run) return;
    await s.queue.sendBatch(name, [{ body: '1' }, { body: '2' }, { body: '3' }]);
    const held = await collectOne(name);
    // Services publish depth with a lag: wait for it to settle rather than read it once.
    await eventually(
      async () => {
        const depth = await s.queue.depth(name);
        return depth.visible === 2 && depth.inFlight === 1;
      },
      DEADLINE_MS,
      500,
    );
    await s.queue.ack(name, held);
    await eventually(
      async () => {
        const depth = await s.queue.depth(name);
        return depth.visible === 2 && depth.inFlight === 0;
      },
      DEADLINE_MS,
      500,
    );
  });

  contractCase('FIFO queues deliver each group in send order', async (ctx) => {
    const name = uniqueName('cmq-fifo');
    const run = await gate(ctx, target, s.queue.capabilities.fifo, 'fifo', () =>
      s.queue.ensureQueue(name, { fifo: true }),
    );
    if (!run) return;
    created.add(name);
    await s.queue.ensureQueue(name, { fifo: true, visibilityTimeoutSeconds: 60 });
    const groups = ['red', 'blue'];
    const perGroup = 8;
    for (let i = 0; i < perGroup; i++) {
      for (const group of groups) {
        await s.queue.send(name, `${group}:${i}`, { groupId: group, dedupId: `${group}-${i}` });
      }
    }
    const order: Record<string, number[]> = { red: [], blue: [] };
    const deadline = Date.now() + DEADLINE_MS;
    while (order.red!.length + order.blue!.length < groups.length * perGroup && Date.now() < deadline) {
      const batch = await receiveSome(name, { maxMessages: Math.min(3, s.queue.limits.maxBatchEntries) });
      for (const message of batch) {
        const [group, index] = messageText(message).split(':');
        expect(message.groupId).toBe(group);
        order[group!]!.push(Number(index));
      }
      await s.queue.ackMany(name, batch);
    }
    const expected = Array.from({ length: perGroup }, (_, i) => i);
    expect(order.red).toEqual(expected);
    expect(order.blue).toEqual(expected);
  });

  contractCase('FIFO: a group waits while its earlier message is in flight', async (ctx) => {
    const name = uniqueName('cmq-fifo');
    const run = await gate(ctx, target, s.queue.capabilities.fifo, 'fifo', () =>
      s.queue.ensureQueue(name, { fifo: true }),
    );
    if (!run) return;
    created.add(name);
    await s.queue.ensureQueue(name, { fifo: true, visibilityTimeoutSeconds: 60 });
    await s.queue.send(name, 'first', { groupId: 'g', dedupId: 'first' });
    await s.queue.send(name, 'second', { groupId: 'g', dedupId: 'second' });
    const first = await collectOne(name, { maxMessages: 1 });
    expect(messageText(first)).toBe('first');
    await expectNothing(name);
    await s.queue.nack(name, first);
    const again = await collectOne(name, { maxMessages: 1 });
    expect(messageText(again)).toBe('first');
    await s.queue.ack(name, again);
    const second = await collectOne(name, { maxMessages: 1 });
    expect(messageText(second)).toBe('second');
    await s.queue.ack(name, second);
  });

  contractCase('ensureQueue is idempotent and keeps queued messages', async () => {
    const name = await freshQueue({ visibilityTimeoutSeconds: 30 });
    await s.queue.send(name, 'survivor');
    await s.queue.ensureQueue(name, { visibilityTimeoutSeconds: 30 });
    const message = await collectOne(name);
    expect(messageText(message)).toBe('survivor');
    await s.queue.ack(name, message);
  });

  contractCase(
    'a queue opened from its URL receives what this queue sent, and the other way round',
    async (ctx) => {
      const opened = await openedFromUrl(ctx, 'queue', target, s.queue);
      try {
        const name = await freshQueue();
        await s.queue.send(name, 'sent through config');
        let first: ReceivedMessage | undefined;
        await eventually(async () => {
          [first] = await opened.receive(name, { waitSeconds: s.pollWait() });
          return first !== undefined;
        }, DEADLINE_MS);
        expect(messageText(first!)).toBe('sent through config');
        await opened.ack(name, first!);
        await opened.send(name, 'sent through the URL');
        const second = await collectOne(name);
        expect(messageText(second)).toBe('sent through the URL');
        await s.queue.ack(name, second);
      } finally {
        await opened.close();
      }
    },
  );

  contractCase('a queue that was never created is NotFound for send and receive', async () => {
    const name = uniqueName('cmq-missing');
    await expectCode(s.queue.send(name, 'nobody home'), 'NotFound');
    await expectCode(s.queue.receive(name), 'NotFound');
  });

  contractCase('deleteQueue removes the queue: receive then fails with NotFound', async () => {
    const name = await freshQueue();
    await s.queue.send(name, 'going away');
    await s.queue.deleteQueue(name);
    // Deletion propagates with a lag on some services.
    await eventually(
      async () => {
        try {
          await s.queue.receive(name);
          return false;
        } catch (error) {
          if (CloudmuxError.hasCode(error, 'NotFound')) return true;
          throw error;
        }
      },
      DEADLINE_MS,
      500,
    );
    await expectCode(s.queue.receive(name), 'NotFound');
  });
}
