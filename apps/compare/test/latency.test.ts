import type { ObjectStore } from '@cloudmux/core';
import { describe, expect, it } from 'vitest';
import { medianInterval, quantile, summarize } from '../src/stats.ts';
import { LatencyRecorder, timedGet } from '../src/workloads.ts';

describe('latency statistics', () => {
  it('interpolates between closest ranks', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([10], 0.99)).toBe(10);
    expect(quantile([0, 100], 0.9)).toBeCloseTo(90);
  });

  it('reports p99 only from 100 samples on, and always the sample count', () => {
    const ninetyNine = summarize(Array.from({ length: 99 }, (_, i) => i + 1));
    expect(ninetyNine.samples).toBe(99);
    expect(ninetyNine.p99Ms).toBeNull();
    const hundred = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(hundred.samples).toBe(100);
    expect(hundred.p99Ms).toBeCloseTo(99.01);
    expect(hundred.maxMs).toBe(100);
  });

  it('gives the median a 95 % bootstrap interval that holds it, is reproducible, and narrows with more samples', () => {
    const noisy = (n: number) => Array.from({ length: n }, (_, i) => 10 + ((i * 7919) % 13) - 6);
    const small = medianInterval(noisy(20))!;
    const large = medianInterval(noisy(2000))!;
    const median = quantile(
      [...noisy(20)].sort((a, b) => a - b),
      0.5,
    );
    expect(small.lowMs).toBeLessThanOrEqual(median);
    expect(small.highMs).toBeGreaterThanOrEqual(median);
    expect(medianInterval(noisy(20))).toEqual(small);
    expect(large.highMs - large.lowMs).toBeLessThan(small.highMs - small.lowMs);
    expect(medianInterval([5])).toBeNull();
  });
});

describe('get is timed to the last byte', () => {
  it('includes the body read in `get` and reports time to first byte on its own', async () => {
    const chunkDelayMs = 40;
    const chunks = 4;
    // A body that trickles: the call resolves at once, the bytes take chunks × delay to arrive.
    const store = {
      get: async () => ({
        stream: () =>
          new ReadableStream<Uint8Array>({
            async pull(controller) {
              await new Promise((r) => setTimeout(r, chunkDelayMs));
              controller.enqueue(new Uint8Array(256));
              if (++sent === chunks) controller.close();
            },
          }),
      }),
    } as unknown as ObjectStore;
    let sent = 0;
    const recorder = new LatencyRecorder();
    recorder.measuring = true;
    await timedGet(store, 'k', 256 * chunks, recorder);
    const ops = recorder.take('trickle', 1);
    const get = ops.find((o) => o.operation === 'get')!;
    const firstByte = ops.find((o) => o.operation === 'get (first byte)')!;
    expect(get.samples).toBe(1);
    // Generous bounds: the point is that the body read is inside `get`, not how fast it is.
    expect(get.maxMs).toBeGreaterThanOrEqual(chunkDelayMs * (chunks - 1));
    expect(firstByte.maxMs).toBeLessThan(get.maxMs - chunkDelayMs);
  });

  it('fails a short read instead of timing it', async () => {
    const store = {
      get: async () => ({ stream: () => new Blob([new Uint8Array(10)]).stream() }),
    } as unknown as ObjectStore;
    const recorder = new LatencyRecorder();
    recorder.measuring = true;
    await expect(timedGet(store, 'k', 11, recorder)).rejects.toMatchObject({ code: 'Internal' });
    expect(recorder.take('short', 1)).toEqual([]);
  });
});
