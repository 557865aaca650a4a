import { CloudmuxError, type ObjectStore } from '@cloudmux/core';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { runDag, type Step, topologicalOrder } from '../src/batch/orchestrator.ts';
import { loadChunks } from '../src/batch/steps.ts';
import { eventTimeBounds } from '../src/event-time.ts';
import {
  batchKey,
  dayOf,
  dedupeBatch,
  emptyBatch,
  pushEvent,
  splitByDay,
  strictlyAscending,
} from '../src/events.ts';
import { parseEventsBody } from '../src/ingest/http.ts';
import { messagesOf } from '../src/ingest/ingestor.ts';
import { invalidSamples } from '../src/ingest/invalid-samples.ts';
import { encodeParquet, LAKE_CODEC, LAKE_DECOMPRESSORS, utf8Values } from '../src/lake/writer.ts';
import { parseSpeedKey, speedKey } from '../src/layout.ts';
import { flightEventSchemaWith, validateEvents } from '../src/schema.ts';
import {
  emptyBucket,
  type GroupHours,
  mergeBucket,
  mergePartial,
  partialOf,
  percentileOf,
  type SpeedPartial,
  speedPartialJson,
  statsOf,
} from '../src/speed/aggregates.ts';
import { consumerConcurrencySetting, maxDeliveriesSetting } from '../src/speed/consumer.ts';
import { separatePoison } from '../src/speed/poison.ts';
import { hourlyReference, quantileCont } from './helpers.ts';

/** A plain in-memory store for the orchestrator's run records (the orchestrator only puts). */
function recordingStore(): ObjectStore & { saved: Map<string, string> } {
  const saved = new Map<string, string>();
  return {
    saved,
    async put(key: string, body: unknown) {
      saved.set(key, String(body));
      return { key, etag: String(saved.size), size: 0 };
    },
  } as unknown as ObjectStore & { saved: Map<string, string> };
}

const event = (id: string, ts: number, delay = 0) => ({
  id,
  ts,
  delay,
  distance: 100,
  origin: 'AAA',
  destination: 'BBB',
});

describe('schema', () => {
  it('accepts well-formed events and normalises ISO times', () => {
    const { valid, rejected } = validateEvents([
      event('a', 1000),
      { ...event('b', 0), ts: '2001-01-01T00:01:00Z' },
    ]);
    expect(rejected).toEqual([]);
    expect(valid.map((e) => e.ts)).toEqual([1000, Date.parse('2001-01-01T00:01:00Z')]);
  });

  it('rejects each kind of malformed event with a reason naming the field', () => {
    const samples = invalidSamples(6);
    const { valid, rejected } = validateEvents(samples);
    expect(valid).toEqual([]);
    expect(rejected.map((r) => r.reasons[0]!.split(':')[0])).toEqual([
      'delay',
      'distance',
      'origin',
      'ts',
      'ts',
      'id',
    ]);
  });

  it('quarantines event times outside the bounds with a reason: 2^53 - 1 and year 10000 by default', () => {
    const { valid, rejected } = validateEvents([
      event('max-safe', 9007199254740991),
      event('year-10000', 253402300800000),
      event('before-1970', -1),
      { ...event('iso-far', 0), ts: '9999-12-31T00:00:00Z' },
      event('flight-2001', Date.parse('2001-01-01T08:00:00Z')),
      event('now', Date.now()),
    ]);
    expect(valid.map((e) => e.id)).toEqual(['flight-2001', 'now']);
    expect(rejected.map((r) => (r.event as { id: string }).id)).toEqual([
      'max-safe',
      'year-10000',
      'before-1970',
      'iso-far',
    ]);
    for (const r of rejected) expect(r.reasons[0]!.split(':')[0]).toBe('ts');
  });

  it('takes configured bounds from options or PIPELINE_EVENT_TIME_MIN/MAX and names a bad setting', () => {
    const bounds = eventTimeBounds(
      {},
      { PIPELINE_EVENT_TIME_MIN: '2001-01-01', PIPELINE_EVENT_TIME_MAX: '2001-06-30' },
    );
    const { valid, rejected } = validateEvents(
      [event('in', Date.parse('2001-03-01T00:00:00Z')), event('after', Date.parse('2001-07-01T00:00:00Z'))],
      flightEventSchemaWith(bounds),
    );
    expect(valid.map((e) => e.id)).toEqual(['in']);
    expect(rejected).toHaveLength(1);
    expect(eventTimeBounds({ max: '978307200000' }).max()).toBe(978307200000);
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return CloudmuxError.isInstance(error) ? error.code : 'not a CloudmuxError';
      }
      return 'no error';
    };
    expect(codeOf(() => eventTimeBounds({}, { PIPELINE_EVENT_TIME_MAX: 'soon' }))).toBe('InvalidArgument');
    expect(codeOf(() => eventTimeBounds({ min: '2001-01-02', max: '2001-01-01' }))).toBe('InvalidArgument');
  });

  it('lets the speed layer set aside events it cannot process, keeping the rest in order', () => {
    const batch = emptyBatch();
    for (const [id, ts] of [
      ['a', 1000],
      ['poison', 9007199254740991],
      ['b', 2000],
    ] as const)
      pushEvent(batch, { ...event(id, ts) });
    const { good, poison } = separatePoison(batch);
    expect(good.id).toEqual(['a', 'b']);
    expect(good.ts).toEqual([1000, 2000]);
    expect(poison).toHaveLength(1);
    expect(poison[0]!.reasons[0]!.split(':')[0]).toBe('ts');
    const clean = emptyBatch();
    pushEvent(clean, event('c', 3000));
    expect(separatePoison(clean).good).toBe(clean);
  });

  it('reads JSON arrays and NDJSON, keeping unparseable lines for quarantine', () => {
    expect(parseEventsBody('[{"a":1},{"a":2}]', 'application/json')).toHaveLength(2);
    const lines = parseEventsBody('{"a":1}\nnot json\n{"a":3}\n', 'application/x-ndjson');
    expect(lines).toEqual([{ a: 1 }, { unparseable: 'not json' }, { a: 3 }]);
  });
});

