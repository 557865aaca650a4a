import { randomBytes } from 'node:crypto';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  CloudmuxError,
  Meter,
  messageText,
  portableQueue,
  type Queue,
  type ReceivedMessage,
} from '@cloudmux/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientConfig, moto, motoMissingReason, stopMoto } from '../test/emulators.ts';
import { code } from '../test/error-code.ts';
import { createSqsQueue } from './sqs-queue.ts';

const missing = motoMissingReason();

describe.skipIf(missing)(`SQS queue against moto${missing ? ` — skipped: ${missing}` : ''}`, () => {
  let endpoint: string;
  let queue: Queue;
  let raw: SQSClient;
  const prefix = `cmx-${randomBytes(3).toString('hex')}-`;

  beforeAll(async () => {
    endpoint = (await moto()).endpoint;
    queue = createSqsQueue({ queuePrefix: prefix, clientConfig: clientConfig(endpoint) });
    raw = new SQSClient(clientConfig(endpoint));
  });
  afterAll(async () => {
    raw?.destroy();
    await queue?.close();
    await stopMoto();
  });

  it('creates the dead-letter queue and the redrive policy, prefixed', async () => {
    await queue.ensureQueue('jobs', {
      visibilityTimeoutSeconds: 5,
      maxDeliveries: 3,
      deadLetterQueue: 'jobs-dlq',
    });
    const url = (await raw.send(new GetQueueUrlCommand({ QueueName: `${prefix}jobs` }))).QueueUrl;
    const attributes = (
      await raw.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'],
        }),
      )
    ).Attributes;
    expect(attributes?.VisibilityTimeout).toBe('5');
    const policy = JSON.parse(attributes?.RedrivePolicy ?? '{}');
    expect(policy.maxReceiveCount).toBe(3);
    expect(policy.deadLetterTargetArn).toMatch(new RegExp(`${prefix}jobs-dlq$`));
    // idempotent, and it updates attributes of an existing queue
    await queue.ensureQueue('jobs', {
      visibilityTimeoutSeconds: 7,
      maxDeliveries: 3,
      deadLetterQueue: 'jobs-dlq',
    });
    const again = await raw.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] }),
    );
    expect(again.Attributes?.VisibilityTimeout).toBe('7');
  });

  it('round-trips binary bodies through base64 and a marker attribute', async () => {
    await queue.ensureQueue('bin');
    const bytes = new Uint8Array([0, 1, 2, 255, 0xfe, 10, 13]);
    await queue.send('bin', bytes, { attributes: { kind: 'raw' } });
    await queue.send('bin', 'plain text');
    const got = await queue.receive('bin', { maxMessages: 10, waitSeconds: 1 });
    const binary = got.find((m) => m.attributes?.kind === 'raw');
    expect(binary && Array.from(binary.body)).toEqual(Array.from(bytes));
    expect(binary?.attributes).toEqual({ kind: 'raw' });
    expect(got.some((m) => messageText(m) === 'plain text')).toBe(true);
    await queue.ackMany('bin', got);
    await queue.ackMany('bin', got);
  });

  it('counts deliveries from ApproximateReceiveCount and releases with nack', async () => {
    await queue.ensureQueue('redeliver', { visibilityTimeoutSeconds: 30 });
    await queue.send('redeliver', 'again');
    const [first] = await queue.receive('redeliver', { waitSeconds: 1 });
    expect(first?.deliveryCount).toBe(1);
    await queue.nack('redeliver', first!);
    const [second] = await queue.receive('redeliver', { waitSeconds: 1 });
    expect(second?.deliveryCount).toBe(2);
    await queue.extendVisibility('redeliver', second!, 60);
    expect((await queue.depth('redeliver')).inFlight).toBe(1);
    await queue.ack('redeliver', second!);
    await queue.ack('redeliver', second!);
  });

  it('keeps FIFO order per group and deduplicates by id', async () => {
    await queue.ensureQueue('ordered', { fifo: true });
    await queue.sendBatch('ordered', [
      { body: 'a1', groupId: 'a', dedupId: '1' },
      { body: 'a2', groupId: 'a', dedupId: '2' },
      { body: 'a2-again', groupId: 'a', dedupId: '2' },
    ]);
    const got = await queue.receive('ordered', { maxMessages: 10, waitSeconds: 1 });
    expect(got.map(messageText)).toEqual(['a1', 'a2']);
    expect(got[0]?.groupId).toBe('a');
    const url = (await raw.send(new GetQueueUrlCommand({ QueueName: `${prefix}ordered.fifo` }))).QueueUrl;
    expect(url).toBeDefined();
  });

  it('rejects oversize messages and batches with InvalidArgument and meters 64 KB chunks', async () => {
    await queue.ensureQueue('limits');
    expect(await code(queue.send('limits', 'x'.repeat(262_145)))).toBe('InvalidArgument');
    const entries = Array.from({ length: 11 }, (_, i) => ({ body: String(i) }));
    expect(await code(queue.sendBatch('limits', entries))).toBe('InvalidArgument');
    const results = await queue.sendBatch('limits', [{ body: 'ok' }, { body: 'y'.repeat(262_145) }]);
    expect(results[0]?.ok).toBe(true);
    expect(results[1]?.ok).toBe(false);
    expect(
      CloudmuxError.hasCode(results[1]?.ok === false ? results[1].error : undefined, 'InvalidArgument'),
    ).toBe(true);
    const meter = new Meter();
    await portableQueue(queue, { meter }).send('limits', 'z'.repeat(200_000));
    expect(meter.totalUnits()['sqs.requests']).toBe(4);
  });

  it('reports an entry SQS fails in its batch response as failed with its code, and sends the rest', async () => {
    // The adapter leaves the DelaySeconds range (0–900) to SQS, which fails such an entry alone in
    // the response's Failed list (moto does the same). First prove that with the raw SDK, so this
    // case certainly goes through the adapter's handling of Failed entries.
    await queue.ensureQueue('partial-probe');
    const probeUrl = (await raw.send(new GetQueueUrlCommand({ QueueName: `${prefix}partial-probe` })))
      .QueueUrl;
    const probe = await raw.send(
      new SendMessageBatchCommand({
        QueueUrl: probeUrl,
        Entries: [
          { Id: 'fine', MessageBody: 'probe' },
          { Id: 'too-late', MessageBody: 'probe', DelaySeconds: 901 },
        ],
      }),
    );
    expect(probe.Failed?.map((f) => [f.Id, f.SenderFault])).toEqual([['too-late', true]]);
    expect(probe.Successful?.map((s) => s.Id)).toEqual(['fine']);

    await queue.ensureQueue('partial');
    const results = await queue.sendBatch('partial', [
      { body: 'first' },
      { body: 'too late', delaySeconds: 901 },
      { body: 'last' },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    const failed = results[1];
    expect(failed?.ok === false && CloudmuxError.isInstance(failed.error)).toBe(true);
    const error = failed?.ok === false ? (failed.error as CloudmuxError) : undefined;
    expect(error?.code).toBe('InvalidArgument');
    expect(error?.retryable).toBe(false);
    const received: ReceivedMessage[] = [];
    const deadline = Date.now() + 10_000;
    while (received.length < 2 && Date.now() < deadline) {
      received.push(...(await queue.receive('partial', { maxMessages: 10, waitSeconds: 1 })));
    }
    expect(received.map(messageText).sort()).toEqual(['first', 'last']);
    await queue.ackMany('partial', received);
  });

  it('translates a missing queue to NotFound', async () => {
    expect(await code(queue.send('does-not-exist', 'x'))).toBe('NotFound');
    expect(await code(queue.receive('does-not-exist'))).toBe('NotFound');
  });
});

if (missing) {
  describe('SQS queue against moto', () => {
    it('needs moto', (ctx) => ctx.skip(missing));
  });
}
