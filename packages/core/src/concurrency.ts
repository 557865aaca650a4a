/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the results in the
 * items' order. The first failure rejects the whole call and starts no further items (calls
 * already in flight run to their end; their results are dropped). For drivers whose service has no
 * batch form of a call: N round trips then cost about N / limit round trips of waiting, not N.
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
