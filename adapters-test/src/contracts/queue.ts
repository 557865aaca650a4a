/**
 * The Queue contract, written once and run against every adapter (embedded, emulators, live).
 *
 * Rules every adapter is held to here:
 * - Delivery is at least once; a consumer dedupes by its own key. Redelivery raises `deliveryCount`.
 * - `sendBatch` with more than `limits.maxBatchEntries` entries throws InvalidArgument for the whole
 *   call (callers chunk by the limit). Within the limit, each entry gets its own result: an entry
 *   that is invalid on its own (e.g. larger than `limits.maxMessageBytes`) fails alone with an
 *   InvalidArgument error in its slot and does not count against `limits.maxBatchBytes`, while the
 *   other entries are sent.
 * - Bodies are never empty and `delaySeconds` is whole seconds from 0 to `limits.maxDelaySeconds`:
 *   anything else is InvalidArgument on every provider (one answer, given by the portable Queue); in a
 *   batch such an entry fails alone. `sendBatch` splits a batch over `limits.maxBatchBytes` into
 *   several requests; `sendAll` takes any number of entries.
 * - An aborted call rejects with Cancelled; `consume` yields messages until its signal aborts, and a
 *   message it yielded that is not acked is redelivered.
 * - Queue names come from `uniqueName` (lower-case letters, digits and hyphens); an adapter whose
 *   service needs a suffix (SQS FIFO queues end in `.fifo`) adds it itself.
 * - Timing is generous: waits poll until a condition holds, up to deadlines far above what any
 *   service needs, and no case asserts a duration. Short visibility timeouts (1 s) may be raised by
 *   an adapter to its service's minimum; the cases still hold, only slower.
 */
import {
  bodyBytes,
  CloudmuxError,
  type ConsumedMessage,
  messageText,
  type Queue,
  type ReceivedMessage,
  type SendEntry,
} from '@cloudmux/core';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  beginCase,
  type ContractTarget,
  eventually,
  expectCode,
  gate,
  openedFromUrl,
  skipWithReason,
  uniqueName,
} from '../harness.ts';
import { queueFaultProbe } from './fault-probes.ts';
import { describeFaultGroup } from './faults.ts';

/** Upper bound for anything the service should do on its own (redelivery, dead-lettering, depth). */
const DEADLINE_MS = 45_000;
/** How long an absence is watched for before it is believed. */
const ABSENCE_MS = 3_000;
const CASE_TIMEOUT_MS = 120_000;
/** Delay of the delayed send and the delayed nack. */
const DELAY_SECONDS = 5;
/** Services keep visibility times at whole-second precision, so a delay may end up to 1 s early. */
const VISIBILITY_ROUNDING_MS = 1_000;

