/**
 * Focused tests of the Queue Storage adapter against Azurite: the parts Queue Storage lacks and the
 * adapter implements (dead-lettering, settings in queue metadata, pop-receipt tracking across
 * Update Message, base64 bodies, the 64 KiB limit), checked through the raw SDK where it matters.
 */
import { QueueServiceClient } from '@azure/storage-queue';
import { createQueueStorageQueue } from '@cloudmux/azure';
import { expectCode, uniqueName } from '@cloudmux/conformance';
import { Meter, messageText, portableQueue, type Queue } from '@cloudmux/core';
import { type AzuriteInstance, azuriteEntry, startAzurite } from '@cloudmux/emulators/azure';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const missing = azuriteEntry()
  ? undefined
  : 'azurite is not installed (a dependency of @cloudmux/emulators: run pnpm install)';

describe.skipIf(missing)(`azure queue adapter on Azurite${missing ? ` — skipped: ${missing}` : ''}`, () => {
  let azurite: AzuriteInstance;
  let queue: Queue;
  let raw: QueueServiceClient;

  beforeAll(async () => {
    azurite = await startAzurite();
    queue = createQueueStorageQueue({ connectionString: azurite.connectionString, queuePrefix: 't-' });
    raw = QueueServiceClient.fromConnectionString(azurite.connectionString);
  });
  afterAll(async () => {
    await queue?.close();
    await azurite?.stop();
  });

  it('binary and UTF-8 bodies and attributes round-trip; the wire text is base64', async () => {
    const name = uniqueName('bodies');
    await queue.ensureQueue(name);
    const binary = new Uint8Array([0, 255, 1, 254, 60, 38, 62]);
    await queue.send(name, binary);
    await queue.send(name, 'grüße <&> 🎉', { attributes: { kind: 'text' } });
    const peeked = await raw.getQueueClient(`t-${name}`).peekMessages({ numberOfMessages: 2 });
    expect(peeked.peekedMessageItems[0]?.messageText).toBe(Buffer.from(binary).toString('base64'));
    const got = await queue.receive(name, { maxMessages: 2 });
    expect(got).toHaveLength(2);
    expect(Array.from(got[0]!.body)).toEqual(Array.from(binary));
    expect(messageText(got[1]!)).toBe('grüße <&> 🎉');
    expect(got[1]!.attributes).toEqual({ kind: 'text' });
    expect(got[0]!.deliveryCount).toBe(1);
  });

  it('rejects a body over 64 KiB once base64-encoded with InvalidArgument', async () => {
    const name = uniqueName('limit');
    await queue.ensureQueue(name);
    await queue.send(name, new Uint8Array(queue.limits.maxMessageBytes));
    await expectCode(queue.send(name, new Uint8Array(queue.limits.maxMessageBytes + 1)), 'InvalidArgument');
  });

  it('tracks the new pop receipt after extendVisibility so a later ack deletes the message', async () => {
    const name = uniqueName('extend');
    await queue.ensureQueue(name, { visibilityTimeoutSeconds: 30 });
    await queue.send(name, 'work');
    const [message] = await queue.receive(name);
    await queue.extendVisibility(name, message!, 60);
    await queue.extendVisibility(name, message!, 60);
    await queue.ack(name, message!);
    const props = await raw.getQueueClient(`t-${name}`).getProperties();
    expect(props.approximateMessagesCount).toBe(0);
    // Acking again is idempotent; extending an acked delivery tells the caller it lost the message.
    await queue.ack(name, message!);
    await expectCode(queue.extendVisibility(name, message!, 10), 'PreconditionFailed');
  });

  it('nack releases at once, and dequeueCount rises as deliveryCount', async () => {
    const name = uniqueName('nack');
    await queue.ensureQueue(name);
    await queue.send(name, 'again');
    const [first] = await queue.receive(name);
    await queue.nack(name, first!);
    const [second] = await queue.receive(name);
    expect(second?.deliveryCount).toBe(2);
    expect(await queue.depth(name)).toEqual({ visible: 0, inFlight: 1 });
    await queue.nack(name, second!, { delaySeconds: 60 });
    expect(await queue.receive(name)).toEqual([]);
  });

  it('moves a message past maxDeliveries to its dead-letter queue exactly once, body intact, settings read from queue metadata', async () => {
    const name = uniqueName('dlq');
    await queue.ensureQueue(name, { maxDeliveries: 2, deadLetterQueue: `${name}-poison` });
    const metadata = (await raw.getQueueClient(`t-${name}`).getProperties()).metadata;
    expect(metadata).toMatchObject({
      cloudmux_max_deliveries: '2',
      cloudmux_dead_letter_queue: `t-${name}-poison`,
    });
    await queue.send(name, new Uint8Array([9, 8, 7]), { attributes: { trace: 'x1' } });
    // A second adapter instance knows nothing in memory: the redrive settings come from the metadata.
    const other = createQueueStorageQueue({ connectionString: azurite.connectionString, queuePrefix: 't-' });
    for (let delivery = 1; delivery <= 2; delivery++) {
      const [m] = await other.receive(name);
      expect(m?.deliveryCount).toBe(delivery);
      await other.nack(name, m!);
    }
    const meter = new Meter();
    expect(await portableQueue(other, { meter }).receive(name)).toEqual([]);
    // Get Messages, then Put Message into the poison queue and Delete Message from the source.
    expect(meter.totalUnits()['queue.operations']).toBe(3);
    expect(await other.receive(name)).toEqual([]);
    const poisoned = await queue.receive(`${name}-poison`, { maxMessages: 32 });
    expect(poisoned).toHaveLength(1);
    expect(Array.from(poisoned[0]!.body)).toEqual([9, 8, 7]);
    expect(poisoned[0]!.attributes).toEqual({ trace: 'x1' });
    expect((await raw.getQueueClient(`t-${name}`).getProperties()).approximateMessagesCount).toBe(0);
    await other.close();
  });

  it('send to a missing queue is NotFound; an invalid name is InvalidArgument; fifo is Unsupported', async () => {
    await expectCode(queue.send(uniqueName('absent'), 'x'), 'NotFound');
    await expectCode(queue.ensureQueue('Bad_Name'), 'InvalidArgument');
    await expectCode(queue.ensureQueue(uniqueName('fifo'), { fifo: true }), 'Unsupported');
  });

  it('long-polls until a message arrives', async () => {
    const name = uniqueName('poll');
    await queue.ensureQueue(name);
    const pending = queue.receive(name, { waitSeconds: 10 });
    await queue.send(name, 'late');
    const got = await pending;
    expect(got.map(messageText)).toEqual(['late']);
  });
});
