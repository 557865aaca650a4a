import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { CloudmuxError, messageText } from '@cloudmux/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { code } from '../test/error-code.ts';
import { createSqliteQueue } from './sqlite-queue.ts';

const run = promisify(execFile);
const moduleUrl = pathToFileURL(join(import.meta.dirname, 'sqlite-queue.ts')).href;

/**
 * A consumer in its own process. `mode=consume` drains the queue, printing the sequence numbers it
 * processed; `mode=abandon` takes messages with a short visibility timeout and exits without
 * acking, as a crashed worker would.
 */
const consumerScript = `
import { existsSync, writeFileSync } from 'node:fs';
import { createSqliteQueue } from ${JSON.stringify(moduleUrl)};
const [file, queueName, mode, doneFile] = process.argv.slice(1);
const queue = createSqliteQueue({ file });
const decoder = new TextDecoder();
if (mode === 'wait') {
  await queue.ensureQueue(queueName);
  writeFileSync(doneFile + '.waiting', '');
  const got = await queue.receive(queueName, { waitSeconds: 20 });
  process.stdout.write(JSON.stringify({ waited: got.map((m) => decoder.decode(m.body)) }));
  process.exit(0);
}
if (mode === 'abandon') {
  const taken = await queue.receive(queueName, { maxMessages: 20, visibilityTimeoutSeconds: 1, waitSeconds: 5 });
  process.stdout.write(JSON.stringify({ abandoned: taken.length }));
  process.exit(0);
}
const processed = [];
writeFileSync(doneFile + '.ready.' + process.pid, '');
for (;;) {
  const batch = await queue.receive(queueName, { maxMessages: 25, waitSeconds: 1 });
  if (batch.length === 0) {
    const depth = await queue.depth(queueName);
    // Empty for now is not done: the producer says when it has sent everything.
    if (depth.visible + depth.inFlight + (depth.delayed ?? 0) === 0 && existsSync(doneFile)) break;
    continue;
  }
  for (const message of batch) processed.push(Number(decoder.decode(message.body)));
  // A little work per batch, so one consumer cannot drain everything before the other gets going.
  await new Promise((r) => setTimeout(r, 5));
  await queue.ackMany(queueName, batch);
}
await queue.close();
process.stdout.write(JSON.stringify({ processed }));
`;

