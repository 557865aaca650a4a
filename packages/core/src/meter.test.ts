import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { CloudmuxError } from './errors.ts';
import { Meter } from './meter.ts';
import { type ObjectStoreDriver, portableObjectStore } from './object-store/index.ts';
import { portableQueue, type QueueDriver } from './queue/index.ts';
import { portableSecretStore, type SecretStoreDriver, SecretValue } from './secret-store/index.ts';
import { reportUsage } from './usage.ts';

const FAST_RETRY = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 };

type ScriptedMethod = 'put' | 'get' | 'listVersions' | 'list' | 'delete';

/**
 * A scripted secret store driver: each method runs the next step of its script, so a test decides
 * which calls fail and how. The meter (inline in the portable SecretStore) is what is under test;
 * steps answer in the public shapes (a SecretValue, `{ version }`, arrays), adapted to the driver's.
 */
function scriptedSecretStore(script: Partial<Record<ScriptedMethod, Array<() => Promise<unknown>>>>) {
  const calls: Record<string, number> = {};
  const step = (method: ScriptedMethod) => () => {
    calls[method] = (calls[method] ?? 0) + 1;
    const steps = script[method] ?? [];
    const next = steps.length > 1 ? steps.shift()! : steps[0];
    if (!next) throw new Error(`no script for ${method}`);
    return next();
  };
  const store: SecretStoreDriver = {
    provider: 'scripted',
    capabilities: {
      versions: true,
      getVersion: true,
      listVersions: true,
      binaryValues: true,
      softDelete: false,
    },
    limits: { maxValueBytes: 1024 },
    secretNameProblem: () => undefined,
    valueSize: (_value, bytes) => bytes.byteLength,
    errorCode: () => 'Internal',
    native: () => undefined,
    put: async () => ((await step('put')()) as { version: string }).version,
    get: async () => {
      const value = (await step('get')()) as SecretValue;
      return { version: value.version, value: value.bytes() };
    },
    listVersions: async () => ({
      items: ((await step('listVersions')()) as Array<{ version: string; enabled: boolean }>).map((v) => ({
        ...v,
        order: [Number(v.version)],
      })),
    }),
    list: async () => ({ items: (await step('list')()) as Array<{ name: string }> }),
    delete: async () => {
      await step('delete')();
    },
    close: async () => {},
  };
  return { store, calls };
}

/** The portable SecretStore over a scripted driver, metered by `meter`. */
const meteredStore = (meter: Meter, store: SecretStoreDriver) => portableSecretStore(store, { meter });

const unavailable = () => Promise.reject(new CloudmuxError({ code: 'Unavailable', message: 'try again' }));
const value = (text: string) => async () => new SecretValue('db', '1', text);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(CloudmuxError.isInstance(error)).toBe(true);
    return (error as CloudmuxError).code;
  }
  throw new Error('expected a rejection');
}

