/**
 * The portable Queue's own logic over a scripted in-memory driver: how it chunks, what it hands
 * the driver, how driver failures become CloudmuxErrors, and what the meter sees. Every provider's
 * behaviour through this layer is pinned by the queue contract suite (@cloudmux/conformance, run by
 * adapters-test) on real engines.
 */
import { describe, expect, it } from 'vitest';
import type { QueueCapabilities, QueueLimits } from '../capabilities.ts';
import { CloudmuxError } from '../errors.ts';
import { Meter } from '../meter.ts';
import { DriverError } from '../portable/errors.ts';
import type { ReportingCall } from '../portable/operation.ts';
import type { DriverSendOutcome, OutgoingMessage, QueueDriver } from './driver.ts';
import { portableQueue, queueDriverOf } from './portable-queue.ts';
import type { ReceivedMessage } from './types.ts';

const LIMITS: QueueLimits = {
  maxMessageBytes: 10,
  maxBatchEntries: 4,
  maxBatchBytes: 20,
  maxVisibilityTimeoutSeconds: 60,
  maxWaitSeconds: 5,
  maxDelaySeconds: 30,
};
const CAPABILITIES: QueueCapabilities = {
  longPoll: true,
  delayedNack: true,
  extendVisibility: true,
  deadLetter: true,
  fifo: false,
  approximateDepth: true,
  binaryBodies: true,
};

class NativeError extends Error {
  override name = 'QueueDoesNotExist';
}

/** An in-memory queue service: enough to observe what the portable layer sends it. */
function scriptedDriver() {
  const requests: OutgoingMessage[][] = [];
  const stored: string[] = [];
  const released: string[] = [];
  let failRequest: number | undefined;
  let pendingReceive: ((messages: ReceivedMessage[]) => void) | undefined;
  const driver: QueueDriver = {
    provider: 'scripted',
    capabilities: CAPABILITIES,
    limits: LIMITS,
    queueNameProblem: (name) => (/^[a-z-]+$/.test(name) ? undefined : 'lower-case letters and "-"'),
    messageSize: (message) => message.bytes.byteLength,
    errorCode: (error) => (error instanceof NativeError ? 'NotFound' : 'Internal'),
    native: () => new Map<string, string>(),
    ensureQueue: async () => {},
    deleteQueue: async () => {},
    async send(queue, message, call: ReportingCall) {
      if (queue === 'missing') throw new NativeError('The specified queue does not exist.');
      call.report({ bytesIn: message.bytes.byteLength, units: { 'scripted.requests': 1 } });
      stored.push(String(message.body));
      return `id-${stored.length}`;
    },
    async sendBatch(_queue, messages): Promise<DriverSendOutcome[]> {
      requests.push([...messages]);
      if (failRequest === requests.length) throw new NativeError('gone mid-batch');
      return messages.map((m) =>
        String(m.body) === 'refused'
          ? { error: new DriverError('InvalidArgument', { detail: 'the service refused it' }) }
          : { id: `id-${stored.push(String(m.body))}` },
      );
    },
    receive: (_queue, _options, call) =>
      new Promise((resolve) => {
        pendingReceive = resolve;
        call.signal?.addEventListener('abort', () => {}, { once: true });
      }),
    ack: async () => {},
    async release(_queue, message) {
      released.push(message.id);
    },
    extendVisibility: async () => {
      throw new DriverError('PreconditionFailed', { detail: 'the receipt is no longer current' });
    },
    depth: async () => ({ visible: stored.length, inFlight: 0 }),
    close: async () => {},
  };
  return {
    driver,
    requests,
    stored,
    released,
    failOnRequest: (n: number) => {
      failRequest = n;
    },
    deliver: (messages: ReceivedMessage[]) => pendingReceive?.(messages),
  };
}

async function rejection(promise: Promise<unknown>): Promise<CloudmuxError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(CloudmuxError.isInstance(error), `expected a CloudmuxError, got ${String(error)}`).toBe(true);
  return error as CloudmuxError;
}

