/**
 * The queue suite's fixture: one adapter per run, fresh queues per case (deleted after the run), and the
 * receive loops the cases share.
 */
import { CloudmuxError, messageText, type Queue, type ReceivedMessage, type SendEntry } from '@cloudmux/core';
import { beginCase, type ContractTarget, uniqueName } from '../harness.ts';
import type { CaseContext, ContractRunner } from '../runner.ts';

/** Upper bound for anything the service should do on its own (redelivery, dead-lettering, depth). */
export const DEADLINE_MS = 45_000;
/** How long an absence is watched for before it is believed. */
export const ABSENCE_MS = 3_000;
export const CASE_TIMEOUT_MS = 120_000;
/** Delay of the delayed send and the delayed nack. */
export const DELAY_SECONDS = 5;
/** Services keep visibility times at whole-second precision, so a delay may end up to 1 s early. */
export const VISIBILITY_ROUNDING_MS = 1_000;

export const tooSlowForDelayWindow = (seconds: number) =>
  `this machine was too slow to observe the ${seconds} s delay window: no receive completed inside it ` +
  '(the message still arrived, but whether it was hidden first could not be seen)';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The shared state and helpers of one queue suite run; registers its hooks with the runner. */
export function queueSuite(runner: ContractRunner, target: ContractTarget<Queue>) {
  const { it, expect, beforeAll, afterAll } = runner;
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

  function contractCase(name: string, body: (ctx: CaseContext) => Promise<void>): void {
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

  return {
    it,
    expect,
    target,
    get queue() {
      return queue;
    },
    created,
    contractCase,
    freshQueue,
    sendAll,
    pollWait,
    receiveSome,
    collect,
    collectOne,
    receiveNotBefore,
    expectNothing,
  };
}

export type QueueSuite = ReturnType<typeof queueSuite>;