describe('event batches', () => {
  it('names a batch by its id range and content, and drops duplicate ids', () => {
    const batch = emptyBatch();
    for (const e of [event('fl-2', 1), event('fl-1', 2), event('fl-2', 1)]) pushEvent(batch, e);
    const deduped = dedupeBatch(batch);
    expect(deduped.id).toEqual(['fl-2', 'fl-1']);
    expect(batchKey(deduped)).toMatch(/^fl-1_fl-2_[0-9a-f]{8}$/);
    const other = emptyBatch();
    for (const e of [event('fl-1', 2), event('fl-15', 3), event('fl-2', 1)]) pushEvent(other, e);
    expect(batchKey(other)).not.toBe(batchKey(deduped));
  });

  it('knows ids in strictly ascending order are distinct without a set, and dedupes the rest', () => {
    expect(strictlyAscending([])).toBe(true);
    expect(strictlyAscending(['fl-0000001', 'fl-0000002', 'fl-0000010'])).toBe(true);
    for (const ids of [['a', 'a'], ['b', 'a'], ['a', 'c', 'b'], [1, 2], ['a', null], [null], ['a', 2]])
      expect(strictlyAscending(ids)).toBe(false);
    const ascending = emptyBatch();
    for (const e of [event('fl-1', 1), event('fl-2', 2)]) pushEvent(ascending, e);
    expect(dedupeBatch(ascending)).toBe(ascending);
    const repeated = emptyBatch();
    for (const e of [event('fl-1', 1), event('fl-2', 2), event('fl-1', 3), event('fl-3', 4)])
      pushEvent(repeated, e);
    expect(dedupeBatch(repeated).id).toEqual(['fl-1', 'fl-2', 'fl-3']);
    expect(dedupeBatch(repeated).ts).toEqual([1, 2, 4]);
  });

  it('splits by UTC day', () => {
    const batch = emptyBatch();
    const day1 = Date.parse('2001-01-01T23:59:00Z');
    const day2 = Date.parse('2001-01-02T00:00:00Z');
    for (const e of [event('a', day1), event('b', day2), event('c', day1)]) pushEvent(batch, e);
    const parts = splitByDay(batch);
    expect([...parts.keys()]).toEqual(['2001-01-01', '2001-01-02']);
    expect(parts.get('2001-01-01')!.id).toEqual(['a', 'c']);
    expect(dayOf(day2)).toBe('2001-01-02');
  });

  it('round-trips speed partial keys', () => {
    expect(parseSpeedKey(speedKey('2001-03-04', 'fl-1_fl-9_abcdef01', 2))).toEqual({
      day: '2001-03-04',
      messageKey: 'fl-1_fl-9_abcdef01',
      files: 2,
    });
  });
});