describe('portable queue', () => {
  it('splits a sendBatch by the driver byte limit, keeps result order and fails bad entries alone', async () => {
    const s = scriptedDriver();
    const queue = portableQueue(s.driver);
    const results = await queue.sendBatch('jobs', [
      { body: 'aaaaaaaaaa' },
      { body: '' },
      { body: 'bbbbbbbbbb' },
      { body: 'refused' },
    ]);
    // 10 + 10 bytes fill the first request; the third entry opens a second one.
    expect(s.requests.map((r) => r.map((m) => String(m.body)))).toEqual([
      ['aaaaaaaaaa', 'bbbbbbbbbb'],
      ['refused'],
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true, false]);
    const [, empty, , refused] = results;
    expect(empty?.ok === false && CloudmuxError.hasCode(empty.error, 'InvalidArgument')).toBe(true);
    expect(refused?.ok === false && CloudmuxError.hasCode(refused.error, 'InvalidArgument')).toBe(true);
  });

  it('a later request failing marks only its entries; the first failing fails the call', async () => {
    const later = scriptedDriver();
    later.failOnRequest(2);
    const entries = ['aaaaaaaaaa', 'bbbbbbbbbb', 'cccccccccc'].map((body) => ({ body }));
    const results = await portableQueue(later.driver).sendBatch('jobs', entries);
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
    const first = scriptedDriver();
    first.failOnRequest(1);
    const error = await rejection(portableQueue(first.driver).sendBatch('jobs', entries));
    expect(error.code).toBe('NotFound');
  });

  it('sendAll chunks by entry count as well as bytes', async () => {
    const s = scriptedDriver();
    const results = await portableQueue(s.driver).sendAll(
      'jobs',
      Array.from({ length: 9 }, (_, i) => ({ body: String(i) })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(s.requests.map((r) => r.length)).toEqual([4, 4, 1]);
  });

  it('a native driver error becomes a CloudmuxError with the driver code and the native cause', async () => {
    const s = scriptedDriver();
    const error = await rejection(portableQueue(s.driver).send('missing', 'x'));
    expect(error.code).toBe('NotFound');
    expect(error.cause).toBeInstanceOf(NativeError);
    expect([error.provider, error.resource, error.operation]).toEqual(['scripted', 'queue', 'send']);
    const stale = await rejection(
      portableQueue(s.driver).extendVisibility(
        'jobs',
        { id: '1', receipt: 'r', body: new Uint8Array(1), deliveryCount: 1 },
        5,
      ),
    );
    expect(stale.code).toBe('PreconditionFailed');
  });

  it('invalid arguments never reach the driver', async () => {
    const s = scriptedDriver();
    const queue = portableQueue(s.driver);
    const codes = await Promise.all(
      [
        queue.send('Bad_Name', 'x'),
        queue.send('jobs', 'x', { delaySeconds: -1 }),
        queue.send('jobs', 'x', { delaySeconds: LIMITS.maxDelaySeconds + 1 }),
        queue.send('jobs', 'x'.repeat(LIMITS.maxMessageBytes + 1)),
        queue.send('jobs', 'x', { groupId: 'g' }),
        queue.receive('jobs', { maxMessages: LIMITS.maxBatchEntries + 1 }),
        queue.receive('jobs', { waitSeconds: LIMITS.maxWaitSeconds + 1 }),
        queue.ensureQueue('jobs', { maxDeliveries: 3 }),
      ].map(async (p) => (await rejection(p)).code),
    );
    expect(codes).toEqual([
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'Unsupported',
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
    ]);
    expect(s.stored).toEqual([]);
  });

  it('an aborted receive is Cancelled at once, and messages that arrive afterwards are released', async () => {
    const s = scriptedDriver();
    const queue = portableQueue(s.driver);
    const controller = new AbortController();
    const waiting = queue.receive('jobs', { waitSeconds: 5, signal: controller.signal });
    controller.abort();
    expect((await rejection(waiting)).code).toBe('Cancelled');
    s.deliver([{ id: 'late', receipt: 'r', body: new Uint8Array(1), deliveryCount: 1 }]);
    await new Promise((r) => setImmediate(r));
    expect(s.released).toEqual(['late']);
    expect((await rejection(queue.send('jobs', 'x', { signal: AbortSignal.abort() }))).code).toBe(
      'Cancelled',
    );
    expect(s.stored).toEqual([]);
  });

  it('meters inline: usage the driver reports lands in the meter, and the registry path re-wraps the driver', async () => {
    const s = scriptedDriver();
    const plain = portableQueue(s.driver);
    const meter = new Meter();
    const metered = portableQueue(plain, { meter });
    expect(queueDriverOf(metered)).toBe(s.driver);
    await metered.send('jobs', 'hello');
    await plain.send('jobs', 'unmetered');
    const [send] = meter.summary();
    expect(send).toMatchObject({
      provider: 'scripted',
      resource: 'queue',
      operation: 'send',
      count: 1,
      bytesIn: 5,
    });
    expect(meter.totalUnits()).toEqual({ 'scripted.requests': 1 });
    // Items count messages, not requests: two sent of three, one request.
    await metered.sendBatch('jobs', [{ body: 'one' }, { body: 'refused' }, { body: 'two' }]);
    const batch = meter.summary().find((o) => o.operation === 'sendBatch');
    expect(batch).toMatchObject({ count: 1, items: 2 });
  });

  it('as() returns the native client only for a matching type; asyncDispose closes', async () => {
    const s = scriptedDriver();
    let closed = 0;
    s.driver.close = async () => {
      closed++;
    };
    {
      await using queue = portableQueue(s.driver);
      expect(queue.as(Map)).toBeInstanceOf(Map);
      expect(queue.as(Set)).toBeUndefined();
    }
    expect(closed).toBe(1);
  });
  it('consume releases the messages it received but never yielded when the loop breaks', async () => {
    const s = scriptedDriver();
    const queue = portableQueue(s.driver);
    const batch = ['a', 'b', 'c'].map((id) => ({
      id,
      receipt: id,
      body: new Uint8Array(1),
      deliveryCount: 1,
    }));
    const seen: string[] = [];
    const consuming = (async () => {
      for await (const message of queue.consume('jobs', { maxMessages: 3 })) {
        seen.push(message.id);
        break;
      }
    })();
    await new Promise((r) => setImmediate(r));
    s.deliver(batch);
    await consuming;
    expect(seen).toEqual(['a']);
    expect(s.released.sort()).toEqual(['b', 'c']);
  });
  it('works through a Proxy, as apps wrap a queue to count what it sends', async () => {
    const s = scriptedDriver();
    const proxied = new Proxy(portableQueue(s.driver), {});
    expect(proxied.provider).toBe('scripted');
    await proxied.send('jobs', 'counted');
    expect(await proxied.sendBatch('jobs', [{ body: 'too' }])).toMatchObject([{ ok: true }]);
    expect(s.stored).toEqual(['counted', 'too']);
  });
});
