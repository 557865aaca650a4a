/** Malformed flight events of several kinds, for demonstrating and testing quarantine. */
export function invalidSamples(count: number): unknown[] {
  const kinds: Array<(i: number) => unknown> = [
    (i) => ({
      id: `bad-${i}`,
      ts: 978307260000,
      delay: 5000,
      distance: 300,
      origin: 'LAX',
      destination: 'SFO',
    }),
    (i) => ({ id: `bad-${i}`, ts: 978307260000, delay: 3, distance: -1, origin: 'LAX', destination: 'SFO' }),
    (i) => ({
      id: `bad-${i}`,
      ts: 978307260000,
      delay: 3,
      distance: 300,
      origin: 'lax!',
      destination: 'SFO',
    }),
    (i) => ({ id: `bad-${i}`, ts: 'yesterday', delay: 3, distance: 300, origin: 'LAX', destination: 'SFO' }),
    (i) => ({ id: `bad-${i}`, delay: 3, distance: 300, origin: 'LAX' }),
    (i) => ({
      id: `bad ${i} with spaces`,
      ts: 978307260000,
      delay: 1.5,
      distance: 300,
      origin: 'LAX',
      destination: 'SFO',
    }),
  ];
  return Array.from({ length: count }, (_, i) => kinds[i % kinds.length]!(i));
}