describe('lake encoding', () => {
  it('gives each string its own UTF-8 bytes, from one buffer for ASCII and one at a time otherwise', () => {
    const encoder = new TextEncoder();
    for (const values of [['fl-0000001', 'a', '', 'x.y:z_-'], ['fl-1', 'fé', '東京', ''], []]) {
      const bytes = utf8Values(values);
      expect(bytes.map((b) => [...b])).toEqual(values.map((v) => [...encoder.encode(v)]));
    }
  });

  it('writes GZIP-compressed Parquet that reads back to the same rows', async () => {
    const batch = emptyBatch();
    for (let i = 0; i < 2_000; i++) {
      pushEvent(batch, {
        id: `fl-${String(i).padStart(7, '0')}`,
        ts: Date.UTC(2001, 0, 1) + i * 60_000,
        delay: (i % 200) - 30,
        distance: 100 + i,
        origin: i % 3 ? 'ORD' : 'SFO',
        destination: i % 5 ? 'JFK' : 'LAX',
      });
    }
    const bytes = encodeParquet(batch);
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const metadata = parquetMetadata(file);
    const codecs = new Set(metadata.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
    expect([...codecs]).toEqual([LAKE_CODEC]);
    // Without a GZIP decompressor the pages cannot be read: they really are compressed so.
    await expect(parquetReadObjects({ file })).rejects.toThrow(/GZIP/);
    const rows = await parquetReadObjects({ file, compressors: LAKE_DECOMPRESSORS });
    expect(rows).toHaveLength(2_000);
    expect(rows.map((r) => r.id)).toEqual(batch.id);
    expect(rows.map((r) => (r.ts as Date).getTime())).toEqual(batch.ts);
    expect(rows.map((r) => Number(r.delay))).toEqual(batch.delay);
    expect(rows.map((r) => Number(r.distance))).toEqual(batch.distance);
    expect(rows.map((r) => r.origin)).toEqual(batch.origin);
    expect(rows.map((r) => r.destination)).toEqual(batch.destination);
  });
});

describe('load chunks', () => {
  const files = (sizes: number[]) => sizes.map((size, i) => ({ key: `k${i}`, size }));
  const keysOf = (chunks: Array<Array<{ key: string }>>) => chunks.map((chunk) => chunk.map((f) => f.key));

  it('cuts at the key limit and at the byte limit, whichever comes first, keeping order', () => {
    expect(keysOf(loadChunks(files([1, 1, 1, 1, 1]), { keys: 2, bytes: 100 }))).toEqual([
      ['k0', 'k1'],
      ['k2', 'k3'],
      ['k4'],
    ]);
    expect(keysOf(loadChunks(files([40, 40, 40, 10, 90]), { keys: 10, bytes: 100 }))).toEqual([
      ['k0', 'k1'],
      ['k2', 'k3'],
      ['k4'],
    ]);
  });

  it('gives a file larger than the byte limit a chunk of its own, and nothing for no files', () => {
    expect(keysOf(loadChunks(files([10, 500, 10]), { keys: 10, bytes: 100 }))).toEqual([
      ['k0'],
      ['k1'],
      ['k2'],
    ]);
    expect(loadChunks([], { keys: 10, bytes: 100 })).toEqual([]);
  });
});

describe('messages of events', () => {
  const batchOf = (count: number, idLength: number) => {
    const batch = emptyBatch();
    for (let i = 0; i < count; i++)
      pushEvent(batch, {
        id: String(i).padStart(idLength, '0'),
        ts: 1_700_000_000_000 + i,
        delay: i % 7,
        distance: 100 + i,
        origin: 'SEA',
        destination: 'LAX',
      });
    return batch;
  };

  it('keeps perMessage events a message when they fit, with the body the queue is sent', () => {
    const messages = messagesOf(batchOf(25, 4), 10, 1 << 20);
    expect(messages.map((m) => m.batch.id.length)).toEqual([10, 10, 5]);
    for (const m of messages) expect(m.body).toBe(JSON.stringify(m.batch));
  });

  it('cuts a message over the byte limit into parts that fit, every event once and in order', () => {
    const events = batchOf(1_000, 64);
    const limit = 10_000;
    const messages = messagesOf(events, 1_000, limit);
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(Buffer.byteLength(m.body)).toBeLessThanOrEqual(limit);
    expect(messages.flatMap((m) => m.batch.id)).toEqual(events.id);
    expect(messages.flatMap((m) => m.batch.distance)).toEqual(events.distance);
  });

  it('refuses an event that alone is over the limit, naming it', () => {
    expect(() => messagesOf(batchOf(2, 64), 2, 50)).toThrow(
      /event "0+" is \d+ bytes as a message, over the queue's limit of 50/,
    );
  });
});

describe('speed aggregates', () => {
  it('computes PERCENTILE_CONT exactly, also after merging buckets', () => {
    const delays = [5, -3, 40, 12, 12, 7, 300, -20, 0, 15, 16];
    const a = emptyBucket();
    const b = emptyBucket();
    delays.forEach((delay, index) => {
      const target = index % 2 ? a : b;
      target.n++;
      target.sum += delay;
      target.delayed += delay > 15 ? 1 : 0;
      target.delays.push(delay);
    });
    mergeBucket(a, b);
    for (const p of [0, 0.5, 0.95, 1]) expect(percentileOf(a, p)).toBeCloseTo(quantileCont(delays, p), 12);
    expect(statsOf(a)).toMatchObject({
      flights: 11,
      delayedShare: 3 / 11,
      meanDelay: delays.reduce((x, y) => x + y, 0) / 11,
    });
    expect(percentileOf(emptyBucket(), 0.95)).toBeNull();
  });

  it('buckets a message per airport and route per hour', () => {
    const batch = emptyBatch();
    const t = Date.parse('2001-01-01T10:05:00Z');
    for (const e of [event('a', t, 20), event('b', t + 60_000, -5), event('c', t + 3_600_000, 1)])
      pushEvent(batch, e);
    const partial = partialOf(batch, 'k', ['f']);
    const hour = String(Date.parse('2001-01-01T10:00:00Z'));
    const view: GroupHours = { airports: {}, routes: {} };
    mergePartial(view, partial);
    expect(view.airports).toEqual({
      AAA: {
        [hour]: { n: 2, sum: 15, delayed: 1, delays: [20, -5] },
        [String(Date.parse('2001-01-01T11:00:00Z'))]: { n: 1, sum: 1, delayed: 0, delays: [1] },
      },
    });
    expect(Object.keys(view.routes['AAA>BBB']!)).toHaveLength(2);
    expect(partial).toMatchObject({ v: 2, count: 3, minTs: t, maxTs: t + 3_600_000, files: ['f'] });
  });

  it('stores a partial that reads back to the buckets a plain recomputation gives, hour filter included', () => {
    const delaysSorted = (view: GroupHours) =>
      JSON.parse(JSON.stringify(view), (key, value) =>
        key === 'delays' ? [...(value as number[])].sort((a, b) => a - b) : value,
      ) as GroupHours;
    const batch = emptyBatch();
    const t = Date.parse('2001-03-01T23:59:00Z');
    const codes = ['ORD', 'A"B', 'ÅÄÖ', 'SF\\O', 'JFK', 'LAX', 'SEA'];
    let seed = 7;
    const random = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed / 2_147_483_647;
    };
    for (let i = 0; i < 5_000; i++)
      pushEvent(batch, {
        ...event(`e${i}`, t + Math.floor(random() * 3 * 86_400_000), Math.floor(random() * 300) - 60),
        origin: codes[Math.floor(random() * codes.length)]!,
        destination: codes[Math.floor(random() * codes.length)]!,
      });
    const { json, maxTs } = speedPartialJson(batch, 'key "with" quotes', ['lake/a.parquet']);
    const stored = JSON.parse(json) as SpeedPartial;
    expect(maxTs).toBe(Math.max(...batch.ts));
    expect(stored).toMatchObject({ v: 2, key: 'key "with" quotes', count: 5_000, files: ['lake/a.parquet'] });
    for (const fromHour of [Number.NEGATIVE_INFINITY, Date.parse('2001-03-03T05:00:00Z')]) {
      const view: GroupHours = { airports: {}, routes: {} };
      mergePartial(view, stored, fromHour);
      // An airport's delays come route by route, not in event order: the same values.
      expect(delaysSorted(view)).toEqual(delaysSorted(hourlyReference(batch, fromHour)));
      expect(view.routes).toEqual(hourlyReference(batch, fromHour).routes);
    }
    // Merged twice, every bucket doubles: partials of two messages add up.
    const twice: GroupHours = { airports: {}, routes: {} };
    mergePartial(twice, stored);
    mergePartial(twice, stored);
    expect(twice.routes['ORD>JFK']![Object.keys(twice.routes['ORD>JFK']!)[0]!]!.n).toBe(
      2 * Object.values(hourlyReference(batch).routes['ORD>JFK']!)[0]!.n,
    );
  });

  it('refuses a stored partial whose buckets and delays disagree, naming it', () => {
    const batch = emptyBatch();
    pushEvent(batch, event('a', Date.parse('2001-01-01T10:05:00Z'), 20));
    const partial = { ...partialOf(batch, 'broken', []), delays: [] };
    expect(() => mergePartial({ airports: {}, routes: {} }, partial)).toThrow(
      'speed partial broken: its buckets count 1 flights but it holds 0 delays',
    );
  });
});

