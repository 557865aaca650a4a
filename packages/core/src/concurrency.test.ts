import { describe, expect, it } from 'vitest';
import { mapConcurrent } from './concurrency.ts';
import { sleep } from './retry.ts';

describe('mapConcurrent', () => {
  it('keeps the items’ order and never has more than `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapConcurrent([30, 5, 20, 1, 10, 2, 8], 3, async (ms, index) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(ms);
      inFlight--;
      return `${index}:${ms}`;
    });
    expect(results).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10', '5:2', '6:8']);
    expect(most).toBe(3);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    const failure = new Error('boom');
    await expect(
      mapConcurrent([0, 1, 2, 3, 4, 5], 2, async (item) => {
        started.push(item);
        await sleep(5);
        if (item === 1) throw failure;
        return item;
      }),
    ).rejects.toBe(failure);
    // Items 0 and 1 ran together; 1 failed, so at most the item that took 0's slot started after.
    expect(started.length).toBeLessThanOrEqual(3);
  });

  it('returns [] for no items and refuses a limit below 1', async () => {
    expect(await mapConcurrent([], 4, async () => 1)).toEqual([]);
    await expect(mapConcurrent([1], 0, async () => 1)).rejects.toBeInstanceOf(RangeError);
  });
});