describe('Meter', () => {
  it('records count, latency, bytes and the billable units the adapter reports', async () => {
    const { store } = scriptedSecretStore({
      get: [
        async () => {
          reportUsage({ bytesOut: 100, units: { 'test.requests': 1, 'test.bytes': 100 } });
          await new Promise((r) => setTimeout(r, 5));
          return new SecretValue('db', '1', 'x');
        },
      ],
      put: [
        async () => {
          reportUsage({ bytesIn: 7, units: { 'test.requests': 1 } });
          return { version: '2' };
        },
      ],
    });
    const meter = new Meter({ keepRecords: 10 });
    const metered = meteredStore(meter, store);
    await metered.get('db');
    await metered.get('db');
    await metered.put('db', 'secret7');

    const get = meter.summary().find((s) => s.operation === 'get')!;
    expect(get).toMatchObject({
      provider: 'scripted',
      resource: 'secretStore',
      count: 2,
      errors: 0,
      retries: 0,
    });
    expect(get.bytesOut).toBe(200);
    expect(get.units).toEqual({ 'test.requests': 2, 'test.bytes': 200 });
    expect(get.p50Ms).toBeGreaterThan(0);
    expect(get.maxMs).toBeGreaterThanOrEqual(get.p50Ms);
    expect(get.totalMs).toBeGreaterThan(0);
    expect(meter.totalUnits()).toEqual({ 'test.requests': 3, 'test.bytes': 200 });
    expect(meter.records.map((r) => [r.operation, r.outcome, r.bytesIn, r.bytesOut])).toEqual([
      ['get', 'ok', 0, 100],
      ['get', 'ok', 0, 100],
      ['put', 'ok', 7, 0],
    ]);
    expect(meter.toJSON().operations).toHaveLength(2);
  });

  it('reportUsage outside a metered call changes nothing', async () => {
    const meter = new Meter();
    reportUsage({ bytesIn: 10, units: { 'test.requests': 1 } });
    expect(meter.totalUnits()).toEqual({});
  });

  it('usage of concurrent calls stays with its own call', async () => {
    const { store } = scriptedSecretStore({
      get: [
        async () => {
          await new Promise((r) => setTimeout(r, 2));
          reportUsage({ bytesOut: 1 });
          return new SecretValue('db', '1', 'x');
        },
      ],
    });
    const meter = new Meter({ keepRecords: 20 });
    const metered = meteredStore(meter, store);
    await Promise.all(Array.from({ length: 10 }, () => metered.get('db')));
    expect(meter.records.every((r) => r.bytesOut === 1)).toBe(true);
  });

  it('retries a retryable error of an idempotent operation and records the retries', async () => {
    const { store, calls } = scriptedSecretStore({ get: [unavailable, unavailable, value('ok')] });
    const meter = new Meter({ retry: FAST_RETRY, keepRecords: 5 });
    const got = await meteredStore(meter, store).get('db');
    expect(got.reveal()).toBe('ok');
    expect(calls.get).toBe(3);
    expect(meter.records[0]).toMatchObject({ outcome: 'ok', attempts: 3 });
    expect(meter.summary()[0]).toMatchObject({ count: 1, retries: 2, errors: 0 });
  });

  it('gives up after maxAttempts and reports the last error', async () => {
    const { store, calls } = scriptedSecretStore({ get: [unavailable] });
    const meter = new Meter({ retry: { ...FAST_RETRY, maxAttempts: 3 } });
    expect(await codeOf(meteredStore(meter, store).get('db'))).toBe('Unavailable');
    expect(calls.get).toBe(3);
    expect(meter.summary()[0]).toMatchObject({ count: 1, errors: 1, retries: 2 });
  });

  it('does not retry errors that are not retryable', async () => {
    const notFound = () => Promise.reject(new CloudmuxError({ code: 'NotFound', message: 'no' }));
    const { store, calls } = scriptedSecretStore({ get: [notFound] });
    const meter = new Meter({ retry: FAST_RETRY });
    expect(await codeOf(meteredStore(meter, store).get('db'))).toBe('NotFound');
    expect(calls.get).toBe(1);
  });

  it('does not retry a secret put (it would add a version)', async () => {
    const { store, calls } = scriptedSecretStore({ put: [unavailable] });
    const meter = new Meter({ retry: FAST_RETRY });
    expect(await codeOf(meteredStore(meter, store).put('db', 'x'))).toBe('Unavailable');
    expect(calls.put).toBe(1);
  });

  it('does not retry a secret delete (a repeat after a lost reply would report NotFound)', async () => {
    const { store, calls } = scriptedSecretStore({ delete: [unavailable] });
    const meter = new Meter({ retry: FAST_RETRY });
    expect(await codeOf(meteredStore(meter, store).delete('db'))).toBe('Unavailable');
    expect(calls.delete).toBe(1);
  });

  it('does not retry queue send or sendBatch, but retries ack (the portable Queue marks each call)', async () => {
    let sends = 0;
    let acks = 0;
    const driver = {
      provider: 'scripted',
      capabilities: { fifo: false },
      limits: { maxBatchEntries: 10, maxBatchBytes: 1000, maxMessageBytes: 100, maxDelaySeconds: 0 },
      queueNameProblem: () => undefined,
      messageSize: (m: { bytes: Uint8Array }) => m.bytes.byteLength,
      errorCode: () => 'Internal',
      send: async () => {
        sends++;
        return unavailable();
      },
      sendBatch: async () => {
        sends++;
        return unavailable();
      },
      ack: async () => {
        acks++;
        if (acks < 2) return unavailable();
      },
    } as unknown as QueueDriver;
    const metered = portableQueue(driver, { meter: new Meter({ retry: FAST_RETRY }) });
    expect(await codeOf(metered.send('q', 'body'))).toBe('Unavailable');
    expect(await codeOf(metered.sendBatch('q', [{ body: 'b' }]))).toBe('Unavailable');
    expect(sends).toBe(2);
    await metered.ack('q', { id: '1', receipt: 'r', body: new Uint8Array(), deliveryCount: 1 });
    expect(acks).toBe(2);
  });

  it('runs the positional form of run() and meters usage reported through reportUsage by default', async () => {
    const spec = {
      provider: 'scripted',
      resource: 'objectStore' as const,
      operation: 'get',
      errorCode: () => 'Unavailable' as const,
    };
    const meter = new Meter({ retry: FAST_RETRY });
    const runner = meter.operation(spec);
    let attempts = 0;
    const result = await runner.run(
      async () => {
        reportUsage({ bytesOut: 7, units: { 'scripted.requests': 1 } });
        if (++attempts < 2) throw new Error('flaky');
        return 'body';
      },
      true,
      'key',
      undefined,
    );
    expect(result).toBe('body');
    expect(meter.summary()).toMatchObject([{ operation: 'get', count: 1, retries: 1, bytesOut: 14 }]);
    // Declared explicit, the same driver code reports nothing: it must use ReportingCall.report.
    const explicitMeter = new Meter();
    await explicitMeter.operation({ ...spec, explicitUsage: true }).run(
      async (call) => {
        reportUsage({ bytesOut: 7 });
        call.report({ bytesIn: 3 });
        return undefined;
      },
      { idempotent: true },
    );
    expect(explicitMeter.summary()).toMatchObject([{ operation: 'get', bytesIn: 3, bytesOut: 0 }]);
  });

  it('retries a plain object put but not a conditional or streamed one', async () => {
    let puts = 0;
    const driver = {
      provider: 'scripted',
      capabilities: { createOnly: true, compareAndSwap: true },
      limits: { maxKeyBytes: 1024, maxListPageSize: 1000, maxDeleteBatch: 1000, maxPresignSeconds: 1 },
      location: 'mem://',
      keyProblem: () => undefined,
      errorCode: () => 'Internal',
      put: async () => {
        puts++;
        return unavailable();
      },
    } as unknown as ObjectStoreDriver;
    const metered = portableObjectStore(driver, { meter: new Meter({ retry: FAST_RETRY }) });
    await codeOf(metered.put('k', 'body'));
    expect(puts).toBe(4);
    puts = 0;
    await codeOf(metered.put('k', 'body', { ifNoneMatch: '*' }));
    expect(puts).toBe(1);
    puts = 0;
    await codeOf(metered.put('k', 'body', { ifMatch: '"etag"' }));
    expect(puts).toBe(1);
    puts = 0;
    await codeOf(metered.put('k', new ReadableStream<Uint8Array>()));
    expect(puts).toBe(1);
  });

  it('a call slower than the timeout fails with Timeout', async () => {
    const { store } = scriptedSecretStore({
      get: [
        () => new Promise((resolve) => setTimeout(() => resolve(new SecretValue('db', '1', 'late')), 500)),
      ],
    });
    const meter = new Meter({ timeoutMs: 20, retry: false, keepRecords: 1 });
    const error = await meteredStore(meter, store)
      .get('db')
      .catch((e: unknown) => e as CloudmuxError);
    expect(CloudmuxError.hasCode(error, 'Timeout')).toBe(true);
    expect((error as CloudmuxError).operation).toBe('get');
    expect(meter.records[0]?.outcome).toBe('Timeout');
  });

  it('a timeout per operation applies only to that operation', async () => {
    const slow = () =>
      new Promise((resolve) => setTimeout(() => resolve([{ version: '1', enabled: true }]), 50));
    const { store } = scriptedSecretStore({ list: [slow], listVersions: [slow] });
    const metered = meteredStore(new Meter({ timeoutMs: { list: 10 }, retry: false }), store);
    expect(await codeOf(metered.list())).toBe('Timeout');
    await expect(metered.listVersions('db')).resolves.toHaveLength(1);
  });

  it('turns raw errors into Internal CloudmuxErrors that keep the cause', async () => {
    const raw = new TypeError('SDK exploded');
    const { store } = scriptedSecretStore({ get: [() => Promise.reject(raw)] });
    const error = await meteredStore(new Meter({ retry: FAST_RETRY }), store)
      .get('db')
      .catch((e: unknown) => e as CloudmuxError);
    expect(CloudmuxError.hasCode(error, 'Internal')).toBe(true);
    expect((error as CloudmuxError).cause).toBe(raw);
    expect((error as CloudmuxError).provider).toBe('scripted');
    expect((error as CloudmuxError).resource).toBe('secretStore');
  });

  it('reads data properties through to the driver', () => {
    const { store } = scriptedSecretStore({});
    const metered = meteredStore(new Meter(), store);
    expect(metered.provider).toBe('scripted');
    expect(metered.capabilities).toBe(store.capabilities);
  });

  it('exports Prometheus text with counts, errors, quantiles and units', async () => {
    const { store } = scriptedSecretStore({
      get: [
        async () => {
          reportUsage({ units: { 'test.requests': 1 } });
          return new SecretValue('db', '1', 'x');
        },
        () => Promise.reject(new CloudmuxError({ code: 'NotFound', message: 'no' })),
      ],
    });
    const meter = new Meter();
    const metered = meteredStore(meter, store);
    await metered.get('db');
    await codeOf(metered.get('db'));
    const text = meter.toPrometheus();
    const labels = 'provider="scripted",resource="secretStore",operation="get"';
    expect(text).toContain('# TYPE cloudmux_calls_total counter');
    expect(text).toContain(`cloudmux_calls_total{${labels}} 2\n`);
    expect(text).toContain(`cloudmux_errors_total{${labels}} 1\n`);
    expect(text).toContain(`cloudmux_call_duration_ms_count{${labels}} 2\n`);
    expect(text).toMatch(new RegExp(`cloudmux_call_duration_ms\\{${labels},quantile="0.99"\\} [0-9.e-]+\\n`));
    expect(text).toContain(`cloudmux_billable_units_total{${labels},unit="test.requests"} 1\n`);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('reset clears summaries and records', async () => {
    const { store } = scriptedSecretStore({ list: [async () => []] });
    const meter = new Meter({ keepRecords: 3 });
    await meteredStore(meter, store).list();
    meter.reset();
    expect(meter.summary()).toEqual([]);
    expect(meter.records).toEqual([]);
  });

  it('an adapter wrapped before reset is still metered after it', async () => {
    const { store } = scriptedSecretStore({
      list: [
        async () => {
          reportUsage({ units: { 'test.requests': 1 } });
          return [];
        },
      ],
    });
    const meter = new Meter();
    const metered = meteredStore(meter, store);
    await metered.list();
    await metered.list();
    meter.reset();
    await metered.list();
    expect(meter.summary()).toMatchObject([{ operation: 'list', count: 1, units: { 'test.requests': 1 } }]);
    expect(meter.totalUnits()).toEqual({ 'test.requests': 1 });
  });

  it('keeps only the last keepRecords records', async () => {
    const { store } = scriptedSecretStore({ list: [async () => []] });
    const meter = new Meter({ keepRecords: 2 });
    const metered = meteredStore(meter, store);
    for (let i = 0; i < 5; i++) await metered.list();
    expect(meter.records).toHaveLength(2);
    expect(meter.summary()[0]?.count).toBe(5);
  });

  it('counts the messages and objects a batch call handled, not only the calls', async () => {
    const message = (id: string) => ({ id, receipt: id, body: new Uint8Array(), deliveryCount: 1 });
    // The portable Queue says per call how many messages it handled; the driver is scripted.
    const driver = {
      provider: 'scripted',
      capabilities: { fifo: false },
      limits: { maxBatchEntries: 10, maxBatchBytes: 1000, maxMessageBytes: 100, maxDelaySeconds: 0 },
      queueNameProblem: () => undefined,
      messageSize: (m: { bytes: Uint8Array }) => m.bytes.byteLength,
      errorCode: () => 'Throttled',
      sendBatch: async () => [{ id: '1' }, { error: new Error('throttled') }, { id: '3' }],
      receive: async () => [message('1'), message('3')],
      ack: async () => {},
    } as unknown as QueueDriver;
    const store = {
      provider: 'scripted',
      capabilities: {},
      limits: { maxKeyBytes: 1024, maxListPageSize: 1000, maxDeleteBatch: 1000, maxPresignSeconds: 1 },
      location: 'mem://',
      keyProblem: () => undefined,
      errorCode: () => 'Internal',
      // The first key fails, the other three are deleted.
      deleteMany: async (keys: readonly string[]) =>
        keys.map((_, i) => (i === 0 ? new Error('refused') : undefined)),
      put: async () => ({ key: 'k', etag: '"e"', size: 1 }),
    } as unknown as ObjectStoreDriver;
    const meter = new Meter();
    const q = portableQueue(driver, { meter });
    const o = portableObjectStore(store, { meter });
    await q.sendBatch('q', [{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
    const received = await q.receive('q', { maxMessages: 10 });
    await q.ackMany('q', received);
    await o.deleteMany(['a', 'b', 'c', 'd']);
    await o.put('k', 'v');
    const items = Object.fromEntries(meter.summary().map((s) => [s.operation, [s.count, s.items]]));
    expect(items).toEqual({
      sendBatch: [1, 2],
      receive: [1, 2],
      ackMany: [1, 2],
      deleteMany: [1, 3],
      put: [1, 1],
    });
  });

  it('merges a snapshot from another meter: counts, units, items and latency percentiles of all samples', async () => {
    const slow = () =>
      new Promise<SecretValue>((r) => setTimeout(() => r(new SecretValue('db', '1', 'x')), 25));
    const fast = async () => {
      reportUsage({ bytesOut: 3, units: { 'test.requests': 1 } });
      return new SecretValue('db', '1', 'x');
    };
    const worker = new Meter({ keepRecords: 100 });
    const workerStore = portableSecretStore(scriptedSecretStore({ get: [slow] }).store, { meter: worker });
    for (let i = 0; i < 12; i++) await workerStore.get('db');
    const parent = new Meter({ keepRecords: 100 });
    const parentStore = portableSecretStore(scriptedSecretStore({ get: [fast] }).store, { meter: parent });
    for (let i = 0; i < 8; i++) await parentStore.get('db');
    const durations = [...worker.records, ...parent.records].map((r) => r.durationMs).sort((a, b) => a - b);

    // Through JSON, as it crosses a process boundary.
    parent.merge(JSON.parse(JSON.stringify(worker.snapshot())));
    const [merged] = parent.summary();
    expect(merged).toMatchObject({ operation: 'get', count: 20, bytesOut: 24, items: 20 });
    expect(merged?.units).toEqual({ 'test.requests': 8 });
    expect(merged?.maxMs).toBe(durations.at(-1));
    // 12 of 20 samples are slow: the median is one of them (HDR keeps 3 significant digits).
    const exactMedian = durations[9]!;
    expect(merged!.p50Ms).toBeGreaterThanOrEqual(exactMedian * 0.99);
    expect(merged!.p50Ms).toBeLessThanOrEqual(exactMedian * 1.01);
    expect(merged!.totalMs).toBeCloseTo(
      durations.reduce((sum, d) => sum + d, 0),
      6,
    );
  });

  it('percentiles and snapshots hold every sample, however many calls came before the read', async () => {
    // Samples are folded into the histogram in blocks; reads between, at and across block edges must
    // all see every sample. 1,300 calls: two full blocks and a partial one.
    const meter = new Meter({ keepRecords: 2_000 });
    const store = portableSecretStore(
      scriptedSecretStore({ get: [async () => new SecretValue('db', '1', 'x')] }).store,
      { meter },
    );
    for (const upTo of [1, 511, 512, 513, 1_300]) {
      while (meter.records.length < upTo) await store.get('db');
      const [summary] = meter.summary();
      expect(summary?.count).toBe(upTo);
      const durations = meter.records.map((r) => r.durationMs).sort((a, b) => a - b);
      // HDR keeps 3 significant digits of µs (at least 1 µs): the p99 is the sample at that rank.
      const exact = Math.max(durations[Math.ceil(0.99 * upTo) - 1]!, 0.001);
      expect(summary!.p99Ms).toBeGreaterThanOrEqual(exact * 0.99 - 0.001);
      expect(summary!.p99Ms).toBeLessThanOrEqual(exact * 1.01 + 0.001);
      const copy = new Meter();
      copy.merge(meter.snapshot());
      expect(copy.summary()[0]).toEqual(summary);
    }
    meter.reset();
    await store.get('db');
    expect(meter.summary()[0]?.count).toBe(1);
    const histogramCount = hdr.decodeFromCompressedBase64(
      meter.snapshot().operations[0]!.histogram,
    ).totalCount;
    expect(histogramCount).toBe(1);
  });

  it('a snapshot holds only operations called since the last reset', async () => {
    const meter = new Meter();
    const store = portableSecretStore(scriptedSecretStore({ list: [async () => []] }).store, { meter });
    await store.list();
    expect(meter.snapshot().operations).toHaveLength(1);
    meter.reset();
    expect(meter.snapshot()).toEqual({ operations: [] });
  });
});