describe('orchestrator', () => {
  it('orders steps by dependency and rejects cycles', () => {
    const step = (name: string, dependsOn: string[] = []): Step<unknown> => ({
      name,
      dependsOn,
      run: async () => undefined,
    });
    expect(topologicalOrder([step('c', ['b']), step('a'), step('b', ['a'])]).map((s) => s.name)).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(() => topologicalOrder([step('a', ['b']), step('b', ['a'])])).toThrow(/cycle/);
    expect(() => topologicalOrder([step('a', ['missing'])])).toThrow(/unknown step/);
  });

  it('retries retryable failures with backoff, skips dependents of a failed step, and records every step', async () => {
    const store = recordingStore();
    let flaky = 0;
    const steps: Step<unknown>[] = [
      {
        name: 'flaky',
        run: async () => {
          flaky++;
          if (flaky < 3) throw new CloudmuxError({ code: 'Unavailable', message: 'try again' });
          return { attempts: flaky };
        },
      },
      {
        name: 'broken',
        dependsOn: ['flaky'],
        run: async () => {
          throw new CloudmuxError({ code: 'PreconditionFailed', message: 'bad data' });
        },
      },
      { name: 'after', dependsOn: ['broken'], run: async () => ({ ran: true }) },
      { name: 'independent', dependsOn: ['flaky'], run: async () => ({ ran: true }) },
    ];
    const record = await runDag(
      steps,
      {},
      { store, runId: 'run-test', retry: { budgetMs: 2_000, baseDelayMs: 1, maxDelayMs: 5 } },
    );
    expect(record.status).toBe('failed');
    const byName = Object.fromEntries(record.steps.map((s) => [s.name, s]));
    expect(byName.flaky).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(byName.broken).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'PreconditionFailed' },
    });
    expect(byName.after).toMatchObject({ status: 'skipped' });
    expect(byName.independent).toMatchObject({ status: 'succeeded' });
    const saved = JSON.parse(store.saved.get('batch/runs/run-test.json')!) as { status: string };
    expect(saved.status).toBe('failed');
  });
});

