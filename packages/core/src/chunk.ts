/**
 * Splits sized items into chunks of at most `maxEntries` items and `maxBytes` bytes, keeping their
 * order: a queue's send requests (entries and bytes per request), a warehouse load's files (files per
 * statement, bytes held at once). An item larger than `maxBytes` goes alone in a chunk of its own;
 * callers that must refuse one check sizes first (the portable Queue checks `maxMessageBytes`).
 */
export function chunkBySize<T extends { size: number }>(
  items: readonly T[],
  maxEntries: number,
  maxBytes: number,
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length > 0 && (current.length >= maxEntries || bytes + item.size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
