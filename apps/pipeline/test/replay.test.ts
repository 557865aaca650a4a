/**
 * The replay as the 3M and 30M runs use it: slices of the file in order, the repeat option (copies
 * with shifted ids and times, a typed error for a bad count), and the columnar ingest path giving
 * the same verdicts, message names and reasons as the per-object one.
 */
import { zstdDecompressSync } from 'node:zlib';
import { CloudmuxError, type ObjectStore, type Queue, type SendEntry } from '@cloudmux/core';
import { parquetReadObjects } from 'hyparquet';
import { asyncBufferFromFile } from 'hyparquet/src/node.js';
import { describe, expect, it } from 'vitest';
import { countFlights, FLIGHTS_FILE, readFlights, SLICE_ROWS } from '../src/data/flights.ts';
import { emptyBatch, pushEvent } from '../src/events.ts';
import { createIngestor, type IngestManifest, type Ingestor } from '../src/ingest/ingestor.ts';
import { invalidSamples } from '../src/ingest/invalid-samples.ts';
import { REPEAT_SHIFT_MS, repeatSetting, replayFlights } from '../src/ingest/replay.ts';
import type { FlightEvent } from '../src/schema.ts';
import { sourceRows } from './helpers.ts';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return CloudmuxError.isInstance(error) ? `${error.code}: ${error.message}` : 'not a CloudmuxError';
  }
  return 'no error';
};

/** Keeps what an ingestor was handed: the replay is under test here, not the ingest. */
function recordingIngestor(): Ingestor & { events: FlightEvent[] } {
  const events: FlightEvent[] = [];
  const take = (batch: import('../src/events.ts').EventBatch) => {
    for (let i = 0; i < batch.id.length; i++)
      events.push({
        id: batch.id[i]!,
        ts: batch.ts[i]!,
        delay: batch.delay[i]!,
        distance: batch.distance[i]!,
        origin: batch.origin[i]!,
        destination: batch.destination[i]!,
      });
    return {
      ingestId: 'i',
      received: batch.id.length,
      accepted: batch.id.length,
      quarantined: 0,
      messages: 1,
      reasons: [],
    };
  };
  return {
    events,
    ingest: async () => {
      throw new Error('the replay sends columns');
    },
    ingestColumns: async (batch) => take(batch),
  };
}

/** An object store and queue that keep what they are given, in memory. */
function memoryResources(): {
  objectStore: ObjectStore;
  queue: Queue;
  objects: Map<string, string>;
  bodies: string[];
} {
  const objects = new Map<string, string>();
  const bodies: string[] = [];
  const objectStore = {
    async put(key: string, body: unknown) {
      objects.set(key, String(body));
      return { key, etag: String(objects.size), size: 0 };
    },
  } as unknown as ObjectStore;
  const queue = {
    // The local queue's limit: what the ingestor cuts messages by.
    limits: { maxMessageBytes: 1024 * 1024 },
    async sendAll(_queue: string, entries: SendEntry[]) {
      for (const entry of entries) bodies.push(String(entry.body));
      return entries.map(() => ({ ok: true, id: String(bodies.length) }));
    },
  } as unknown as Queue;
  return { objectStore, queue, objects, bodies };
}