function startConsumer(file: string, queueName: string, mode: 'consume' | 'abandon' | 'wait') {
  const args = [file, queueName, mode, `${file}.done`];
  return run(
    process.execPath,
    ['--conditions=@cloudmux/source', '--no-warnings', '--input-type=module', '-e', consumerScript, ...args],
    { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
  ).then(
    ({ stdout }) => JSON.parse(stdout) as { processed?: number[]; abandoned?: number; waited?: string[] },
  );
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cloudmux-queue-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sqlite queue across processes', () => {
  it('two consumer processes process every message exactly once, including those a crashed worker abandoned', async () => {
    const file = join(dir, 'queue.sqlite');
    const queue = createSqliteQueue({ file });
    await queue.ensureQueue('work', { visibilityTimeoutSeconds: 60 });
    const total = 3000;
    const send = (from: number, to: number) =>
      queue.sendBatch(
        'work',
        Array.from({ length: to - from }, (_, i) => ({ body: String(from + i) })),
      );
    await send(0, 1000);
    const abandoner = await startConsumer(file, 'work', 'abandon');
    expect(abandoner.abandoned).toBe(20);

    const consumers = [startConsumer(file, 'work', 'consume'), startConsumer(file, 'work', 'consume')];
    // The rest arrives once both consumers are draining.
    const ready = async () => (await readdir(dir)).filter((f) => f.includes('.done.ready.')).length;
    for (let i = 0; i < 600 && (await ready()) < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await ready()).toBe(2);
    for (let from = 1000; from < total; from += 250) await send(from, from + 250);
    await writeFile(`${file}.done`, '');
    const results = await Promise.all(consumers);
    for (const result of results) expect(result.processed?.length).toBeGreaterThan(0);

    const all = results.flatMap((r) => r.processed ?? []);
    expect(new Set(all).size).toBe(total);
    // Visibility (60 s) never expired while a consumer held a message, so nothing was handed out twice.
    expect(all.length).toBe(total);
    expect(Math.min(...all)).toBe(0);
    expect(Math.max(...all)).toBe(total - 1);
    expect(await queue.depth('work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    await queue.close();
  });

  it('a long poll in another process returns the message this process sends while it waits', async () => {
    const file = join(dir, 'queue.sqlite');
    const waiter = startConsumer(file, 'doorbell', 'wait');
    const queue = createSqliteQueue({ file });
    // The child announces that it is about to wait; the send comes after that.
    for (let i = 0; i < 600 && !existsSync(`${file}.done.waiting`); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(`${file}.done.waiting`)).toBe(true);
    await queue.send('doorbell', 'ding');
    expect((await waiter).waited).toEqual(['ding']);
    await queue.close();
  });
});

describe('sqlite queue', () => {
  it('keeps messages across a reopen of the database file', async () => {
    const file = join(dir, 'queue.sqlite');
    const first = createSqliteQueue({ file, synchronous: 'FULL' });
    await first.ensureQueue('durable');
    await first.send('durable', 'kept');
    await first.close();
    const second = createSqliteQueue({ file });
    const [message] = await second.receive('durable');
    expect(message && messageText(message)).toBe('kept');
    await second.close();
  });

  it('a stale receipt neither acks nor extends a redelivered message', async () => {
    const queue = createSqliteQueue({ file: join(dir, 'queue.sqlite') });
    await queue.ensureQueue('stale');
    await queue.send('stale', 'once');
    const [first] = await queue.receive('stale');
    await queue.nack('stale', first!);
    const [second] = await queue.receive('stale');
    expect(second!.deliveryCount).toBe(2);
    expect(second!.receipt).not.toBe(first!.receipt);
    await queue.ack('stale', first!);
    await expect(queue.extendVisibility('stale', first!, 30)).rejects.toSatisfy((e) =>
      CloudmuxError.hasCode(e, 'PreconditionFailed'),
    );
    expect((await queue.depth('stale')).inFlight).toBe(1);
    await queue.ack('stale', second!);
    expect(await queue.depth('stale')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    await queue.close();
  });

  it('a long poll ends when the client closes', async () => {
    const queue = createSqliteQueue({ file: join(dir, 'queue.sqlite') });
    await queue.ensureQueue('idle');
    const waitSeconds = 20;
    const waiting = queue.receive('idle', { waitSeconds });
    await new Promise((r) => setTimeout(r, 50));
    await queue.close();
    // A poll that ignored the close would still end, after its 20 s wait: the close must end it
    // well before that, so the race is lost only by a poll that does not notice the close.
    const ignoredClose = Symbol('the long poll outlived close()');
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      waiting,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve(ignoredClose), (waitSeconds * 1000) / 4);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(outcome).toEqual([]);
  });

  it('a bare ensureQueue keeps the settings an existing queue has', async () => {
    const queue = createSqliteQueue({ file: join(dir, 'queue.sqlite') });
    await queue.ensureQueue('configured', { maxDeliveries: 1, deadLetterQueue: 'configured-dlq' });
    await queue.ensureQueue('configured');
    await queue.send('configured', 'poison');
    const [first] = await queue.receive('configured');
    await queue.nack('configured', first!);
    // The second receive would exceed maxDeliveries = 1: the message moves instead.
    expect(await queue.receive('configured')).toEqual([]);
    const [dead] = await queue.receive('configured-dlq');
    expect(dead && messageText(dead)).toBe('poison');
    await expect(queue.ensureQueue('configured', { fifo: true })).rejects.toSatisfy((e) =>
      CloudmuxError.hasCode(e, 'AlreadyExists'),
    );
    await queue.close();
  });

  it('one receive hands out at most maxBatchBytes of bodies', async () => {
    const queue = createSqliteQueue({ file: join(dir, 'queue.sqlite') });
    await queue.ensureQueue('large');
    const body = new Uint8Array(queue.limits.maxMessageBytes).fill(7);
    const count = Math.floor(queue.limits.maxBatchBytes / body.byteLength) + 4;
    for (let i = 0; i < count; i++) await queue.send('large', body);
    const first = await queue.receive('large', { maxMessages: count });
    const bytes = first.reduce((sum, m) => sum + m.body.byteLength, 0);
    expect(bytes).toBeLessThanOrEqual(queue.limits.maxBatchBytes);
    expect(first.length).toBe(Math.floor(queue.limits.maxBatchBytes / body.byteLength));
    const rest = await queue.receive('large', { maxMessages: count });
    expect(first.length + rest.length).toBe(count);
    await queue.close();
  });

  it('an empty body is InvalidArgument before the database is touched; in a batch it fails alone', async () => {
    const file = join(dir, 'queue.sqlite');
    const queue = createSqliteQueue({ file });
    // Checked before the queue is looked up (a missing queue would be NotFound) or the file opened.
    expect(await code(queue.send('never-created', ''))).toBe('InvalidArgument');
    expect(existsSync(file)).toBe(false);
    await queue.ensureQueue('blank');
    expect(await code(queue.send('blank', ''))).toBe('InvalidArgument');
    expect(await code(queue.send('blank', new Uint8Array(0)))).toBe('InvalidArgument');
    const results = await queue.sendBatch('blank', [
      { body: '' },
      { body: 'kept' },
      { body: new Uint8Array(0) },
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, true, false]);
    for (const index of [0, 2]) {
      const failed = results[index]!;
      expect(!failed.ok && CloudmuxError.hasCode(failed.error, 'InvalidArgument')).toBe(true);
    }
    const received = await queue.receive('blank', { maxMessages: 10 });
    expect(received.map(messageText)).toEqual(['kept']);
    expect(received[0]!.id).toBe(results[1]!.ok ? results[1]!.id : undefined);
    await queue.close();
  });

  it('FIFO: dedupId suppresses a duplicate send within the window', async () => {
    const queue = createSqliteQueue({ file: join(dir, 'queue.sqlite') });
    await queue.ensureQueue('ordered', { fifo: true });
    const a = await queue.send('ordered', 'x', { groupId: 'g', dedupId: 'd1' });
    const b = await queue.send('ordered', 'x', { groupId: 'g', dedupId: 'd1' });
    expect(b.id).toBe(a.id);
    expect((await queue.depth('ordered')).visible).toBe(1);
    await expect(queue.send('ordered', 'y')).rejects.toSatisfy((e) =>
      CloudmuxError.hasCode(e, 'InvalidArgument'),
    );
    await queue.close();
  });
});
