import { describe, expect, it } from 'vitest';
import { CloudmuxError } from '../errors.ts';
import { Meter } from '../meter.ts';
import type { DriverBodySource, ObjectStoreDriver } from './driver.ts';
import { portableObjectStore } from './portable-object-store.ts';

const BODY_MS = 200;
let closed = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A driver whose body arrives in two chunks `BODY_MS` apart: the portable type's timing and error
 * handling are under test; this is the service it calls.
 */
function slowBodyDriver(fault?: Error, client: unknown = undefined): ObjectStoreDriver {
  const chunks = [new Uint8Array([1, 2]), new Uint8Array([3])];
  const body: DriverBodySource = {
    async bytes() {
      await sleep(BODY_MS);
      if (fault) throw fault;
      return new Uint8Array([1, 2, 3]);
    },
    stream() {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent > 0) await sleep(BODY_MS);
          if (fault && sent > 0) throw fault;
          const chunk = chunks[sent++];
          if (chunk) controller.enqueue(chunk);
          else controller.close();
        },
      });
    },
  };
  return {
    provider: 'scripted',
    capabilities: {} as ObjectStoreDriver['capabilities'],
    limits: { maxKeyBytes: 1024, maxListPageSize: 1000, maxDeleteBatch: 1000, maxPresignSeconds: 1 },
    location: 'mem://',
    keyProblem: () => undefined,
    errorCode: (error: unknown) =>
      (error as { code?: string }).code === 'ECONNRESET' ? 'Unavailable' : 'Internal',
    native: () => client,
    close: async () => {
      closed++;
    },
    get: async (key: string) => ({
      key,
      size: 3,
      etag: '"1"',
      lastModified: new Date(0),
      contentLength: 3,
      body,
    }),
  } as unknown as ObjectStoreDriver;
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.byteLength;
  return bytes;
}

describe('portable ObjectStore: get timing', () => {
  it('meters get to the first byte and getBody from the first read to the last byte (bytes and stream)', async () => {
    const meter = new Meter({ keepRecords: 10 });
    const store = portableObjectStore(slowBodyDriver(), { meter });
    const data = await store.get('k');
    expect(meter.records.map((r) => r.operation)).toEqual(['get']);
    expect(await data.bytes()).toEqual(new Uint8Array([1, 2, 3]));
    const streamed = await store.get('k');
    expect(await drain(streamed.stream())).toBe(3);
    const records = meter.records.map((r) => [r.operation, r.outcome]);
    expect(records).toEqual([
      ['get', 'ok'],
      ['getBody', 'ok'],
      ['get', 'ok'],
      ['getBody', 'ok'],
    ]);
    // Each body took BODY_MS to arrive (timers fire at most ~1 ms early): the record covers it.
    for (const record of meter.records.filter((r) => r.operation === 'getBody')) {
      expect(record.durationMs).toBeGreaterThanOrEqual(BODY_MS - 5);
    }
  });

  it('a body failing mid-stream reaches the reader as the driver-coded CloudmuxError, recorded as getBody', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const meter = new Meter({ keepRecords: 10, retry: false });
    const store = portableObjectStore(slowBodyDriver(reset), { meter });
    const error = await drain((await store.get('k')).stream()).catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(error, 'Unavailable')).toBe(true);
    expect((error as CloudmuxError).cause).toBe(reset);
    const bytesError = await (await store.get('k')).bytes().catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(bytesError, 'Unavailable')).toBe(true);
    expect(meter.records.filter((r) => r.operation === 'getBody').map((r) => r.outcome)).toEqual([
      'Unavailable',
      'Unavailable',
    ]);
  });

  it("aborting the get's signal while the body arrives ends the read with Cancelled", async () => {
    const store = portableObjectStore(slowBodyDriver());
    const controller = new AbortController();
    const data = await store.get('k', { signal: controller.signal });
    setTimeout(() => controller.abort(), BODY_MS / 4);
    const error = await drain(data.stream()).catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(error, 'Cancelled')).toBe(true);
  });

  it('a body can be consumed once', async () => {
    const data = await portableObjectStore(slowBodyDriver()).get('k');
    await data.bytes();
    expect(() => data.stream()).toThrow(CloudmuxError);
    const again = await data.bytes().catch((e: unknown) => e);
    expect(CloudmuxError.hasCode(again, 'InvalidArgument')).toBe(true);
  });
});

describe('portable ObjectStore: escape hatch and disposal', () => {
  it('as() hands out the native client only as the class asked for; native() always', () => {
    const client = new Map<string, string>();
    const store = portableObjectStore(slowBodyDriver(undefined, client));
    expect(store.as(Map)).toBe(client);
    expect(store.as(Set)).toBeUndefined();
    expect(store.native()).toBe(client);
  });

  it('await using closes the driver once the scope ends', async () => {
    const before = closed;
    {
      await using store = portableObjectStore(slowBodyDriver());
      expect(store.provider).toBe('scripted');
    }
    expect(closed).toBe(before + 1);
  });
});