describe('replay', () => {
  it('reads the file in whole slices, in file order, equal row for row to the source', async () => {
    const slices: Array<[number, number]> = [];
    for await (const columns of readFlights({ start: 10, limit: 2.4 * SLICE_ROWS }))
      slices.push([columns.offset, columns.length]);
    expect(slices).toEqual([
      [10, SLICE_ROWS],
      [10 + SLICE_ROWS, SLICE_ROWS],
      [10 + 2 * SLICE_ROWS, 0.4 * SLICE_ROWS],
    ]);
    const ingestor = recordingIngestor();
    await replayFlights(ingestor, { start: 2_999_990, limit: 100 });
    expect(ingestor.events.map((e) => e.id)).toEqual((await sourceRows(2_999_990, 10)).map((row) => row.id));
    expect(ingestor.events).toEqual(await sourceRows(2_999_990, 10));
  });

  it('gives the values another Parquet reader gives (hyparquet, not DuckDB)', async () => {
    const file = await asyncBufferFromFile(FLIGHTS_FILE);
    for (const [start, limit] of [
      [1_234_567, 5_000],
      [2_999_000, 1_000],
    ] as const) {
      // The file's pages are ZSTD, which hyparquet decodes only with a decompressor given.
      const expected = await parquetReadObjects({
        file,
        rowStart: start,
        rowEnd: start + limit,
        compressors: { ZSTD: (input: Uint8Array) => zstdDecompressSync(input) },
      });
      const read = {
        ts: [] as number[],
        delay: [] as number[],
        distance: [] as number[],
        origin: [] as string[],
        destination: [] as string[],
      };
      for await (const columns of readFlights({ start, limit }))
        for (const name of Object.keys(read) as Array<keyof typeof read>)
          (read[name] as unknown[]).push(...columns[name]);
      expect(read.ts).toEqual(expected.map((row) => (row.date as Date).getTime()));
      expect(read.delay).toEqual(expected.map((row) => Number(row.delay)));
      expect(read.distance).toEqual(expected.map((row) => Number(row.distance)));
      expect(read.origin).toEqual(expected.map((row) => row.origin));
      expect(read.destination).toEqual(expected.map((row) => row.destination));
      expect(new Set(read.origin).size).toBeGreaterThan(50);
    }
  });

  it('repeats the flights with ids shifted by the file rows and times by 26 weeks', async () => {
    const fileRows = await countFlights();
    const ingestor = recordingIngestor();
    const result = await replayFlights(ingestor, { start: 5, limit: 300, repeat: 3, fileRows });
    expect(result.read).toBe(900);
    const [first, second, third] = [0, 1, 2].map((copy) =>
      ingestor.events.slice(copy * 300, copy * 300 + 300),
    );
    expect(new Set(ingestor.events.map((e) => e.id)).size).toBe(900);
    expect(second![0]!.id).toBe(`fl-${String(fileRows + 5).padStart(7, '0')}`);
    for (let i = 0; i < 300; i++) {
      expect(second![i]!.ts - first![i]!.ts).toBe(REPEAT_SHIFT_MS);
      expect(third![i]!.ts - first![i]!.ts).toBe(2 * REPEAT_SHIFT_MS);
      expect({ ...third![i]!, id: '', ts: 0 }).toEqual({ ...first![i]!, id: '', ts: 0 });
    }
  });

  it('refuses a bad repeat count with a typed error naming the option', async () => {
    for (const bad of [0, -1, 1.5, 101, 'ten', ''])
      expect(codeOf(() => repeatSetting(bad, '--repeat'))).toMatch(
        /^InvalidArgument: --repeat=.* must be a whole number from 1 to 100/,
      );
    expect(repeatSetting('10')).toBe(10);
    expect(repeatSetting(undefined)).toBe(1);
    await expect(replayFlights(recordingIngestor(), { limit: 10, repeat: 2 })).rejects.toMatchObject({
      code: 'InvalidArgument',
    });
  });
});

describe('columnar ingest', () => {
  it('gives the same verdicts, reasons, manifests and messages as ingest of objects', async () => {
    const rows = await sourceRows(515_370, 30);
    // The last event's time is an ISO string: both paths send it as epoch milliseconds.
    const iso = { ...rows[5]!, id: 'iso-time-1', ts: new Date(rows[5]!.ts).toISOString() };
    const events: unknown[] = [...rows, ...invalidSamples(6), { ...rows[3]! }, iso];
    const columns = emptyBatch();
    for (const event of events) pushEvent(columns, event as FlightEvent);
    const results = [];
    for (const columnar of [false, true]) {
      const resources = memoryResources();
      const ingestor = createIngestor({ ...resources, eventsPerMessage: 7 });
      const result = columnar
        ? await ingestor.ingestColumns(columns, 'test')
        : await ingestor.ingest(events, 'test');
      const manifest = [...resources.objects].find(([key]) => key.startsWith('ingest/'))![1];
      const { ingestId: _i, at: _a, ...stable } = JSON.parse(manifest) as IngestManifest;
      results.push({
        accepted: result.accepted,
        quarantined: result.quarantined,
        reasons: result.reasons,
        stable,
        bodies: resources.bodies,
      });
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[0]!.bodies.join('')).toContain(`"iso-time-1"`);
    const sent = results[1]!.bodies.map((body) => JSON.parse(body) as { id: string[]; ts: unknown[] });
    const withIso = sent.find((batch) => batch.id.includes('iso-time-1'))!;
    expect(withIso.ts[withIso.id.indexOf('iso-time-1')]).toBe(rows[5]!.ts);
    // Row 515,377 has a delay below -120; six malformed samples; one repeated id.
    expect(results[0]!.quarantined).toBe(8);
    expect(results[0]!.reasons.map((r) => r.reasons[0]!.split(':')[0])).toEqual([
      'delay',
      'delay',
      'distance',
      'origin',
      'ts',
      'ts',
      'id',
      'id',
    ]);
    expect(results[0]!.reasons.at(-1)!.reasons).toEqual([
      'id: duplicate of an earlier event in this request',
    ]);
  });
});