const tooSlowForDelayWindow = (seconds: number) =>
  `this machine was too slow to observe the ${seconds} s delay window: no receive completed inside it ` +
  '(the message still arrived, but whether it was hidden first could not be seen)';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function describeQueueContract(target: ContractTarget<Queue>): void {
  describe(`queue contract: ${target.provider} (${target.endpoint})`, () => {
    let queue: Queue;
    const created = new Set<string>();

    beforeAll(async () => {
      queue = await target.create();
    });

    afterAll(async () => {
      if (!queue) return;
      for (const name of created) {
        await queue.deleteQueue(name).catch((error: unknown) => {
          // Cases that delete their own queue leave nothing to clean up.
          if (!CloudmuxError.hasCode(error, 'NotFound')) throw error;
        });
      }
      await target.destroy(queue);
    });

    function contractCase(name: string, body: (ctx: TestContext) => Promise<void>): void {
      it(
        name,
        async (ctx) => {
          beginCase(ctx, target, 'queue', queue.capabilities);
          await body(ctx);
        },
        CASE_TIMEOUT_MS,
      );
    }

    /** A fresh queue for one case, deleted after the run. */
    async function freshQueue(
      options: Parameters<Queue['ensureQueue']>[1] = {},
      prefix = 'cmq',
    ): Promise<string> {
      const name = uniqueName(prefix);
      created.add(name);
      if (options.deadLetterQueue) created.add(options.deadLetterQueue);
      await queue.ensureQueue(name, options);
      return name;
    }

    /** Sends in batches no larger than the adapter allows; every entry must succeed. */
    async function sendAll(name: string, entries: readonly SendEntry[]): Promise<void> {
      for (let i = 0; i < entries.length; i += queue.limits.maxBatchEntries) {
        const results = await queue.sendBatch(name, entries.slice(i, i + queue.limits.maxBatchEntries));
        expect(results.every((r) => r.ok)).toBe(true);
      }
    }

    /** Long-poll a little when the adapter can, so loops do not spin. */
    function pollWait(): number {
      return queue.capabilities.longPoll ? Math.min(1, queue.limits.maxWaitSeconds) : 0;
    }

    async function receiveSome(
      name: string,
      options: Parameters<Queue['receive']>[1] = {},
    ): Promise<ReceivedMessage[]> {
      const messages = await queue.receive(name, { waitSeconds: pollWait(), ...options });
      if (messages.length === 0 && pollWait() === 0) await sleep(200);
      return messages;
    }

    /** Receives until `count` messages have arrived (or the deadline passes); acks nothing. */
    async function collect(
      name: string,
      count: number,
      options: Parameters<Queue['receive']>[1] = {},
    ): Promise<ReceivedMessage[]> {
      const collected: ReceivedMessage[] = [];
      const deadline = Date.now() + DEADLINE_MS;
      while (collected.length < count && Date.now() < deadline) {
        const maxMessages = Math.min(count - collected.length, queue.limits.maxBatchEntries);
        collected.push(...(await receiveSome(name, { maxMessages, ...options })));
      }
      return collected;
    }

    async function collectOne(name: string, options: Parameters<Queue['receive']>[1] = {}) {
      const [message] = await collect(name, 1, options);
      expect(message, `no message arrived on ${name} within ${DEADLINE_MS} ms`).toBeDefined();
      return message as ReceivedMessage;
    }

    /**
     * Receives a message that must stay hidden until `visibleFrom` (a local timestamp: the start of
     * the call that hid it plus its delay, less `VISIBILITY_ROUNDING_MS`). Causality makes the check
     * independent of machine speed: the service hid the message after `visibleFrom` was computed, so
     * a receive that returns it must complete after `visibleFrom`. Returns the message and how many
     * receives came back empty while certainly inside the window; zero means the machine was too slow
     * for the check to mean anything, and the caller skips visibly.
     */
    async function receiveNotBefore(
      name: string,
      visibleFrom: number,
    ): Promise<{ message: ReceivedMessage; emptyInsideWindow: number }> {
      let emptyInsideWindow = 0;
      const deadline = visibleFrom + DEADLINE_MS;
      while (Date.now() < deadline) {
        const messages = await receiveSome(name);
        const completedAt = Date.now();
        if (messages.length === 0) {
          if (completedAt < visibleFrom) emptyInsideWindow++;
          continue;
        }
        expect(
          completedAt,
          `delivered ${visibleFrom - completedAt} ms before its delay had passed`,
        ).toBeGreaterThanOrEqual(visibleFrom);
        expect(messages).toHaveLength(1);
        return { message: messages[0]!, emptyInsideWindow };
      }
      throw new Error(`no message arrived on ${name} within ${DEADLINE_MS} ms after its delay`);
    }

    /** Watches for `ABSENCE_MS` that nothing is delivered. */
    async function expectNothing(name: string, options: Parameters<Queue['receive']>[1] = {}) {
      const until = Date.now() + ABSENCE_MS;
      while (Date.now() < until) {
        const messages = await receiveSome(name, options);
        expect(messages.map(messageText)).toEqual([]);
      }
    }

    contractCase('send, receive and ack round-trip the body and id', async () => {
      const name = await freshQueue();
      const sent = await queue.send(name, 'hello queue');
      expect(typeof sent.id).toBe('string');
      const message = await collectOne(name);
      expect(messageText(message)).toBe('hello queue');
      expect(message.id).toBe(sent.id);
      expect(message.deliveryCount).toBe(1);
      expect(typeof message.receipt).toBe('string');
      await queue.ack(name, message);
    });

    contractCase('an acked message is not redelivered after its visibility timeout', async () => {
      const name = await freshQueue();
      await queue.send(name, 'done once');
      const message = await collectOne(name, { visibilityTimeoutSeconds: 1 });
      await queue.ack(name, message);
      await sleep(1_500);
      await expectNothing(name);
    });

    contractCase(
      'an unacked message is redelivered after its visibility timeout with a rising deliveryCount',
      async () => {
        const name = await freshQueue();
        await queue.send(name, 'try again');
        const first = await collectOne(name, { visibilityTimeoutSeconds: 1 });
        const second = await collectOne(name, { visibilityTimeoutSeconds: 1 });
        const third = await collectOne(name, { visibilityTimeoutSeconds: 30 });
        expect([first, second, third].map(messageText)).toEqual(['try again', 'try again', 'try again']);
        expect(second.id).toBe(first.id);
        expect(first.deliveryCount).toBe(1);
        expect(second.deliveryCount).toBe(2);
        expect(third.deliveryCount).toBe(3);
        await queue.ack(name, third);
      },
    );

    contractCase('a message in flight is hidden from other receivers', async () => {
      const name = await freshQueue({ visibilityTimeoutSeconds: 60 });
      await queue.send(name, 'mine');
      const held = await collectOne(name);
      await expectNothing(name);
      await queue.ack(name, held);
    });

    contractCase('nack releases a message for prompt redelivery', async () => {
      const name = await freshQueue({ visibilityTimeoutSeconds: 60 });
      await queue.send(name, 'release me');
      const first = await collectOne(name);
      await queue.nack(name, first);
      // Well within the 60 s visibility timeout: only the nack can have made it visible again.
      const again = await collectOne(name);
      expect(again.id).toBe(first.id);
      expect(again.deliveryCount).toBe(2);
      await queue.ack(name, again);
    });

    contractCase('nack with a delay redelivers only after the delay', async (ctx) => {
      const name = await freshQueue({ visibilityTimeoutSeconds: 60 });
      await queue.send(name, 'later please');
      const first = await collectOne(name);
      const run = await gate(ctx, target, queue.capabilities.delayedNack, 'delayedNack', () =>
        queue.nack(name, first, { delaySeconds: 5 }),
      );
      if (!run) return;
      const nackedAt = Date.now();
      await queue.nack(name, first, { delaySeconds: DELAY_SECONDS });
      const { message: again, emptyInsideWindow } = await receiveNotBefore(
        name,
        nackedAt + DELAY_SECONDS * 1000 - VISIBILITY_ROUNDING_MS,
      );
      expect(again.id).toBe(first.id);
      expect(again.deliveryCount).toBe(2);
      await queue.ack(name, again);
      if (emptyInsideWindow === 0) skipWithReason(ctx, tooSlowForDelayWindow(DELAY_SECONDS));
    });

    contractCase('extendVisibility keeps a message hidden past its original timeout', async (ctx) => {
      const name = await freshQueue();
      await queue.send(name, 'long job');
      const message = await collectOne(name, { visibilityTimeoutSeconds: 2 });
      const run = await gate(ctx, target, queue.capabilities.extendVisibility, 'extendVisibility', () =>
        queue.extendVisibility(name, message, 60),
      );
      if (!run) return;
      await queue.extendVisibility(name, message, 60);
      await sleep(2_500);
      await expectNothing(name);
      // The receipt still holds the delivery: the ack after the extension takes.
      await queue.ack(name, message);
    });

    contractCase('sendBatch returns one result per entry, in order, and sends them all', async () => {
      const name = await freshQueue();
      const bodies = ['one', 'two', 'three', 'four'];
      const results = await queue.sendBatch(
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
      await queue.ackMany(name, received);
    });

    contractCase('sendBatch fails an oversize entry alone and sends the rest', async () => {
      const name = await freshQueue();
      const oversize = new Uint8Array(queue.limits.maxMessageBytes + 1).fill(97);
      const results = await queue.sendBatch(name, [
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
      await queue.ackMany(name, received);
    });

    contractCase('sendBatch with more than maxBatchEntries entries is rejected whole', async () => {
      const name = await freshQueue();
      const tooMany = Array.from({ length: queue.limits.maxBatchEntries + 1 }, (_, i) => ({ body: `m${i}` }));
      await expectCode(queue.sendBatch(name, tooMany), 'InvalidArgument');
      const full = await queue.sendBatch(name, tooMany.slice(1));
      expect(full.every((r) => r.ok)).toBe(true);
      // Nothing of the rejected call was sent: exactly the full batch arrives, and then nothing.
      const received = await collect(name, queue.limits.maxBatchEntries);
      expect(new Set(received.map(messageText)).size).toBe(queue.limits.maxBatchEntries);
      await expectNothing(name);
    });

    contractCase('receive returns at most maxMessages and rejects more than maxBatchEntries', async () => {
      const name = await freshQueue();
      await queue.sendBatch(
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
      await queue.ackMany(name, seen);
      await expectCode(
        queue.receive(name, { maxMessages: queue.limits.maxBatchEntries + 1 }),
        'InvalidArgument',
      );
    });

    contractCase('a waiting long poll returns the message that arrives during the wait', async (ctx) => {
      const name = await freshQueue();
      const waitSeconds = Math.min(20, queue.limits.maxWaitSeconds);
      const run = await gate(ctx, target, queue.capabilities.longPoll, 'longPoll', () =>
        queue.receive(name, { waitSeconds }),
      );
      if (!run) return;
      const waiting = queue.receive(name, { waitSeconds });
      await sleep(500);
      const sentAt = Date.now();
      await queue.send(name, 'worth the wait');
      const messages = await waiting;
      // The message must come back from this very call, and because it arrived: a poll that sleeps
      // out its whole wait and only then looks would return it too, but not before its wait ran out.
      expect(messages.map(messageText)).toEqual(['worth the wait']);
      expect(
        Date.now() - sentAt,
        `the long poll returned only after its ${waitSeconds} s wait ran out, not when the message arrived`,
      ).toBeLessThan((waitSeconds * 1000) / 2);
      await queue.ack(name, messages[0]!);
    });

    contractCase('a long poll on an empty queue returns an empty list', async (ctx) => {
      const name = await freshQueue();
      const run = await gate(ctx, target, queue.capabilities.longPoll, 'longPoll', () =>
        queue.receive(name, { waitSeconds: 1 }),
      );
      if (!run) return;
      expect(await queue.receive(name, { waitSeconds: 1 })).toEqual([]);
    });

    contractCase(
      'after maxDeliveries a message moves to the dead-letter queue with its body intact',
      async (ctx) => {
        const deadLetterQueue = uniqueName('cmq-dlq');
        const options = { visibilityTimeoutSeconds: 60, maxDeliveries: 2, deadLetterQueue };
        if (!queue.capabilities.deadLetter) {
          await gate(ctx, target, false, 'deadLetter', () => queue.ensureQueue(uniqueName('cmq'), options));
          return;
        }
        await gate(ctx, target, true, 'deadLetter', async () => undefined);
        created.add(deadLetterQueue);
        await queue.ensureQueue(deadLetterQueue, { visibilityTimeoutSeconds: 60 });
        const name = await freshQueue(options);
        const body = new Uint8Array([0, 1, 2, 254, 255, 0x7b, 0x22]);
        const sendable = queue.capabilities.binaryBodies ? body : 'poison ☠ message';
        await queue.send(name, sendable);
        const deadline = Date.now() + DEADLINE_MS;
        let deadLettered: ReceivedMessage | undefined;
        while (!deadLettered && Date.now() < deadline) {
          for (const message of await receiveSome(name)) {
            expect(message.deliveryCount).toBeLessThanOrEqual(2);
            await queue.nack(name, message);
          }
          [deadLettered] = await receiveSome(deadLetterQueue);
        }
        expect(deadLettered, 'the message never reached the dead-letter queue').toBeDefined();
        // Ids are not compared: some services republish a dead letter under a new id.
        expect(deadLettered!.body).toEqual(bodyBytes(sendable));
        await queue.ack(deadLetterQueue, deadLettered!);
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
        const batch = await receiveSome(name, { maxMessages: Math.min(10, queue.limits.maxBatchEntries) });
        for (const message of batch) {
          handled++;
          // As in Dapr's conformance suite: the first two deliveries and every fifth one fail.
          if (handled <= 2 || handled % 5 === 0) {
            failures++;
            await queue.nack(name, message);
            continue;
          }
          processed.add((JSON.parse(messageText(message)) as { seq: number }).seq);
          await queue.ack(name, message);
        }
      }
      expect(failures).toBeGreaterThanOrEqual(2);
      expect([...processed].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
      await expectNothing(name);
    });

    contractCase('ack is idempotent', async () => {
      const name = await freshQueue();
      await queue.send(name, 'twice');
      const message = await collectOne(name);
      await queue.ack(name, message);
      await queue.ack(name, message);
      await queue.ackMany(name, [message]);
      await expectNothing(name);
    });

    contractCase('ackMany acknowledges every message it is given', async () => {
      const name = await freshQueue();
      await queue.sendBatch(name, [{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
      const messages = await collect(name, 3, { visibilityTimeoutSeconds: 1 });
      expect(messages).toHaveLength(3);
      await queue.ackMany(name, messages);
      await sleep(1_500);
      await expectNothing(name);
    });

    contractCase('a message larger than maxMessageBytes is rejected with InvalidArgument', async () => {
      const name = await freshQueue();
      await expectCode(queue.send(name, 'x'.repeat(queue.limits.maxMessageBytes + 1)), 'InvalidArgument');
      await expectNothing(name);
    });

    contractCase('a message of exactly maxMessageBytes round-trips', async () => {
      const name = await freshQueue();
      const body = 'y'.repeat(queue.limits.maxMessageBytes);
      await queue.send(name, body);
      const message = await collectOne(name);
      expect(message.body.byteLength).toBe(queue.limits.maxMessageBytes);
      expect(messageText(message) === body).toBe(true);
      await queue.ack(name, message);
    });

    contractCase('binary bodies round-trip byte for byte', async (ctx) => {
      const name = await freshQueue();
      // Every byte value, including sequences that are not valid UTF-8.
      const body = new Uint8Array(512).map((_, i) => (i * 7) % 256);
      const run = await gate(ctx, target, queue.capabilities.binaryBodies, 'binaryBodies', () =>
        queue.send(name, body),
      );
      if (!run) return;
      await queue.send(name, body);
      const message = await collectOne(name);
      expect(message.body).toEqual(body);
      await queue.ack(name, message);
    });

    contractCase('unicode text bodies round-trip', async () => {
      const name = await freshQueue();
      const body = 'naïve café — 日本語 — 🦀🚀 — e\u0301 — <tag attr="1"> & \'quotes\'\nline two\ttab';
      await queue.send(name, body);
      const message = await collectOne(name);
      expect(messageText(message)).toBe(body);
      await queue.ack(name, message);
    });

    contractCase('a delayed send is not delivered before its delay', async (ctx) => {
      const name = await freshQueue();
      const sentAt = Date.now();
      await queue.send(name, 'not yet', { delaySeconds: DELAY_SECONDS });
      const { message, emptyInsideWindow } = await receiveNotBefore(
        name,
        sentAt + DELAY_SECONDS * 1000 - VISIBILITY_ROUNDING_MS,
      );
      expect(messageText(message)).toBe('not yet');
      await queue.ack(name, message);
      if (emptyInsideWindow === 0) skipWithReason(ctx, tooSlowForDelayWindow(DELAY_SECONDS));
    });

    contractCase('depth counts visible and in-flight messages', async (ctx) => {
      const name = await freshQueue({ visibilityTimeoutSeconds: 60 });
      const run = await gate(ctx, target, queue.capabilities.approximateDepth, 'approximateDepth', () =>
        queue.depth(name),
      );
      if (!run) return;
      await queue.sendBatch(name, [{ body: '1' }, { body: '2' }, { body: '3' }]);
      const held = await collectOne(name);
      // Services publish depth with a lag: wait for it to settle rather than read it once.
      await eventually(
        async () => {
          const depth = await queue.depth(name);
          return depth.visible === 2 && depth.inFlight === 1;
        },
        DEADLINE_MS,
        500,
      );
      await queue.ack(name, held);
      await eventually(
        async () => {
          const depth = await queue.depth(name);
          return depth.visible === 2 && depth.inFlight === 0;
        },
        DEADLINE_MS,
        500,
      );
    });

    contractCase('FIFO queues deliver each group in send order', async (ctx) => {
      const name = uniqueName('cmq-fifo');
      const run = await gate(ctx, target, queue.capabilities.fifo, 'fifo', () =>
        queue.ensureQueue(name, { fifo: true }),
      );
      if (!run) return;
      created.add(name);
      await queue.ensureQueue(name, { fifo: true, visibilityTimeoutSeconds: 60 });
      const groups = ['red', 'blue'];
      const perGroup = 8;
      for (let i = 0; i < perGroup; i++) {
        for (const group of groups) {
          await queue.send(name, `${group}:${i}`, { groupId: group, dedupId: `${group}-${i}` });
        }
      }
      const order: Record<string, number[]> = { red: [], blue: [] };
      const deadline = Date.now() + DEADLINE_MS;
      while (order.red!.length + order.blue!.length < groups.length * perGroup && Date.now() < deadline) {
        const batch = await receiveSome(name, { maxMessages: Math.min(3, queue.limits.maxBatchEntries) });
        for (const message of batch) {
          const [group, index] = messageText(message).split(':');
          expect(message.groupId).toBe(group);
          order[group!]!.push(Number(index));
        }
        await queue.ackMany(name, batch);
      }
      const expected = Array.from({ length: perGroup }, (_, i) => i);
      expect(order.red).toEqual(expected);
      expect(order.blue).toEqual(expected);
    });

    contractCase('FIFO: a group waits while its earlier message is in flight', async (ctx) => {
      const name = uniqueName('cmq-fifo');
      const run = await gate(ctx, target, queue.capabilities.fifo, 'fifo', () =>
        queue.ensureQueue(name, { fifo: true }),
      );
      if (!run) return;
      created.add(name);
      await queue.ensureQueue(name, { fifo: true, visibilityTimeoutSeconds: 60 });
      await queue.send(name, 'first', { groupId: 'g', dedupId: 'first' });
      await queue.send(name, 'second', { groupId: 'g', dedupId: 'second' });
      const first = await collectOne(name, { maxMessages: 1 });
      expect(messageText(first)).toBe('first');
      await expectNothing(name);
      await queue.nack(name, first);
      const again = await collectOne(name, { maxMessages: 1 });
      expect(messageText(again)).toBe('first');
      await queue.ack(name, again);
      const second = await collectOne(name, { maxMessages: 1 });
      expect(messageText(second)).toBe('second');
      await queue.ack(name, second);
    });

    contractCase('ensureQueue is idempotent and keeps queued messages', async () => {
      const name = await freshQueue({ visibilityTimeoutSeconds: 30 });
      await queue.send(name, 'survivor');
      await queue.ensureQueue(name, { visibilityTimeoutSeconds: 30 });
      const message = await collectOne(name);
      expect(messageText(message)).toBe('survivor');
      await queue.ack(name, message);
    });

    contractCase(
      'a queue opened from its URL receives what this queue sent, and the other way round',
      async (ctx) => {
        const opened = await openedFromUrl(ctx, 'queue', target, queue);
        try {
          const name = await freshQueue();
          await queue.send(name, 'sent through config');
          let first: ReceivedMessage | undefined;
          await eventually(async () => {
            [first] = await opened.receive(name, { waitSeconds: pollWait() });
            return first !== undefined;
          }, DEADLINE_MS);
          expect(messageText(first!)).toBe('sent through config');
          await opened.ack(name, first!);
          await opened.send(name, 'sent through the URL');
          const second = await collectOne(name);
          expect(messageText(second)).toBe('sent through the URL');
          await queue.ack(name, second);
        } finally {
          await opened.close();
        }
      },
    );

    contractCase('a queue that was never created is NotFound for send and receive', async () => {
      const name = uniqueName('cmq-missing');
      await expectCode(queue.send(name, 'nobody home'), 'NotFound');
      await expectCode(queue.receive(name), 'NotFound');
    });

    contractCase('deleteQueue removes the queue: receive then fails with NotFound', async () => {
      const name = await freshQueue();
      await queue.send(name, 'going away');
      await queue.deleteQueue(name);
      // Deletion propagates with a lag on some services.
      await eventually(
        async () => {
          try {
            await queue.receive(name);
            return false;
          } catch (error) {
            if (CloudmuxError.hasCode(error, 'NotFound')) return true;
            throw error;
          }
        },
        DEADLINE_MS,
        500,
      );
      await expectCode(queue.receive(name), 'NotFound');
    });

    contractCase('an empty body is InvalidArgument; in a batch it fails alone', async () => {
      const name = await freshQueue();
      await expectCode(queue.send(name, ''), 'InvalidArgument');
      await expectCode(queue.send(name, new Uint8Array(0)), 'InvalidArgument');
      const results = await queue.sendBatch(name, [
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
      await queue.ack(name, message);
      await expectNothing(name);
    });

    contractCase(
      'delaySeconds outside whole 0..maxDelaySeconds is InvalidArgument and sends nothing',
      async () => {
        const name = await freshQueue();
        await expectCode(queue.send(name, 'negative', { delaySeconds: -1 }), 'InvalidArgument');
        await expectCode(
          queue.send(name, 'too late', { delaySeconds: queue.limits.maxDelaySeconds + 1 }),
          'InvalidArgument',
        );
        await expectCode(queue.send(name, 'fraction', { delaySeconds: 0.5 }), 'InvalidArgument');
        const results = await queue.sendBatch(name, [
          { body: 'negative', delaySeconds: -5 },
          { body: 'on time' },
        ]);
        expect(results.map((r) => r.ok)).toEqual([false, true]);
        const failed = results[0];
        expect(failed && !failed.ok && CloudmuxError.hasCode(failed.error, 'InvalidArgument')).toBe(true);
        const message = await collectOne(name);
        expect(messageText(message)).toBe('on time');
        await expectCode(queue.nack(name, message, { delaySeconds: -1 }), 'InvalidArgument');
        await queue.ack(name, message);
        await expectNothing(name);
      },
    );

    contractCase('sendAll sends more entries than one batch holds, each with its result', async () => {
      const name = await freshQueue();
      const count = queue.limits.maxBatchEntries + 1;
      const entries = Array.from({ length: count }, (_, i) => ({ body: `all-${i}` }));
      const results = await queue.sendAll(name, [...entries, { body: '' }]);
      expect(results).toHaveLength(count + 1);
      expect(results.slice(0, count).every((r) => r.ok)).toBe(true);
      expect(results[count]?.ok).toBe(false);
      const received = await collect(name, count);
      expect(new Set(received.map(messageText))).toEqual(new Set(entries.map((e) => e.body)));
      await queue.ackMany(name, received);
      await expectNothing(name);
    });

    contractCase('sendBatch over maxBatchBytes is split into requests the service accepts', async (ctx) => {
      const { maxBatchEntries, maxBatchBytes, maxMessageBytes } = queue.limits;
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
      const results = await queue.sendBatch(name, entries);
      expect(results.every((r) => r.ok)).toBe(true);
      const received = await collect(name, count);
      expect(received.map((m) => m.body.byteLength)).toEqual(entries.map(() => maxMessageBytes));
      await queue.ackMany(name, received);
    });

    contractCase('consume: a message not acked is redelivered, an acked one is not', async () => {
      const name = await freshQueue();
      await queue.send(name, 'consume me');
      const controller = new AbortController();
      const giveUp = setTimeout(() => controller.abort(), DEADLINE_MS);
      const seen: ConsumedMessage[] = [];
      try {
        for await (const message of queue.consume(name, {
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

    contractCase(
      'consume with extend keeps a held message hidden past its visibility timeout',
      async (ctx) => {
        const name = await freshQueue();
        await queue.send(name, 'long job');
        const controller = new AbortController();
        const giveUp = setTimeout(() => controller.abort(), DEADLINE_MS);
        const run = await gate(
          ctx,
          target,
          queue.capabilities.extendVisibility,
          'extendVisibility',
          async () => {
            for await (const _ of queue.consume(name, { extend: true, signal: controller.signal })) break;
          },
        );
        if (!run) {
          clearTimeout(giveUp);
          return;
        }
        try {
          for await (const message of queue.consume(name, {
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
      },
    );

    contractCase('consume ends with Cancelled when its signal aborts', async () => {
      const name = await freshQueue();
      await queue.sendBatch(name, [{ body: 'first' }, { body: 'second' }]);
      const controller = new AbortController();
      const seen: string[] = [];
      const consuming = (async () => {
        for await (const message of queue.consume(name, { signal: controller.signal, maxMessages: 2 })) {
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
        const waitSeconds = Math.min(20, queue.limits.maxWaitSeconds);
        const run = await gate(ctx, target, queue.capabilities.longPoll, 'longPoll', () =>
          queue.receive(name, { waitSeconds }),
        );
        if (!run) return;
        const controller = new AbortController();
        const waiting = queue.receive(name, { waitSeconds, signal: controller.signal });
        await sleep(500);
        const abortedAt = Date.now();
        controller.abort();
        await expectCode(waiting, 'Cancelled');
        // A deadline against a hang, not a speed claim: the call gave up long before its wait ran out.
        expect(Date.now() - abortedAt).toBeLessThan((waitSeconds * 1000) / 2);
        await expectCode(queue.send(name, 'never sent', { signal: AbortSignal.abort() }), 'Cancelled');
        // Nothing was lost to the abandoned poll: a message sent now is delivered.
        await queue.send(name, 'after the abort');
        const message = await collectOne(name);
        expect(messageText(message)).toBe('after the abort');
        await queue.ack(name, message);
        await expectNothing(name);
      },
    );

    describeFaultGroup(target, 'queue', queueFaultProbe);
  });
}