describe('consumer settings', () => {
  it('takes PIPELINE_CONSUMER_CONCURRENCY and PIPELINE_MAX_DELIVERIES, refusing bad values with the variable named', () => {
    expect(consumerConcurrencySetting({})).toBe(4);
    expect(consumerConcurrencySetting({ PIPELINE_CONSUMER_CONCURRENCY: '16' })).toBe(16);
    expect(maxDeliveriesSetting({ PIPELINE_MAX_DELIVERIES: '7' })).toBe(7);
    for (const bad of ['0', '65', '2.5', 'many']) {
      let caught: unknown;
      try {
        consumerConcurrencySetting({ PIPELINE_CONSUMER_CONCURRENCY: bad });
      } catch (error) {
        caught = error;
      }
      expect(CloudmuxError.isInstance(caught) && caught.code).toBe('InvalidArgument');
      expect((caught as Error).message).toMatch(
        /^PIPELINE_CONSUMER_CONCURRENCY=".*" must be a whole number from 1 to 64/,
      );
    }
    expect(() => maxDeliveriesSetting({ PIPELINE_MAX_DELIVERIES: '0' })).toThrow(
      'PIPELINE_MAX_DELIVERIES="0" must be a whole number from 1 to 100 (Pub/Sub accepts 5 to 100)',
    );
  });
});
